"""The Python side of the seed-pipeline benchmark: `sql/pipeline.sql` done the way
a data scientist would do it in Python, with DuckDB + scikit-learn + XGBoost.

    python pipeline_peer.py --data-dir ../shared/seed-data --out-dir OUT [--threads 2] [--verbose]

Step for step what sql/01 … sql/06 do in Firn:
  01 load customers.csv and orders.csv into DuckDB tables, explore them, churn labels
     (ordered in 2024-01-01 … 2024-06-30; churned if no order in 2024-07-01 … 2024-12-31);
  02 feature sets v1 and v2 and the training set, in the same SQL; the point-in-time
     example: monthly snapshots written as zstd Parquet, a spine at two cutoffs, an
     as-of join with a 92-day lookback;
  03 80/20 stratified split (seed 42), RandomizedSearchCV (5 candidates × 3-fold CV, F1)
     refitted on the train part, 5-fold CV F1 of the best and of a default model, test
     metrics, confusion matrix, SHAP (XGBoost `pred_contribs`) over 500 training rows and
     for one churner;
  04 runs run_baseline, run_deeper, run_balanced logged (params, metrics, model) to a local
     file store, compared, the best picked;
  05 the registry: CUSTOMER_CHURN_PREDICTOR v1 and v2 saved as XGBoost JSON with a manifest
     (params, metrics, comment), v2 the default;
  06 every customer scored with the default version; probability >= 0.5, sorted, exported
     to CSV and Parquet.

The experiment store is a folder of JSON files, not MLflow (Firn's is built in; installing
and starting a tracking server would only add to the Python side's time).

Prints the key numbers, then one JSON line (timings and figures) for benches/pipeline.sh.
"""

import time

# The imports take a noticeable part of the run: timed apart from the work, before any of them.
STARTED = time.perf_counter()

import argparse
import json
import pathlib
import resource
import sys
from datetime import UTC, datetime

import duckdb
import numpy as np
import pandas as pd
import sklearn
import xgboost as xgb
from scipy.stats import randint, uniform
from sklearn.base import clone
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import RandomizedSearchCV, cross_val_score, train_test_split
from xgboost import XGBClassifier

IMPORTED = time.perf_counter()

SEED = 42
WINDOW_START, CUTOFF, HORIZON_END = "2024-01-01", "2024-06-30", "2024-12-31"
FEATURES = [
    "days_since_last_order",
    "total_order_count",
    "order_count_2024",
    "total_order_amount",
    "avg_order_amount",
    "total_amount_2024",
    "return_rate",
    "segment",
]
LABEL = "is_churned"
THRESHOLD = 0.5


# ---------------------------------------------------------------- helpers


