-- 02 Features: the seed guide's feature sets v1 and v2 in plain SQL, and the training set.
-- Every feature uses orders up to the cutoff only (no future data); missing values are 0.
--
--   firn -f sql/01_data_exploration.sql -f sql/02_features.sql [--set data_dir=…]
--
-- Variables (with defaults): window_start, cutoff.

-- v1: recency, frequency and monetary value (5 features).
CREATE OR REPLACE TABLE customer_features_v1 AS
WITH history AS (
    SELECT customer_id,
           DATE '${cutoff:-2024-06-30}' - max(order_date)                             AS days_since_last_order,
           count(*)                                                                     AS total_order_count,
           count(*) FILTER (WHERE order_date >= DATE '${window_start:-2024-01-01}')    AS order_count_2024,
           sum(order_amount)                                                            AS total_order_amount,
           avg(order_amount)                                                            AS avg_order_amount
    FROM orders
    WHERE order_date <= DATE '${cutoff:-2024-06-30}'
    GROUP BY customer_id
)
SELECT c.customer_id,
       coalesce(h.days_since_last_order, 0)  AS days_since_last_order,
       coalesce(h.total_order_count, 0)      AS total_order_count,
       coalesce(h.order_count_2024, 0)       AS order_count_2024,
       coalesce(h.total_order_amount, 0.0)   AS total_order_amount,
       coalesce(h.avg_order_amount, 0.0)     AS avg_order_amount
FROM customers c LEFT JOIN history h ON h.customer_id = c.customer_id;

-- v2: v1 plus H1 spend, return rate and segment.
CREATE OR REPLACE TABLE customer_features_v2 AS
WITH recent AS (
    SELECT customer_id,
           coalesce(sum(order_amount) FILTER (WHERE order_date >= DATE '${window_start:-2024-01-01}'), 0.0) AS total_amount_2024,
           avg(CASE WHEN status = 'RETURNED' THEN 1.0 ELSE 0.0 END)                                        AS return_rate
    FROM orders
    WHERE order_date <= DATE '${cutoff:-2024-06-30}'
    GROUP BY customer_id
)
SELECT v1.*,
       coalesce(r.total_amount_2024, 0.0) AS total_amount_2024,
       coalesce(r.return_rate, 0.0)       AS return_rate,
       c.segment
FROM customer_features_v1 v1
JOIN customers c ON c.customer_id = v1.customer_id
LEFT JOIN recent r ON r.customer_id = v1.customer_id;

-- The training set: the label spine joined with feature set v2.
CREATE OR REPLACE TABLE training_dataset AS
SELECT l.customer_id, f.days_since_last_order, f.total_order_count, f.order_count_2024,
       f.total_order_amount, f.avg_order_amount, f.total_amount_2024, f.return_rate, f.segment,
       l.is_churned
FROM churn_labels l JOIN customer_features_v2 f ON f.customer_id = l.customer_id;

SELECT count(*) AS rows, sum(is_churned) AS churned FROM training_dataset;

SELECT is_churned,
       round(avg(days_since_last_order), 1) AS avg_days_since_last_order,
       round(avg(total_order_count), 2)     AS avg_orders,
       round(avg(total_amount_2024), 2)     AS avg_amount_2024,
       round(avg(return_rate), 3)           AS avg_return_rate
FROM training_dataset GROUP BY is_churned ORDER BY is_churned;
