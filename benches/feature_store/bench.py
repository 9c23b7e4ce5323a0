"""Firn's feature store beside DuckDB on the generated data (see run.sh).

Both engines load the same CSVs (untimed), then the timed steps run in the same
process run, alternating engines, each repeated --reps times; medians are printed
as a markdown table. Firn runs as `firn DB -q -c '\timing on' -c SQL`: its time is
the statement's, as the shell's timing reports it (the same span as DuckDB's
`execute`), and the wall time of the whole process (start, database open,
statement) is shown beside it. DuckDB runs in this process on a database file
with the same thread count.

  1. build feature set v2 (8 features of every customer; Firn: a MATERIALIZED
     feature view version, written as Parquet and checked for unique keys; DuckDB:
     CREATE TABLE AS the same query)
  2. the training set: every customer with a label, joined with v2 on the key,
     missing values filled (Firn: training_set(); DuckDB: LEFT JOIN + coalesce)
  3. point in time: a spine of one row per customer at a random date in 2024,
     joined with 12 monthly snapshots per customer (Firn: training_set() over a
     TIMESTAMP feature view; DuckDB: ASOF LEFT JOIN)
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))
V2_SQL = open(os.path.join(HERE, "v2_features.sql")).read()
V2_SQL = "\n".join(line for line in V2_SQL.splitlines() if not line.startswith("--"))
FEATURES = [
    "days_since_last_order", "total_order_count", "order_count_2024", "total_order_amount",
    "avg_order_amount", "total_amount_2024", "return_rate",
]

# The spine: every customer, at a day of 2024 derived from its id, labelled by
# whether it orders in the 90 days after that day (a label, not a model target
# anyone would ship; the join is what is measured).
SPINE_SQL = """
CREATE TABLE pit_spine AS
WITH s AS (SELECT customer_id, {as_of} AS as_of FROM customers)
SELECT s.customer_id, s.as_of, CASE WHEN count(o.order_date) = 0 THEN 1 ELSE 0 END AS is_churned
FROM s LEFT JOIN orders o
  ON o.customer_id = s.customer_id AND o.order_date > s.as_of AND o.order_date <= s.as_of + INTERVAL '90 days'
GROUP BY s.customer_id, s.as_of
"""
# Day number 0-329 of the customer, from its id (CUST_0000123 -> 123 % 330).
DAY = "CAST(CAST(substr(customer_id, 6) AS BIGINT) % 330 AS INT)"
FIRN_AS_OF = f"CAST(CAST(DATE '2024-01-15' AS INT) + {DAY} AS DATE)"
DUCK_AS_OF = f"DATE '2024-01-15' + {DAY}"

# 12 monthly snapshots per customer: orders and spend before the first of each month of 2024.
SNAPSHOTS_SQL = """
WITH months AS (
    SELECT CAST(value AS DATE) AS snapshot_date FROM {months}
),
monthly AS (
    SELECT customer_id, CAST(date_trunc('month', order_date) AS DATE) AS month,
           count(*) AS n, sum(order_amount) AS amount
    FROM orders GROUP BY 1, 2
),
grid AS (
    SELECT c.customer_id, m.snapshot_date FROM customers c CROSS JOIN months m
)
SELECT g.customer_id, g.snapshot_date,
       CAST(coalesce(sum(x.n), 0) AS BIGINT) AS orders_to_date,
       coalesce(sum(x.amount), 0.0) AS amount_to_date,
       CAST(coalesce(sum(x.n) FILTER (WHERE x.month >= g.snapshot_date - INTERVAL '3 months'), 0) AS BIGINT) AS orders_3m