class Stages:
    """Wall seconds, CPU seconds (every thread of the process) and the peak resident
    memory so far (MiB) at the end of each pipeline step."""

    def __init__(self):
        self.seconds, self.cpu_seconds, self.peak_mib = {}, {}, {}
        self._last, self._last_cpu = time.perf_counter(), time.process_time()

    def done(self, name):
        now, cpu = time.perf_counter(), time.process_time()
        self.seconds[name], self.cpu_seconds[name] = now - self._last, cpu - self._last_cpu
        # ru_maxrss is in KiB on Linux.
        self.peak_mib[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self._last, self._last_cpu = now, cpu


class Notebook:
    """What a notebook would display; printed only with --verbose."""

    def __init__(self, verbose):
        self.verbose = verbose

    def show(self, title, value):
        if self.verbose:
            print(f"\n-- {title}")
            print(value.to_string(index=False) if isinstance(value, pd.DataFrame) else value)


class RunStore:
    """A minimal local experiment store: one folder per run with params, metrics and the model."""

    def __init__(self, root):
        self.root = root

    def log_run(self, experiment, run, params, metrics, model=None, parent=None, **tags):
        folder = self.root / experiment / run
        folder.mkdir(parents=True, exist_ok=True)
        record = {
            "experiment": experiment,
            "run": run,
            "parent_run": parent,
            "created_at": datetime.now(UTC).isoformat(),
            "params": {k: _plain(v) for k, v in params.items()},
            "metrics": {k: _plain(v) for k, v in metrics.items()},
            "tags": tags,
        }
        if model is not None:
            model.save_model(folder / "model.json")
            record["artifact"] = "model.json"
        (folder / "run.json").write_text(json.dumps(record, indent=2))
        return record

    def add_metric(self, experiment, run, name, value):
        path = self.root / experiment / run / "run.json"
        record = json.loads(path.read_text())
        record["metrics"][name] = _plain(value)
        path.write_text(json.dumps(record, indent=2))

    def runs(self, experiment):
        records = [json.loads(p.read_text()) for p in sorted((self.root / experiment).glob("*/run.json"))]
        return pd.json_normalize(records)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def encode(frame, categories):
    """Model inputs: the segment as its position among the training categories (as Firn codes it)."""
    x = frame[FEATURES].copy()
    x["segment"] = pd.Categorical(x["segment"], categories=categories).codes.astype("float64")
    x.loc[x["segment"] < 0, "segment"] = np.nan
    return x.astype("float64")


def classifier(threads, **params):
    return XGBClassifier(tree_method="hist", n_jobs=threads, random_state=SEED, **params)


def test_metrics(model, x, y):
    probability = model.predict_proba(x)[:, 1]
    predicted = (probability >= THRESHOLD).astype(int)
    return {
        "accuracy": accuracy_score(y, predicted),
        "precision": precision_score(y, predicted, zero_division=0),
        "recall": recall_score(y, predicted, zero_division=0),
        "f1": f1_score(y, predicted, zero_division=0),
        "roc_auc": roc_auc_score(y, probability),
    }


def fit_timed(model, x, y):
    started = time.perf_counter()
    model.fit(x, y)
    return model, time.perf_counter() - started


def fingerprint(frame):
    return f"{pd.util.hash_pandas_object(frame, index=True).sum() & 0xFFFFFFFFFFFFFFFF:016x}"


# ---------------------------------------------------------------- 01 data and labels


def churn_labels_sql(start, cutoff, end):
    """customer_id, is_churned of every customer who ordered in [start, cutoff]: 1 when
    silent over (cutoff, end] (Firn's churn_labels)."""
    return f"""
        SELECT customer_id,
               CASE WHEN count(*) FILTER (WHERE order_date > DATE '{cutoff}') = 0 THEN 1 ELSE 0 END AS is_churned
        FROM orders
        WHERE order_date BETWEEN DATE '{start}' AND DATE '{end}'
        GROUP BY customer_id
        HAVING count(*) FILTER (WHERE order_date <= DATE '{cutoff}') > 0
    """


def load_and_label(con, data_dir, nb):
    for table in ("customers", "orders"):
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS "
            f"SELECT * FROM read_csv('{data_dir / (table + '.csv')}', header = true, normalize_names = true)"
        )
    nb.show(
        "rows",
        con.sql("SELECT (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM orders) AS orders").df(),
    )
    nb.show(
        "segments",
        con.sql(
            "SELECT segment, count(*) AS customers, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct "
            "FROM customers GROUP BY segment ORDER BY segment"
        ).df(),
    )
    nb.show(
        "regions", con.sql("SELECT region, count(*) AS customers FROM customers GROUP BY region ORDER BY region").df()
    )
    nb.show(
        "order dates",
        con.sql(
            "SELECT min(order_date) AS first_order, max(order_date) AS last_order, "
            "count(DISTINCT customer_id) AS ordering_customers FROM orders"
        ).df(),
    )
    nb.show(
        "statuses",
        con.sql(
            "SELECT status, count(*) AS orders, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct "
            "FROM orders GROUP BY status ORDER BY orders DESC"
        ).df(),
    )
    nb.show(
        "orders by month",
        con.sql(
            "SELECT CAST(date_trunc('month', order_date) AS DATE) AS month, count(*) AS orders, "
            "round(sum(order_amount), 2) AS amount FROM orders GROUP BY 1 ORDER BY 1"
        ).df(),
    )
    nb.show(
        "order amounts",
        con.sql(
            "SELECT round(min(order_amount), 2) AS min_amount, round(max(order_amount), 2) AS max_amount, "
            "round(avg(order_amount), 2) AS avg_amount, round(stddev(order_amount), 2) AS stddev_amount, "
            "round(approx_quantile(order_amount, 0.5), 2) AS median_amount FROM orders"
        ).df(),
    )
    # Churn: ordered in the window (H1 2024) and silent over the horizon (H2 2024).
    con.execute("CREATE OR REPLACE TABLE churn_labels AS " + churn_labels_sql(WINDOW_START, CUTOFF, HORIZON_END))
    nb.show(
        "labels",
        con.sql(
            "SELECT count(*) AS labelled, sum(is_churned) AS churned, round(100.0 * avg(is_churned), 1) AS churn_pct "
            "FROM churn_labels"
        ).df(),
    )
    nb.show(
        "churn by segment",
        con.sql(
            "SELECT c.segment, count(*) AS labelled, sum(l.is_churned) AS churned, "
            "round(100.0 * avg(l.is_churned), 1) AS churn_pct "
            "FROM churn_labels l JOIN customers c ON c.customer_id = l.customer_id "
            "GROUP BY c.segment ORDER BY churn_pct DESC"
        ).df(),
    )


