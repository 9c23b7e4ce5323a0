-- 02 Feature store: the seed guide's entity CUSTOMER, feature view CUSTOMER_FEATURES in
-- versions v1 (5 features) and v2 (v1 + 3), and TRAINING_DATASET = the label spine joined
-- with v2. Then a second, time-stamped example: monthly feature snapshots and a spine with
-- one event time per row, joined point in time (each row sees only the past).
--
--   firn DB -f sql/01_data_exploration.sql -f sql/02_features.sql [--set data_dir=…]
--
-- Variables (with defaults): window_start, cutoff. Feature view versions are immutable:
-- running this script again with the same variables leaves v1 and v2 as they are
-- ("unchanged"); with other dates, CREATE FEATURE VIEW refuses to redefine them — name new
-- versions instead.

-- The entity: what the features describe, and the key that identifies it.
CREATE ENTITY IF NOT EXISTS customer KEYS (customer_id) COMMENT 'A Snow Retail customer';

-- v1: recency, frequency and monetary value (5 features), over orders up to the cutoff only
-- (no future data). A customer without orders gets 0s. Not MATERIALIZED: the view is its
-- query, run over the current tables whenever it is read.
CREATE FEATURE VIEW customer_features VERSION v1 ENTITY customer
  COMMENT 'RFM features as of ${cutoff:-2024-06-30}'
  FEATURES (
    days_since_last_order COMMENT 'Recency: days from the last order to the cutoff; longer means higher risk',
    total_order_count     COMMENT 'Frequency: orders up to the cutoff; fewer means higher risk',
    order_count_2024      COMMENT 'Frequency: orders in the observation window; recent activity',
    total_order_amount    COMMENT 'Monetary: total order amount up to the cutoff; customer value',
    avg_order_amount      COMMENT 'Monetary: mean order amount; small baskets churn more'
  )
AS
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

-- v2: v1 plus window spend, return rate and segment. It reads v1 through feature_view(…),
-- so v1 cannot be dropped while v2 uses it.
CREATE FEATURE VIEW customer_features VERSION v2 ENTITY customer
  COMMENT 'v1 plus window spend, return rate and segment'
  FEATURES (
    total_amount_2024 COMMENT 'Monetary: order amount in the observation window; shrinking spend is a warning',
    return_rate       COMMENT 'Behaviour: returned orders / all orders; dissatisfaction',
    segment           COMMENT 'Attribute: Basic, Standard or Premium'
  )
AS
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
FROM feature_view('customer_features', 'v1') v1
JOIN customers c ON c.customer_id = v1.customer_id
LEFT JOIN recent r ON r.customer_id = v1.customer_id;

SHOW ENTITIES;
SHOW FEATURE VIEWS;
DESCRIBE FEATURE VIEW customer_features VERSION v2;

-- The training set: the label spine (customer_id, is_churned) joined with v2 on the entity
-- key; missing features would be filled with 0 (the seed's rule), missing text with 'unknown'.
-- Columns: customer_id, the 8 features, is_churned.
CREATE OR REPLACE TABLE training_dataset AS
SELECT * FROM training_set('churn_labels', 'customer_features:v2', 'fill=0', 'fill_text=unknown');

SELECT count(*) AS rows, sum(is_churned) AS churned FROM training_dataset;

SELECT is_churned,
       round(avg(days_since_last_order), 1) AS avg_days_since_last_order,
       round(avg(total_order_count), 2)     AS avg_orders,
       round(avg(total_amount_2024), 2)     AS avg_amount_2024,
       round(avg(return_rate), 3)           AS avg_return_rate
FROM training_dataset GROUP BY is_churned ORDER BY is_churned;

-- Leakage check: NULL rates and each feature's AUC alone against the label (a near-perfect
-- one would be flagged). The result is kept with the table; a model trained on it would
-- carry a warning in its lineage if anything were flagged.
SELECT coalesce(feature, '(all)') AS feature, round(null_rate, 3) AS null_rate, round(auc, 3) AS auc, flagged, message
FROM check_training_set('training_dataset', 'label=is_churned');

