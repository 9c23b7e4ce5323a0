-- 07 Monitoring: six months on. The risk list scored customers with features as of the
-- cutoff (2024-06-30); the label window (H2 2024) has closed, so their outcomes are known.
-- Features as of the end of the label window show how far the customers drifted from the
-- training data; a monitor on the champion puts drift and performance in one table.
--
--   firn -f sql/pipeline.sql   (after 01-06)
--
-- Variables (with defaults): window_start, cutoff, horizon_end (as in 01 and 02).

-- Features as of the end of the label window: customer_features' eight features with the
-- cutoff moved to ${horizon_end:-2024-12-31} and the observation window to the six months
-- before it (a new version: versions are immutable).
CREATE FEATURE VIEW customer_features VERSION v3 ENTITY customer
  COMMENT 'v2''s features as of the end of the label window (${horizon_end:-2024-12-31})'
AS
WITH history AS (
    SELECT customer_id,
           DATE '${horizon_end:-2024-12-31}' - max(order_date)                                 AS days_since_last_order,
           count(*)                                                                           AS total_order_count,
           count(*) FILTER (WHERE order_date > DATE '${cutoff:-2024-06-30}')                   AS order_count_2024,
           sum(order_amount)                                                                  AS total_order_amount,
           avg(order_amount)                                                                  AS avg_order_amount,
           coalesce(sum(order_amount) FILTER (WHERE order_date > DATE '${cutoff:-2024-06-30}'), 0.0) AS total_amount_2024,
           avg(CASE WHEN status = 'RETURNED' THEN 1.0 ELSE 0.0 END)                          AS return_rate
    FROM orders
    WHERE order_date <= DATE '${horizon_end:-2024-12-31}'
    GROUP BY customer_id
)
SELECT c.customer_id,
       coalesce(h.days_since_last_order, 0)  AS days_since_last_order,
       coalesce(h.total_order_count, 0)      AS total_order_count,
       coalesce(h.order_count_2024, 0)       AS order_count_2024,
       coalesce(h.total_order_amount, 0.0)   AS total_order_amount,
       coalesce(h.avg_order_amount, 0.0)     AS avg_order_amount,
       coalesce(h.total_amount_2024, 0.0)    AS total_amount_2024,
       coalesce(h.return_rate, 0.0)          AS return_rate,
       c.segment
FROM customers c LEFT JOIN history h ON h.customer_id = c.customer_id;

-- The risk list's model against its training set: one row per feature and one for the
-- prediction (PSI over the training deciles, KS from the training rows, missing and
-- out-of-range shares); flagged at PSI >= 0.2.
SELECT feature, kind, round(psi, 4) AS psi, round(ks, 4) AS ks, flagged, message
FROM drift_report('customer_churn_predictor@champion',
                  'SELECT * FROM feature_view(''customer_features'', ''v3'')');

-- What the monitor watches: the customers scored at the cutoff with the outcome the label
-- window gave them, and the same customers as of its end (their outcome not known yet).
CREATE OR REPLACE TABLE churn_monitoring_data AS
SELECT f.*, l.is_churned, CAST(DATE '${cutoff:-2024-06-30}' AS TIMESTAMP) AS scored_at
FROM feature_view('customer_features', 'v2') f
JOIN churn_labels l ON l.customer_id = f.customer_id
UNION ALL
SELECT f.*, CAST(NULL AS INT) AS is_churned, CAST(DATE '${horizon_end:-2024-12-31}' AS TIMESTAMP) AS scored_at
FROM feature_view('customer_features', 'v3') f
JOIN churn_labels l ON l.customer_id = f.customer_id;

-- The monitor follows the champion alias (resolved at every run); metrics per quarter of
-- scored_at over the rows whose label has arrived.
CREATE MONITOR IF NOT EXISTS churn_champion_monitor
  ON MODEL customer_churn_predictor@champion
  DATA 'churn_monitoring_data' LABEL is_churned TIMESTAMP scored_at
  OPTIONS (period 'quarter');

RUN MONITOR churn_champion_monitor;

SHOW MONITORS;

-- The performance table: one row per period of the latest run; drift of that run beside it.
SELECT period, model_version,
       max(value) FILTER (WHERE name = 'rows')     AS labelled_rows,
       round(max(value) FILTER (WHERE name = 'roc_auc'), 4)  AS roc_auc,
       round(max(value) FILTER (WHERE name = 'f1'), 4)       AS f1,
       round(max(value) FILTER (WHERE name = 'log_loss'), 4) AS log_loss
FROM firn.monitor_results
WHERE monitor = 'churn_champion_monitor' AND kind = 'metric'
  AND run_at = (SELECT max(run_at) FROM firn.monitor_results WHERE monitor = 'churn_champion_monitor')
GROUP BY period, model_version ORDER BY period;

SELECT name AS feature, round(value, 4) AS psi, flagged
FROM firn.monitor_results
WHERE monitor = 'churn_champion_monitor' AND kind = 'drift'
  AND run_at = (SELECT max(run_at) FROM firn.monitor_results WHERE monitor = 'churn_champion_monitor')
ORDER BY value DESC;

-- Can the champion be reproduced from its lineage? (identical on the same data and build)
VERIFY MODEL customer_churn_predictor@champion;