# ---------------------------------------------------------------- 02 features


def build_features(con, nb):
    con.execute(f"""
        CREATE OR REPLACE TABLE customer_features_v1 AS
        WITH history AS (
            SELECT customer_id,
                   DATE '{CUTOFF}' - max(order_date)                              AS days_since_last_order,
                   count(*)                                                        AS total_order_count,
                   count(*) FILTER (WHERE order_date >= DATE '{WINDOW_START}')    AS order_count_2024,
                   sum(order_amount)                                               AS total_order_amount,
                   avg(order_amount)                                               AS avg_order_amount
            FROM orders
            WHERE order_date <= DATE '{CUTOFF}'
            GROUP BY customer_id
        )
        SELECT c.customer_id,
               coalesce(h.days_since_last_order, 0)  AS days_since_last_order,
               coalesce(h.total_order_count, 0)      AS total_order_count,
               coalesce(h.order_count_2024, 0)       AS order_count_2024,
               coalesce(h.total_order_amount, 0.0)   AS total_order_amount,
               coalesce(h.avg_order_amount, 0.0)     AS avg_order_amount
        FROM customers c LEFT JOIN history h ON h.customer_id = c.customer_id
    """)
    con.execute(f"""
        CREATE OR REPLACE TABLE customer_features_v2 AS
        WITH recent AS (
            SELECT customer_id,
                   coalesce(sum(order_amount) FILTER (WHERE order_date >= DATE '{WINDOW_START}'), 0.0) AS total_amount_2024,
                   avg(CASE WHEN status = 'RETURNED' THEN 1.0 ELSE 0.0 END)                            AS return_rate
            FROM orders
            WHERE order_date <= DATE '{CUTOFF}'
            GROUP BY customer_id
        )
        SELECT v1.*,
               coalesce(r.total_amount_2024, 0.0) AS total_amount_2024,
               coalesce(r.return_rate, 0.0)       AS return_rate,
               c.segment
        FROM customer_features_v1 v1
        JOIN customers c ON c.customer_id = v1.customer_id
        LEFT JOIN recent r ON r.customer_id = v1.customer_id
    """)
    con.execute("""
        CREATE OR REPLACE TABLE training_dataset AS
        SELECT l.customer_id, f.days_since_last_order, f.total_order_count, f.order_count_2024,
               f.total_order_amount, f.avg_order_amount, f.total_amount_2024, f.return_rate, f.segment,
               l.is_churned
        FROM churn_labels l JOIN customer_features_v2 f ON f.customer_id = l.customer_id
    """)
    nb.show("training set", con.sql("SELECT count(*) AS rows, sum(is_churned) AS churned FROM training_dataset").df())
    nb.show(
        "by label",
        con.sql(
            "SELECT is_churned, round(avg(days_since_last_order), 1) AS avg_days_since_last_order, "
            "round(avg(total_order_count), 2) AS avg_orders, round(avg(total_amount_2024), 2) AS avg_amount_2024, "
            "round(avg(return_rate), 3) AS avg_return_rate FROM training_dataset GROUP BY is_churned ORDER BY is_churned"
        ).df(),
    )
    return con.sql("SELECT * FROM training_dataset ORDER BY customer_id").df().set_index("customer_id")


