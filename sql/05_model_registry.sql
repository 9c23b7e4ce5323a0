-- 05 Model registry: CUSTOMER_CHURN_PREDICTOR v1 (the balanced configuration) and an
-- improved v2, each with its metrics and a comment; v2 becomes the default.
--
--   firn -f sql/01_data_exploration.sql -f sql/02_features.sql -f sql/05_model_registry.sql

CREATE MODEL customer_churn_predictor VERSION v1
  OPTIONS (type 'gbdt_classifier', label 'is_churned', exclude 'customer_id', seed ${seed:-42},
           max_depth 5, learning_rate 0.1, n_estimators 150, scale_pos_weight 3,
           experiment 'customer_churn_predictor', comment 'balanced configuration from churn_prediction_experiment')
  AS SELECT * FROM training_dataset;

CREATE MODEL customer_churn_predictor VERSION v2
  OPTIONS (type 'gbdt_classifier', label 'is_churned', exclude 'customer_id', seed ${seed:-42},
           max_depth 6, learning_rate 0.1, n_estimators 200, scale_pos_weight 3,
           experiment 'customer_churn_predictor', comment 'parameter improvement')
  AS SELECT * FROM training_dataset;

-- The first version became the default; v2 is the improvement: promote it.
ALTER MODEL customer_churn_predictor SET DEFAULT VERSION v2;
ALTER MODEL customer_churn_predictor VERSION v2 SET ALIAS champion;
ALTER MODEL customer_churn_predictor VERSION v1 SET ALIAS previous;

SHOW MODELS;
SHOW VERSIONS IN MODEL customer_churn_predictor;

SELECT version, is_default, aliases, comment,
       round(metrics['accuracy'], 4) AS accuracy, round(metrics['precision'], 4) AS precision,
       round(metrics['recall'], 4) AS recall, round(metrics['f1'], 4) AS f1,
       round(metrics['roc_auc'], 4) AS roc_auc, params['max_depth'] AS max_depth,
       params['n_estimators'] AS n_estimators
FROM firn.model_versions WHERE model = 'customer_churn_predictor' ORDER BY version;

-- The registered model scores in SQL: the default version (v2), and v1 by name.
SELECT customer_id,
       round(predict('customer_churn_predictor', days_since_last_order, total_order_count, order_count_2024,
                     total_order_amount, avg_order_amount, total_amount_2024, return_rate, segment), 4) AS p_default,
       round(predict('customer_churn_predictor@v1', days_since_last_order, total_order_count, order_count_2024,
                     total_order_amount, avg_order_amount, total_amount_2024, return_rate, segment), 4) AS p_v1,
       is_churned
FROM training_dataset ORDER BY customer_id LIMIT 5;