-- Point in time. One snapshot per customer and month: on the first day of each month, the
-- features as known then (orders strictly before that day). MATERIALIZED stores the rows as
-- a Parquet snapshot in the database; OR REPLACE re-takes it from the current tables when the
-- script runs again (a materialized version is otherwise frozen).
CREATE OR REPLACE FEATURE VIEW customer_monthly VERSION v1 ENTITY customer TIMESTAMP snapshot_date MATERIALIZED
  COMMENT 'Monthly snapshots: activity known on the first day of each month'
  FEATURES (
    orders_to_date        COMMENT 'Orders before the snapshot date',
    orders_90d            COMMENT 'Orders in the 90 days before the snapshot date',
    amount_90d            COMMENT 'Order amount in the 90 days before the snapshot date',
    days_since_last_order COMMENT 'Days from the last order to the snapshot date'
  )
AS
WITH snapshots AS (
    SELECT CAST(value AS DATE) AS snapshot_date
    FROM generate_series(DATE '2023-01-01', DATE '2025-01-01', INTERVAL '1 month')
)
SELECT o.customer_id,
       s.snapshot_date,
       count(*)                                                                               AS orders_to_date,
       count(*) FILTER (WHERE o.order_date >= s.snapshot_date - INTERVAL '90 days')           AS orders_90d,
       coalesce(sum(o.order_amount) FILTER (WHERE o.order_date >= s.snapshot_date - INTERVAL '90 days'), 0.0) AS amount_90d,
       s.snapshot_date - max(o.order_date)                                                    AS days_since_last_order
FROM snapshots s JOIN orders o ON o.order_date < s.snapshot_date
GROUP BY o.customer_id, s.snapshot_date;

-- A spine with an event time per row: churn labels at two cutoffs, each row stamped with
-- the day after its cutoff (what was known at the end of the cutoff day).
CREATE OR REPLACE TABLE churn_spine AS
SELECT customer_id, DATE '2024-04-01' AS as_of, is_churned
FROM churn_labels('orders', 'customer_id', 'order_date', DATE '2023-10-01', DATE '2024-03-31', DATE '2024-09-30')
UNION ALL
SELECT customer_id, DATE '2024-07-01' AS as_of, is_churned
FROM churn_labels('orders', 'customer_id', 'order_date', DATE '2024-01-01', DATE '2024-06-30', DATE '2024-12-31');

-- Each spine row gets the latest snapshot taken on or before its as_of (and none older
-- than 92 days); the matched snapshot's date is kept to show the join at work.
-- (CREATE TRAINING SET is sugar for CREATE TABLE … AS SELECT * FROM training_set(…).)
CREATE OR REPLACE TRAINING SET training_dataset_pit FROM churn_spine USING customer_monthly:v1
    OPTIONS (spine_timestamp as_of, lookback '92 days', fill 0, feature_timestamps true);

SELECT as_of, customer_monthly__feature_timestamp AS snapshot_used, count(*) AS rows,
       sum(is_churned) AS churned, round(avg(orders_90d), 2) AS avg_orders_90d
FROM training_dataset_pit GROUP BY 1, 2 ORDER BY 1, 2;

-- No row may use a snapshot from after its event time, nor from after the later cutoff.
-- The check reads the training set just built (its features are recorded with it; the
-- matched snapshot's date is the feature timestamp) rather than joining the spine again,
-- and records its findings with the table for any model trained on it.
SELECT coalesce(feature, '(all)') AS feature, round(auc, 3) AS auc,
       rows_after_spine_time, rows_after_cutoff, flagged
FROM check_training_set('training_dataset_pit', 'label=is_churned', 'spine_timestamp=as_of',
    'feature_timestamp=customer_monthly__feature_timestamp', 'cutoff=2024-07-01');