def point_in_time(con, out_dir, nb):
    """sql/02's second example: monthly feature snapshots (written as zstd Parquet, as
    Firn's MATERIALIZED view is), a spine of labels at two cutoffs, and an as-of join
    (the latest snapshot on or before each row's time, none older than 92 days)."""
    con.execute("""
        CREATE OR REPLACE TABLE customer_monthly AS
        WITH snapshots AS (
            SELECT CAST(generate_series AS DATE) AS snapshot_date
            FROM generate_series(TIMESTAMP '2023-01-01', TIMESTAMP '2025-01-01', INTERVAL 1 MONTH)
        )
        SELECT o.customer_id,
               s.snapshot_date,
               count(*)                                                                     AS orders_to_date,
               count(*) FILTER (WHERE o.order_date >= s.snapshot_date - INTERVAL 90 DAY)    AS orders_90d,
               coalesce(sum(o.order_amount) FILTER (WHERE o.order_date >= s.snapshot_date - INTERVAL 90 DAY), 0.0)
                                                                                            AS amount_90d,
               s.snapshot_date - max(o.order_date)                                          AS days_since_last_order
        FROM snapshots s JOIN orders o ON o.order_date < s.snapshot_date
        GROUP BY o.customer_id, s.snapshot_date
    """)
    snapshot = out_dir / "customer_monthly.parquet"
    con.execute(f"COPY customer_monthly TO '{snapshot}' (FORMAT parquet, COMPRESSION zstd)")
    def labels_at(as_of, start, cutoff, end):
        return f"SELECT customer_id, DATE '{as_of}' AS as_of, is_churned FROM ({churn_labels_sql(start, cutoff, end)})"

    con.execute(
        "CREATE OR REPLACE TABLE churn_spine AS "
        + labels_at("2024-04-01", "2023-10-01", "2024-03-31", "2024-09-30")
        + " UNION ALL "
        + labels_at("2024-07-01", "2024-01-01", "2024-06-30", "2024-12-31")
    )
    con.execute("""
        CREATE OR REPLACE TABLE training_dataset_pit AS
        SELECT sp.customer_id, sp.as_of, sp.is_churned,
               CASE WHEN fresh THEN m.orders_to_date ELSE 0 END        AS orders_to_date,
               CASE WHEN fresh THEN m.orders_90d ELSE 0 END            AS orders_90d,
               CASE WHEN fresh THEN m.amount_90d ELSE 0.0 END          AS amount_90d,
               CASE WHEN fresh THEN m.days_since_last_order ELSE 0 END AS days_since_last_order,
               CASE WHEN fresh THEN m.snapshot_date END                AS customer_monthly__feature_timestamp
        FROM churn_spine sp
        ASOF LEFT JOIN read_parquet('%s') m
          ON m.customer_id = sp.customer_id AND m.snapshot_date <= sp.as_of,
        LATERAL (SELECT coalesce(m.snapshot_date >= sp.as_of - INTERVAL 92 DAY, false) AS fresh)
    """ % snapshot)
    nb.show(
        "point in time",
        con.sql(
            "SELECT as_of, customer_monthly__feature_timestamp AS snapshot_used, count(*) AS rows, "
            "sum(is_churned) AS churned, round(avg(orders_90d), 2) AS avg_orders_90d "
            "FROM training_dataset_pit GROUP BY 1, 2 ORDER BY 1, 2"
        ).df(),
    )
    nb.show(
        "no future snapshots",
        con.sql(
            "SELECT count(*) FILTER (WHERE customer_monthly__feature_timestamp > as_of) AS rows_after_spine_time, "
            "count(*) FILTER (WHERE customer_monthly__feature_timestamp > DATE '2024-07-01') AS rows_after_cutoff "
            "FROM training_dataset_pit"
        ).df(),
    )


# ---------------------------------------------------------------- 03 training


SEARCH_SPACE = {
    "max_depth": randint(3, 10),
    "learning_rate": uniform(0.01, 0.29),
    "n_estimators": randint(50, 300),
    "min_child_weight": randint(1, 10),
    "subsample": uniform(0.6, 0.4),
    "colsample_bytree": uniform(0.6, 0.4),
    "scale_pos_weight": uniform(1, 3),
}
DEFAULT_PARAMS = {"max_depth": 5, "learning_rate": 0.1, "n_estimators": 100, "scale_pos_weight": 2}


