-- 06 Production: score every customer with the registered model's default version
-- and hand the high-risk ones (churn probability >= 0.5) to marketing as
-- CHURN_RISK_LIST, also exported as CSV and Parquet.
--
--   firn -f sql/pipeline.sql [--set out_dir=out] [--set threshold=0.5]
--
-- Variables (with defaults): out_dir (out), threshold (0.5).

-- predict(model, data) as a table scores every row of a query with the features found by
-- name, passes the columns through and adds prediction (and model_version, the version used).
CREATE OR REPLACE TABLE churn_risk_list AS
SELECT s.customer_id, c.segment, c.region, s.prediction AS churn_probability
FROM predict('customer_churn_predictor', 'SELECT * FROM feature_view(''customer_features'', ''v2'')') s
JOIN customers c ON c.customer_id = s.customer_id
WHERE s.prediction >= ${threshold:-0.5}
ORDER BY churn_probability DESC, customer_id;

SELECT count(*) AS high_risk_customers, round(avg(churn_probability), 4) AS avg_probability
FROM churn_risk_list;

SELECT segment, count(*) AS high_risk_customers FROM churn_risk_list GROUP BY segment ORDER BY high_risk_customers DESC;

SELECT * FROM churn_risk_list LIMIT 10;

COPY (SELECT * FROM churn_risk_list ORDER BY churn_probability DESC, customer_id)
  TO '${out_dir:-out}/churn_risk_list.csv' STORED AS CSV OPTIONS ('format.has_header' 'true');
COPY (SELECT * FROM churn_risk_list ORDER BY churn_probability DESC, customer_id)
  TO '${out_dir:-out}/churn_risk_list.parquet' STORED AS PARQUET;