FROM grid g LEFT JOIN monthly x ON x.customer_id = g.customer_id AND x.month < g.snapshot_date
GROUP BY g.customer_id, g.snapshot_date
"""


def cpu_idle_pct(seconds=2.0):
    """Percent of CPU time idle over the next `seconds`, from /proc/stat."""
    def sample():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        idle = values[3] + values[4]
        return idle, sum(values[:8])
    idle1, total1 = sample()
    time.sleep(seconds)
    idle2, total2 = sample()
    return 100.0 * (idle2 - idle1) / max(total2 - total1, 1)


def wait_quiet(max_wait):
    """Waits (up to max_wait s) for >= 90 % idle CPUs; True if the machine was quiet."""
    deadline = time.time() + max_wait
    while True:
        if cpu_idle_pct() >= 90.0:
            return True
        if time.time() >= deadline:
            return False


def firn_months():
    return "generate_series(DATE '2024-01-01', DATE '2024-12-01', INTERVAL '1 month')"


def duck_months():
    return "generate_series(DATE '2024-01-01', DATE '2024-12-01', INTERVAL '1 month') AS t(value)"


class Firn:
    name = "Firn"

    def __init__(self, binary, db):
        self.binary, self.db = binary, db

    def run(self, sql):
        """(statement seconds as the shell times it, wall seconds of the process, output)."""
        start = time.perf_counter()
        done = subprocess.run([self.binary, self.db, "-q", "-c", "\\timing on", "-c", sql],
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"firn failed on:\n{sql}\n{done.stderr}")
        footers = re.findall(r" in ([0-9.]+) (ms|s)$", done.stdout, re.MULTILINE)
        if not footers:
            sys.exit(f"no timing footer in firn's output:\n{done.stdout}")
        value, unit = footers[-1]
        statement = float(value) / (1000.0 if unit == "ms" else 1.0)
        return statement, wall, done.stdout

    def scalar(self, sql):
        _, _, out = self.run(sql)
        rows = [l for l in out.splitlines() if l.startswith("|")]
        return rows[-1].strip("|").strip()


class Duck:
    name = "DuckDB"

    def __init__(self, path, threads):
        self.con = duckdb.connect(path)
        self.con.execute(f"SET threads = {threads}")

    def run(self, sql):
        start = time.perf_counter()
        self.con.execute(sql)
        elapsed = time.perf_counter() - start
        return elapsed, elapsed, None

    def scalar(self, sql):
        return str(self.con.execute(sql).fetchone()[0])


def load(firn, duck, data):
    customers, orders = os.path.join(data, "customers.csv"), os.path.join(data, "orders.csv")
    firn.run(f"""
        CREATE EXTERNAL TABLE customers_csv STORED AS CSV LOCATION '{customers}' OPTIONS ('format.has_header' 'true');
        CREATE EXTERNAL TABLE orders_csv STORED AS CSV LOCATION '{orders}' OPTIONS ('format.has_header' 'true');
        CREATE TABLE customers AS SELECT * FROM customers_csv;
        CREATE TABLE orders AS SELECT * FROM orders_csv;
        CREATE TABLE churn_labels AS SELECT * FROM churn_labels('orders', 'customer_id', 'order_date',
            DATE '2024-01-01', DATE '2024-06-30', DATE '2024-12-31');
        CREATE ENTITY customer KEYS (customer_id);""")
    duck.run(f"""
        CREATE TABLE customers AS SELECT * FROM read_csv('{customers}', header = true);
        CREATE TABLE orders AS SELECT * FROM read_csv('{orders}', header = true);
        CREATE TABLE churn_labels AS
        SELECT customer_id, CASE WHEN sum(CASE WHEN order_date > DATE '2024-06-30' THEN 1 ELSE 0 END) = 0 THEN 1 ELSE 0 END AS is_churned
        FROM orders WHERE order_date BETWEEN DATE '2024-01-01' AND DATE '2024-12-31'
        GROUP BY customer_id
        HAVING sum(CASE WHEN order_date <= DATE '2024-06-30' THEN 1 ELSE 0 END) > 0;""")
    firn.run(SPINE_SQL.format(as_of=FIRN_AS_OF))
    duck.run(SPINE_SQL.format(as_of=DUCK_AS_OF))
    firn.run("CREATE FEATURE VIEW monthly VERSION v1 ENTITY customer TIMESTAMP snapshot_date MATERIALIZED AS "
             + SNAPSHOTS_SQL.format(months=firn_months()))
    duck.run("CREATE TABLE monthly AS " + SNAPSHOTS_SQL.format(months=duck_months()))


STEPS = {
    "build v2": (
        "CREATE OR REPLACE FEATURE VIEW customer_features VERSION v2 ENTITY customer MATERIALIZED AS " + V2_SQL,
        "CREATE OR REPLACE TABLE customer_features_v2 AS " + V2_SQL,
    ),
    "training set (labels ⋈ v2)": (
        "CREATE OR REPLACE TABLE training_dataset AS SELECT * FROM training_set("
        "'churn_labels', 'customer_features:v2', 'fill=0', 'fill_text=unknown')",
        "CREATE OR REPLACE TABLE training_dataset AS SELECT l.customer_id, "
        + ", ".join(f"coalesce(f.{c}, 0) AS {c}" for c in FEATURES)
        + ", coalesce(f.segment, 'unknown') AS segment, l.is_churned "
        "FROM churn_labels l LEFT JOIN customer_features_v2 f ON f.customer_id = l.customer_id",
    ),
    "point-in-time set (spine × 12 snapshots)": (
        "CREATE OR REPLACE TABLE pit_training AS SELECT * FROM training_set("
        "'pit_spine', 'monthly:v1', 'spine_timestamp=as_of', 'fill=0')",
        "CREATE OR REPLACE TABLE pit_training AS SELECT s.customer_id, s.as_of, "
        "coalesce(m.orders_to_date, 0) AS orders_to_date, coalesce(m.amount_to_date, 0) AS amount_to_date, "
        "coalesce(m.orders_3m, 0) AS orders_3m, s.is_churned "
        "FROM pit_spine s ASOF LEFT JOIN monthly m ON s.customer_id = m.customer_id AND s.as_of >= m.snapshot_date",
    ),
}

CHECKS = [
    ("rows in v2", "SELECT count(*) FROM feature_view('customer_features', 'v2')", "SELECT count(*) FROM customer_features_v2"),
    ("rows in the training set", "SELECT count(*) FROM training_dataset", "SELECT count(*) FROM training_dataset"),
    ("sum of total_amount_2024 in the training set",
     "SELECT round(sum(total_amount_2024), 2) FROM training_dataset",
     "SELECT round(sum(total_amount_2024), 2) FROM training_dataset"),
    ("snapshot rows", "SELECT count(*) FROM feature_view('monthly', 'v1')", "SELECT count(*) FROM monthly"),
    ("rows in the point-in-time set", "SELECT count(*) FROM pit_training", "SELECT count(*) FROM pit_training"),
    ("sum of orders_to_date in the point-in-time set",
     "SELECT sum(orders_to_date) FROM pit_training", "SELECT sum(orders_to_date) FROM pit_training"),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--firn", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--quiet-wait", type=float, default=300.0,
                        help="seconds to wait for a quiet machine before each measurement")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="firn-fs-bench-")
    try:
        firn = Firn(args.firn, os.path.join(work, "bench.firn"))
        duck = Duck(os.path.join(work, "bench.duckdb"), args.threads)
        start = time.perf_counter()
        load(firn, duck, args.data)
        print(f"loaded in {time.perf_counter() - start:.1f} s (untimed setup)", file=sys.stderr)
        times = {step: {"Firn": [], "Firn wall": [], "DuckDB": []} for step in STEPS}
        measurements = busy = 0
        for rep in range(args.reps):
            for step, (firn_sql, duck_sql) in STEPS.items():
                for engine, sql in ((firn, firn_sql), (duck, duck_sql)):
                    measurements += 1
                    busy += 0 if wait_quiet(args.quiet_wait) else 1
                    elapsed, wall, _ = engine.run(sql)
                    times[step][engine.name].append(elapsed)
                    if engine is firn:
                        times[step]["Firn wall"].append(wall)
                    print(f"rep {rep + 1} {step} {engine.name}: {elapsed:.2f} s (wall {wall:.2f} s)",
                          file=sys.stderr)
        print("| step | Firn s | DuckDB s | Firn / DuckDB | Firn s with process start | ratio with process start |")
        print("|---|---|---|---|---|---|")
        totals = [0.0, 0.0, 0.0]
        for step in STEPS:
            f = statistics.median(times[step]["Firn"])
            w = statistics.median(times[step]["Firn wall"])
            d = statistics.median(times[step]["DuckDB"])
            print(f"| {step} | {f:.2f} | {d:.2f} | {f / d:.2f}× | {w:.2f} | {w / d:.2f}× |")
            if step != "point-in-time set (spine × 12 snapshots)":
                totals = [totals[0] + f, totals[1] + d, totals[2] + w]
        f, d, w = totals
        print(f"| build v2 + training set | {f:.2f} | {d:.2f} | {f / d:.2f}× | {w:.2f} | {w / d:.2f}× |")
        print()
        print("| check (same answer on both sides) | Firn | DuckDB |")
        print("|---|---|---|")
        for what, firn_sql, duck_sql in CHECKS:
            print(f"| {what} | {firn.scalar(firn_sql)} | {duck.scalar(duck_sql)} |")
        print()
        print(f"Medians of {args.reps} repetitions, {args.threads} threads, DuckDB {duckdb.__version__}; "
              "Firn s is the statement as the shell times it; 'with process start' adds starting firn and opening the database. "
              f"{measurements - busy} of {measurements} measurements started on a quiet machine (>= 90 % CPU idle).")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