def train(split, store, threads, nb):
    x_train, x_test, y_train, y_test = split
    search = RandomizedSearchCV(
        classifier(threads), SEARCH_SPACE, n_iter=5, cv=3, scoring="f1", random_state=SEED, refit=True
    )
    started = time.perf_counter()
    search.fit(x_train, y_train)
    search_seconds = time.perf_counter() - started
    best = search.best_estimator_
    results = pd.DataFrame(search.cv_results_).sort_values("rank_test_score")
    for row in results.itertuples():
        store.log_run(
            "churn_model_training",
            f"random_search_candidate_{row.Index + 1}",
            row.params,
            {"cv_f1_mean": row.mean_test_score, "cv_f1_std": row.std_test_score},
            parent="random_search",
        )
    nb.show("search candidates, best first", results[["params", "mean_test_score", "std_test_score"]])

    default, default_fit = fit_timed(classifier(threads, **DEFAULT_PARAMS), x_train, y_train)
    cv = {
        "searched": cross_val_score(clone(best), x_train, y_train, cv=5, scoring="f1"),
        "default": cross_val_score(clone(default), x_train, y_train, cv=5, scoring="f1"),
    }
    nb.show(
        "5-fold CV F1 on the train part",
        pd.DataFrame(
            [{"model": k, "folds": len(v), "cv_f1_mean": v.mean(), "cv_f1_std": v.std()} for k, v in cv.items()]
        ),
    )
    metrics = {"searched": test_metrics(best, x_test, y_test), "default": test_metrics(default, x_test, y_test)}
    nb.show("test metrics", pd.DataFrame(metrics).T.reset_index(names="model"))
    store.log_run(
        "churn_model_training",
        "random_search",
        search.best_params_,
        {
            **metrics["searched"],
            "cv_f1_mean": cv["searched"].mean(),
            "cv_f1_std": cv["searched"].std(),
            "search_seconds": search_seconds,
        },
        model=best,
    )
    store.log_run(
        "churn_model_training",
        "default_model",
        DEFAULT_PARAMS,
        {
            **metrics["default"],
            "cv_f1_mean": cv["default"].mean(),
            "cv_f1_std": cv["default"].std(),
            "fit_seconds": default_fit,
        },
        model=default,
    )

    predicted = (best.predict_proba(x_test)[:, 1] >= THRESHOLD).astype(int)
    tn, fp, fn, tp = confusion_matrix(y_test, predicted).ravel()
    nb.show("confusion matrix", pd.DataFrame([{"tp": tp, "fn": fn, "fp": fp, "tn": tn}]))

    # SHAP: global importance over 500 training rows, then one churner's contributions.
    booster = best.get_booster()
    sample = x_train.sort_index().head(500)
    contributions = booster.predict(xgb.DMatrix(sample), pred_contribs=True)
    gain, weight = booster.get_score(importance_type="gain"), booster.get_score(importance_type="weight")
    importance = pd.DataFrame(
        {
            "feature": FEATURES,
            "mean_abs_shap": np.abs(contributions[:, :-1]).mean(axis=0),
            "gain": [gain.get(f, 0.0) for f in FEATURES],
            "weight": [weight.get(f, 0) for f in FEATURES],
        }
    ).sort_values("mean_abs_shap", ascending=False)
    nb.show("feature importance", importance)
    churner = x_test[y_test == 1].sort_index().head(1)
    row = booster.predict(xgb.DMatrix(churner), pred_contribs=True)[0]
    explained = pd.DataFrame({"feature": FEATURES, "value": churner.iloc[0].to_numpy(), "shap": row[:-1]})
    explained = explained.reindex(explained["shap"].abs().sort_values(ascending=False).index)
    explained.insert(0, "rank", range(1, len(FEATURES) + 1))
    nb.show(f"why {churner.index[0]} (p = {best.predict_proba(churner)[0, 1]:.4f})", explained)
    return {"search": search, "best": best, "metrics": metrics["searched"], "cv": cv, "tp_fn_fp_tn": (tp, fn, fp, tn)}


# ---------------------------------------------------------------- 04 experiments


EXPERIMENT_RUNS = [
    ("run_baseline", {"max_depth": 5, "learning_rate": 0.1, "n_estimators": 100, "scale_pos_weight": 2}, "baseline"),
    (
        "run_deeper",
        {"max_depth": 10, "learning_rate": 0.1, "n_estimators": 100, "scale_pos_weight": 2},
        "learn more complex patterns",
    ),
    (
        "run_balanced",
        {"max_depth": 5, "learning_rate": 0.1, "n_estimators": 150, "scale_pos_weight": 3},
        "raise recall",
    ),
]


