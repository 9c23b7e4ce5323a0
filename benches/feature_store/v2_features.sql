-- Feature set v2 of the seed (8 features) as one query, run verbatim by Firn (as the
-- body of CREATE FEATURE VIEW … MATERIALIZED) and by DuckDB (as CREATE TABLE … AS).
WITH history AS (
    SELECT customer_id,
           DATE '2024-06-30' - max(order_date)                                              AS days_since_last_order,
           count(*)                                                                          AS total_order_count,
           count(*) FILTER (WHERE order_date >= DATE '2024-01-01')                          AS order_count_2024,
           sum(order_amount)                                                                 AS total_order_amount,
           avg(order_amount)                                                                 AS avg_order_amount,
           coalesce(sum(order_amount) FILTER (WHERE order_date >= DATE '2024-01-01'), 0.0)  AS total_amount_2024,
           avg(CASE WHEN status = 'RETURNED' THEN 1.0 ELSE 0.0 END)                         AS return_rate
    FROM orders
    WHERE order_date <= DATE '2024-06-30'
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
FROM customers c LEFT JOIN history h ON h.customer_id = c.customer_id
