-- 01 Data exploration: load the CSVs, look at them, and create the churn labels.
--
--   firn -f sql/01_data_exploration.sql                                # the project's demo data in data/
--   firn -f sql/01_data_exploration.sql --set data_dir=../shared/seed-data
--
-- Variables (with defaults): data_dir, window_start, cutoff, horizon_end.

-- Load: the CSVs as external tables, then copied into persistent Parquet tables.
-- Column names fold to lower case, so the CSV header CUSTOMER_ID is customer_id.
CREATE OR REPLACE EXTERNAL TABLE customers_csv STORED AS CSV
  LOCATION '${data_dir:-data}/customers.csv' OPTIONS ('format.has_header' 'true');
CREATE OR REPLACE EXTERNAL TABLE orders_csv STORED AS CSV
  LOCATION '${data_dir:-data}/orders.csv' OPTIONS ('format.has_header' 'true');

CREATE OR REPLACE TABLE customers AS SELECT * FROM customers_csv;
CREATE OR REPLACE TABLE orders AS SELECT * FROM orders_csv;

-- How much data, and what does it look like?
SELECT (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM orders) AS orders;

SELECT segment, count(*) AS customers, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct
FROM customers GROUP BY segment ORDER BY segment;

SELECT region, count(*) AS customers FROM customers GROUP BY region ORDER BY region;

SELECT min(order_date) AS first_order, max(order_date) AS last_order,
       count(DISTINCT customer_id) AS ordering_customers
FROM orders;

SELECT status, count(*) AS orders, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct
FROM orders GROUP BY status ORDER BY orders DESC;

SELECT CAST(date_trunc('month', order_date) AS DATE) AS month, count(*) AS orders, round(sum(order_amount), 2) AS amount
FROM orders GROUP BY 1 ORDER BY 1;

SELECT round(min(order_amount), 2) AS min_amount, round(max(order_amount), 2) AS max_amount,
       round(avg(order_amount), 2) AS avg_amount, round(stddev(order_amount), 2) AS stddev_amount,
       round(approx_median(order_amount), 2) AS median_amount
FROM orders;

-- Churn: active in the window (H1 2024) and silent over the horizon (H2 2024).
CREATE OR REPLACE TABLE churn_labels AS
SELECT * FROM churn_labels('orders', 'customer_id', 'order_date',
    DATE '${window_start:-2024-01-01}', DATE '${cutoff:-2024-06-30}', DATE '${horizon_end:-2024-12-31}');

SELECT count(*) AS labelled, sum(is_churned) AS churned, round(100.0 * avg(is_churned), 1) AS churn_pct
FROM churn_labels;

SELECT c.segment, count(*) AS labelled, sum(l.is_churned) AS churned,
       round(100.0 * avg(l.is_churned), 1) AS churn_pct
FROM churn_labels l JOIN customers c ON c.customer_id = l.customer_id
GROUP BY c.segment ORDER BY churn_pct DESC;