def experiments(split, everyone, store, threads, data_fingerprint, nb):
    x_train, x_test, y_train, y_test = split
    experiment = "churn_prediction_experiment"
    for run, params, comment in EXPERIMENT_RUNS:
        model, fit_seconds = fit_timed(classifier(threads, **params), x_train, y_train)
        metrics = {**test_metrics(model, x_test, y_test), "fit_seconds": fit_seconds}
        store.log_run(experiment, run, params, metrics, model=model, comment=comment, fingerprint=data_fingerprint)
        # A value computed from the data joins the run's metrics: the share of customers flagged.
        store.add_metric(
            experiment, run, "flagged_share", float((model.predict_proba(everyone)[:, 1] >= THRESHOLD).mean())
        )
    # Best test F1 first; a tie keeps the order the runs were logged in (as Firn's compare_runs does).
    runs = store.runs(experiment).sort_values("created_at").sort_values("metrics.f1", ascending=False, kind="stable")
    nb.show("runs, best test F1 first", runs.filter(regex=r"^(run|params\.|metrics\.)"))
    best = runs.iloc[0]
    nb.show("best run", f"{best['run']}: f1 {best['metrics.f1']:.4f}")
    return runs


# ---------------------------------------------------------------- 05 registry


REGISTERED = [
    (
        "v1",
        {"max_depth": 5, "learning_rate": 0.1, "n_estimators": 150, "scale_pos_weight": 3},
        "balanced configuration from churn_prediction_experiment",
    ),
    ("v2", {"max_depth": 6, "learning_rate": 0.1, "n_estimators": 200, "scale_pos_weight": 3}, "parameter improvement"),
]


