-- 03 Model training: the 80/20 split, a randomized search with cross-validation
-- scored by F1, the best model's 5-fold CV beside a default model, test metrics,
-- and SHAP explanations.
--
--   firn -f sql/01_data_exploration.sql -f sql/02_features.sql -f sql/03_model_training.sql
--
-- Variables (with defaults): seed (42).

-- The 80/20 split, stratified by the label: exactly the rows CREATE MODEL holds
-- out with test_fraction 0.2 and the same seed.
CREATE OR REPLACE TABLE training_split AS
SELECT * FROM train_test_split('training_dataset', 0.2, ${seed:-42}, 'is_churned');

CREATE OR REPLACE VIEW train_set AS SELECT * EXCLUDE (split) FROM training_split WHERE split = 'train';
CREATE OR REPLACE VIEW test_set AS SELECT * EXCLUDE (split) FROM training_split WHERE split = 'test';

SELECT split, count(*) AS customers, sum(is_churned) AS churned, round(avg(is_churned), 3) AS churn_rate
FROM training_split GROUP BY split ORDER BY split DESC;

-- Randomized search: 5 candidates, each cross-validated 3-fold on the train part
-- and scored by F1; the best is refitted on the whole train part and scored on
-- the held-out 20 %. Every candidate is logged as a run of 'churn_model_training'.
CREATE MODEL churn_search
  OPTIONS (type 'gbdt_classifier', label 'is_churned', exclude 'customer_id', seed ${seed:-42},
           search 'random', n_iter 5, cv 3, scoring 'f1',
           max_depth 'int(3,9)', learning_rate 'float(0.01,0.3)', n_estimators 'int(50,299)',
           min_child_weight 'int(1,9)', subsample 'float(0.6,1.0)', colsample_bytree 'float(0.6,1.0)',
           scale_pos_weight 'float(1,4)',
           experiment 'churn_model_training', run 'random_search',
           comment 'randomized search, 5 candidates x 3-fold CV by F1')
  AS SELECT * FROM training_dataset;

-- The candidates, best first.
SELECT run, "params.max_depth" AS max_depth, "params.learning_rate" AS learning_rate,
       "params.n_estimators" AS n_estimators, "params.scale_pos_weight" AS scale_pos_weight,
       round("metrics.cv_f1_mean", 4) AS cv_f1_mean, round("metrics.cv_f1_std", 4) AS cv_f1_std
FROM compare_runs('churn_model_training', 'cv_f1_mean')
WHERE parent_run = 'random_search';

-- The best parameters' 5-fold CV on the train part, beside a default model
-- (depth 5, learning rate 0.1, 100 trees, scale_pos_weight 2).
CREATE MODEL churn_default
  OPTIONS (type 'gbdt_classifier', label 'is_churned', exclude 'customer_id', seed ${seed:-42},
           max_depth 5, learning_rate 0.1, n_estimators 100, scale_pos_weight 2, cv 5,
           experiment 'churn_model_training', run 'default_model', comment 'default parameters')
  AS SELECT * FROM training_dataset;

SELECT 'searched' AS model, count(*) AS folds, round(avg(score), 4) AS cv_f1_mean, round(stddev_pop(score), 4) AS cv_f1_std
FROM cross_validate('churn_search', 'train_set', 5)
UNION ALL
SELECT 'default', count(*), round(avg(score), 4), round(stddev_pop(score), 4)
FROM cross_validate('churn_default', 'train_set', 5)
ORDER BY model DESC;

-- Test metrics (the held-out 20 %); recall matters most: don't miss churners.
SELECT 'searched' AS model, rows, round(accuracy, 4) AS accuracy, round(precision, 4) AS precision,
       round(recall, 4) AS recall, round(f1, 4) AS f1, round(roc_auc, 4) AS roc_auc
FROM evaluate('churn_search', 'test_set')
UNION ALL
SELECT 'default', rows, round(accuracy, 4), round(precision, 4), round(recall, 4), round(f1, 4), round(roc_auc, 4)
FROM evaluate('churn_default', 'test_set')
ORDER BY model DESC;

SELECT * FROM confusion_matrix('churn_search', 'test_set');

-- SHAP: global importance over 500 training rows, then why one churner is scored as one.
SELECT feature, round(mean_abs_shap, 4) AS mean_abs_shap, round(gain, 3) AS gain, weight
FROM feature_importance('churn_search', 'SELECT * FROM train_set ORDER BY customer_id LIMIT 500');

SELECT customer_id, round(prediction, 4) AS churn_probability, rank, feature, value, round(shap, 4) AS shap
FROM explain_predict('churn_search',
                     'SELECT * FROM test_set WHERE is_churned = 1 ORDER BY customer_id LIMIT 1')
ORDER BY rank;
