-- 04 Experiment tracking: three configurations as runs of one experiment, their
-- parameters and metrics logged, compared side by side, and the best one picked.
--
--   firn -f sql/01_data_exploration.sql -f sql/02_features.sql -f sql/04_experiment_tracking.sql
--
-- Every CREATE MODEL logs a run: its parameters, its held-out metrics (accuracy,
-- precision, recall, f1, roc_auc … on the same 20 % as sql/03), timings and the
-- model version it produced.

SELECT * FROM create_experiment('churn_prediction_experiment', 'Snow Retail churn: which configuration?');

CREATE MODEL churn_experiment
  OPTIONS (type 'gbdt_classifier', label 'is_churned', exclude 'customer_id', seed ${seed:-42},
           max_depth 5, learning_rate 0.1, n_estimators 100, scale_pos_weight 2,
           experiment 'churn_prediction_experiment', run 'run_baseline', comment 'baseline')
  AS SELECT * FROM training_dataset;

CREATE MODEL churn_experiment
  OPTIONS (type 'gbdt_classifier', label 'is_churned', exclude 'customer_id', seed ${seed:-42},
           max_depth 10, learning_rate 0.1, n_estimators 100, scale_pos_weight 2,
           experiment 'churn_prediction_experiment', run 'run_deeper', comment 'learn more complex patterns')
  AS SELECT * FROM training_dataset;

CREATE MODEL churn_experiment
  OPTIONS (type 'gbdt_classifier', label 'is_churned', exclude 'customer_id', seed ${seed:-42},
           max_depth 5, learning_rate 0.1, n_estimators 150, scale_pos_weight 3,
           experiment 'churn_prediction_experiment', run 'run_balanced', comment 'raise recall')
  AS SELECT * FROM training_dataset;

-- A value computed in SQL joins the runs' metrics: the share of customers each
-- run's model would flag, over the whole population.
INSERT INTO firn.run_metrics (experiment, run, metric, value)
SELECT 'churn_prediction_experiment', r.run, 'flagged_share',
       avg(CASE WHEN r.model_version = 'v1' THEN predict_label('churn_experiment@v1', t.days_since_last_order, t.total_order_count, t.order_count_2024, t.total_order_amount, t.avg_order_amount, t.total_amount_2024, t.return_rate, t.segment, 0.5)
                WHEN r.model_version = 'v2' THEN predict_label('churn_experiment@v2', t.days_since_last_order, t.total_order_count, t.order_count_2024, t.total_order_amount, t.avg_order_amount, t.total_amount_2024, t.return_rate, t.segment, 0.5)
                ELSE predict_label('churn_experiment@v3', t.days_since_last_order, t.total_order_count, t.order_count_2024, t.total_order_amount, t.avg_order_amount, t.total_amount_2024, t.return_rate, t.segment, 0.5) END)
FROM firn.runs r CROSS JOIN training_dataset t
WHERE r.experiment = 'churn_prediction_experiment'
GROUP BY r.run;

SHOW RUNS IN EXPERIMENT churn_prediction_experiment;

-- The runs side by side, best test F1 first.
SELECT run, model_version, "params.max_depth" AS max_depth, "params.learning_rate" AS learning_rate,
       "params.n_estimators" AS n_estimators, "params.scale_pos_weight" AS scale_pos_weight,
       round("metrics.accuracy", 4) AS accuracy, round("metrics.precision", 4) AS precision,
       round("metrics.recall", 4) AS recall, round("metrics.f1", 4) AS f1,
       round("metrics.roc_auc", 4) AS roc_auc, round("metrics.flagged_share", 4) AS flagged_share
FROM compare_runs('churn_prediction_experiment', 'f1');

-- The best run by test F1, and the model version it produced.
SELECT run AS best_run, model, model_version, round("metrics.f1", 4) AS f1
FROM compare_runs('churn_prediction_experiment', 'f1') LIMIT 1;