def register(split, categories, registry, store, threads, data_fingerprint, nb):
    x_train, x_test, y_train, y_test = split
    name = "customer_churn_predictor"
    for version, params, comment in REGISTERED:
        model, fit_seconds = fit_timed(classifier(threads, **params), x_train, y_train)
        metrics = test_metrics(model, x_test, y_test)
        folder = registry / name / version
        folder.mkdir(parents=True, exist_ok=True)
        model.save_model(folder / "model.json")
        manifest = {
            "model": name,
            "version": version,
            "signature": {"features": FEATURES, "segment_categories": categories, "label": LABEL},
            "params": params,
            "metrics": metrics,
            "comment": comment,
            "created_at": datetime.now(UTC).isoformat(),
            "fingerprint": data_fingerprint,
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
        store.log_run(name, version, params, {**metrics, "fit_seconds": fit_seconds}, comment=comment)
    pointers = {"default_version": "v2", "aliases": {"champion": "v2", "previous": "v1"}}
    (registry / name / "registry.json").write_text(json.dumps(pointers, indent=2))
    versions = pd.json_normalize(
        [json.loads((registry / name / v / "manifest.json").read_text()) for v, _, _ in REGISTERED]
    )
    nb.show("versions", versions.filter(regex=r"^(version|comment|metrics\.|params\.)"))


def load_registered(registry, name, version=None):
    folder = registry / name
    version = version or json.loads((folder / "registry.json").read_text())["default_version"]
    manifest = json.loads((folder / version / "manifest.json").read_text())
    model = XGBClassifier()
    model.load_model(folder / version / "model.json")
    return model, manifest


def score(model, manifest, frame):
    return model.predict_proba(encode(frame, manifest["signature"]["segment_categories"]))[:, 1]


# ---------------------------------------------------------------- 06 production


def production(con, registry, out_dir, data, nb):
    default, manifest = load_registered(registry, "customer_churn_predictor")
    v1, manifest_v1 = load_registered(registry, "customer_churn_predictor", "v1")
    first = data.head(5)
    nb.show(
        "registered models score",
        pd.DataFrame(
            {"p_default": score(default, manifest, first), "p_v1": score(v1, manifest_v1, first), LABEL: first[LABEL]},
            index=first.index,
        ).reset_index(),
    )
    customers = con.sql(
        "SELECT f.*, c.region FROM customer_features_v2 f JOIN customers c ON c.customer_id = f.customer_id"
    ).df()
    customers["churn_probability"] = score(default, manifest, customers)
    risk = (
        customers.loc[
            customers["churn_probability"] >= THRESHOLD, ["customer_id", "segment", "region", "churn_probability"]
        ]
        .sort_values(["churn_probability", "customer_id"], ascending=[False, True])
        .reset_index(drop=True)
    )
    nb.show("high-risk customers", f"{len(risk)}, average probability {risk['churn_probability'].mean():.4f}")
    nb.show("by segment", risk.groupby("segment").size().sort_values(ascending=False).reset_index(name="customers"))
    nb.show("top 10", risk.head(10))
    risk.to_csv(out_dir / "churn_risk_list.csv", index=False)
    risk.to_parquet(out_dir / "churn_risk_list.parquet", index=False)
    return risk, len(customers)


# ---------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=pathlib.Path, required=True, help="folder with customers.csv and orders.csv")
    parser.add_argument(
        "--out-dir", type=pathlib.Path, required=True, help="experiments, registry and risk list go here"
    )
    parser.add_argument("--threads", type=int, default=2, help="threads for DuckDB and XGBoost (default 2)")
    parser.add_argument(
        "--verbose", action="store_true", help="print every intermediate table, as a notebook shows them"
    )
    args = parser.parse_args()
    nb = Notebook(args.verbose)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    store, registry = RunStore(args.out_dir / "experiments"), args.out_dir / "models"
    stages = Stages()

    con = duckdb.connect(config={"threads": args.threads})
    load_and_label(con, args.data_dir, nb)
    stages.done("01 load and labels")
    data = build_features(con, nb)
    point_in_time(con, args.out_dir, nb)
    stages.done("02 features")

    categories = sorted(data["segment"].unique().tolist())
    x, y = encode(data, categories), data[LABEL].astype(int)
    split = train_test_split(x, y, test_size=0.2, random_state=SEED, stratify=y)
    data_fingerprint = fingerprint(data)
    trained = train(split, store, args.threads, nb)
    stages.done("03 training")
    runs = experiments(split, x, store, args.threads, data_fingerprint, nb)
    stages.done("04 experiments")
    register(split, categories, registry, store, args.threads, data_fingerprint, nb)
    stages.done("05 registry")
    risk, scored = production(con, registry, args.out_dir, data, nb)
    stages.done("06 production")
    finished = time.perf_counter()

    m, (tp, fn, fp, tn) = trained["metrics"], trained["tp_fn_fp_tn"]
    print(f"labelled customers {len(data)}, churned {int(y.sum())}; train {len(split[2])}, test {len(split[3])}")
    print(f"search best params {json.dumps({k: _plain(v) for k, v in trained['search'].best_params_.items()})}")
    print(
        f"searched model: test F1 {m['f1']:.4f}, ROC-AUC {m['roc_auc']:.4f}, recall {m['recall']:.4f}; "
        f"TP {tp} FN {fn} FP {fp} TN {tn}; 5-fold CV F1 {trained['cv']['searched'].mean():.4f} "
        f"(default model {trained['cv']['default'].mean():.4f})"
    )
    print(f"best experiment run {runs.iloc[0]['run']} (test F1 {runs.iloc[0]['metrics.f1']:.4f})")
    print(f"high-risk customers {len(risk)} (of {scored} scored) -> {args.out_dir / 'churn_risk_list.csv'}")
    print(
        f"seconds: imports {IMPORTED - STARTED:.3f}, work {finished - IMPORTED:.3f}; "
        + ", ".join(f"{k} {v:.3f}" for k, v in stages.seconds.items())
    )
    print(
        json.dumps(
            {
                "side": "python",
                "threads": args.threads,
                "versions": {
                    "python": sys.version.split()[0],
                    "duckdb": duckdb.__version__,
                    "xgboost": xgb.__version__,
                    "scikit-learn": sklearn.__version__,
                    "pandas": pd.__version__,
                },
                "import_seconds": IMPORTED - STARTED,
                "work_seconds": finished - IMPORTED,
                "stage_seconds": stages.seconds,
                "stage_cpu_seconds": stages.cpu_seconds,
                "stage_peak_mib": stages.peak_mib,
                "labelled": len(data),
                "test_f1": m["f1"],
                "test_auc": m["roc_auc"],
                "cv_f1_searched": trained["cv"]["searched"].mean(),
                "cv_f1_default": trained["cv"]["default"].mean(),
                "high_risk": len(risk),
            }
        )
    )


if __name__ == "__main__":
    main()
