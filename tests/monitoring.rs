//! `drift_report` against an independent computation: the seed data
//! (`../shared/seed-data`) made into per-customer features, a model trained on
//! them, and the same features shifted by known amounts (total +50000 cents,
//! average ×1.25, region 'West' renamed) — every psi, ks, null rate,
//! out-of-range share and unseen-category count must equal what
//! `tests/monitoring/drift_check.py` (plain Python from the README's
//! definitions, in the test venv) computes, to 1e-9; with the training table
//! present (ks from the training rows) and dropped (ks from the percentiles).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

#[path = "support/test_env.rs"]
#[allow(dead_code)]
mod test_env;

#[path = "flight_sql/harness.rs"]
#[allow(dead_code)] // the Flight SQL tests use the rest
mod harness;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use firnml::Database;
use firnml::arrow::array::{Array, AsArray, RecordBatch};
use firnml::arrow::compute::{cast, concat_batches};
use firnml::arrow::datatypes::{DataType, Float64Type, Int64Type};

const SEED_DIR: &str = "../shared/seed-data";

const FEATURES: &str = "
CREATE TABLE seed_features AS
SELECT c.customer_id, c.segment, c.region,
       count(o.order_id) AS order_count,
       coalesce(sum(CAST(round(o.order_amount * 100) AS BIGINT)), 0) AS total_cents,
       CAST(sum(CAST(round(o.order_amount * 100) AS BIGINT)) AS DOUBLE) / CAST(count(o.order_id) AS DOUBLE) AS avg_cents,
       CAST(sum(CASE WHEN o.status = 'RETURNED' THEN CAST(round(o.order_amount * 100) AS BIGINT) END) AS DOUBLE) AS returned_cents,
       CASE WHEN sum(CASE WHEN o.status = 'CANCELLED' THEN 1 ELSE 0 END) > 0 THEN 1 ELSE 0 END AS label
FROM customers_csv c LEFT JOIN orders_csv o ON o.customer_id = c.customer_id
GROUP BY c.customer_id, c.segment, c.region";

/// The known shifts (the Python script applies the same ones).
const SHIFTED: &str = "SELECT customer_id, segment, \
     CASE WHEN region = ''West'' THEN ''Northwest'' ELSE region END AS region, order_count, \
     total_cents + 50000 AS total_cents, avg_cents * 1.25 AS avg_cents, returned_cents, label \
     FROM seed_features";

const PREDICT: &str =
    "predict('sm', segment, region, order_count, total_cents, avg_cents, returned_cents)";

async fn one_batch(db: &Database, sql: &str) -> RecordBatch {
    let batches = db.sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    concat_batches(&batches[0].schema(), &batches).expect("one batch")
}

fn numbers(batch: &RecordBatch, column: &str) -> Vec<Option<f64>> {
    let array = cast(
        batch.column_by_name(column).expect(column),
        &DataType::Float64,
    )
    .expect("f64");
    array.as_primitive::<Float64Type>().iter().collect()
}

/// The report as feature → column → value (NULL as `None`).
async fn report(db: &Database, sql: &str) -> HashMap<String, HashMap<String, Option<f64>>> {
    let batch = one_batch(db, sql).await;
    let features = batch.column_by_name("feature").expect("feature");
    let features = cast(features, &DataType::Utf8).expect("text");
    let columns = [
        "psi",
        "ks",
        "null_rate_train",
        "null_rate_now",
        "out_of_range_share",
    ];
    let values: Vec<Vec<Option<f64>>> = columns.iter().map(|c| numbers(&batch, c)).collect();
    let unseen = batch
        .column_by_name("unseen_categories")
        .expect("unseen")
        .as_primitive::<Int64Type>()
        .clone();
    let flagged = batch
        .column_by_name("flagged")
        .expect("flagged")
        .as_boolean()
        .clone();
    let mut out = HashMap::new();
    for (row, feature) in features.as_string::<i32>().iter().enumerate() {
        let mut row_values: HashMap<String, Option<f64>> = columns
            .iter()
            .zip(&values)
            .map(|(c, v)| (c.to_string(), v[row]))
            .collect();
        row_values.insert(
            "unseen_categories".into(),
            (!unseen.is_null(row)).then(|| unseen.value(row) as f64),
        );
        row_values.insert(
            "flagged".into(),
            Some(f64::from(u8::from(flagged.value(row)))),
        );
        out.insert(feature.expect("feature").to_string(), row_values);
    }
    out
}

fn python_report(predictions: &Path) -> serde_json::Value {
    let output = Command::new(harness::python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/monitoring/drift_check.py"))
        .env(
            "FIRN_SEED_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join(SEED_DIR),
        )
        .env("FIRN_PREDICTIONS", predictions)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "drift_check.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("JSON")
}

/// Compares one report column with the Python value of `key` for every feature.
fn compare(
    firn: &HashMap<String, HashMap<String, Option<f64>>>,
    python: &serde_json::Value,
    column: &str,
    key: &str,
) {
    let expected = python.as_object().expect("object");
    assert_eq!(firn.len(), expected.len(), "features: {:?}", firn.keys());
    for (feature, values) in expected {
        let want = values[key].as_f64();
        let got = firn[feature][column];
        match (got, want) {
            (Some(got), Some(want)) => assert!(
                (got - want).abs() <= 1e-9,
                "{feature}.{column}: firn {got}, python {want}"
            ),
            (None, None) => {}
            other => panic!("{feature}.{column}: firn/python {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_report_matches_an_independent_computation_on_the_seed_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::open(dir.path().join("db").to_string_lossy())
        .await
        .expect("db");
    for table in ["customers", "orders"] {
        db.sql(&format!(
            "CREATE EXTERNAL TABLE {table}_csv STORED AS CSV LOCATION '{SEED_DIR}/{table}.csv' \
             OPTIONS ('format.has_header' 'true')"
        ))
        .await
        .expect("seed data");
    }
    db.sql(FEATURES).await.expect("features");
    db.sql("CREATE TABLE train_rows AS SELECT * FROM seed_features")
        .await
        .expect("copy");
    db.sql(
        "CREATE MODEL sm OPTIONS (type 'gbdt_classifier', label 'label', exclude 'customer_id', \
         n_estimators 20, max_depth 4, seed 11) AS SELECT * FROM train_rows",
    )
    .await
    .expect("model");

    // The training data itself: psi and ks 0, nothing flagged.
    let same = report(&db, "SELECT * FROM drift_report('sm', 'seed_features')").await;
    assert_eq!(same.len(), 7, "six features and the prediction");
    for (feature, values) in &same {
        assert_eq!(values["psi"], Some(0.0), "{feature}");
        assert_eq!(values["flagged"], Some(0.0), "{feature}");
        if values["ks"].is_some() {
            assert_eq!(values["ks"], Some(0.0), "{feature}");
        }
    }

    // The model's predictions on the training rows and on the shifted rows.
    let train = numbers(
        &one_batch(&db, &format!("SELECT {PREDICT} AS p FROM train_rows")).await,
        "p",
    );
    let now_sql = format!(
        "SELECT {PREDICT} AS p FROM ({})",
        SHIFTED.replace("''", "'")
    );
    let now = numbers(&one_batch(&db, &now_sql).await, "p");
    let predictions = dir.path().join("predictions.json");
    std::fs::write(
        &predictions,
        serde_json::to_vec(&serde_json::json!({"train": train, "now": now})).expect("json"),
    )
    .expect("predictions");
    let python = python_report(&predictions);

    let drift = format!("SELECT * FROM drift_report('sm', '{SHIFTED}')");
    let firn = report(&db, &drift).await;
    for column in [
        "psi",
        "null_rate_train",
        "null_rate_now",
        "out_of_range_share",
        "unseen_categories",
    ] {
        compare(&firn, &python, column, column);
    }
    compare(&firn, &python, "ks", "ks_rows");
    // The shifted features are flagged, the others are not.
    let flagged: Vec<&str> = [
        "segment",
        "region",
        "order_count",
        "total_cents",
        "avg_cents",
        "returned_cents",
    ]
    .into_iter()
    .filter(|f| firn[*f]["flagged"] == Some(1.0))
    .collect();
    assert_eq!(flagged, ["region", "total_cents", "avg_cents"], "{firn:?}");
    assert_eq!(firn["region"]["unseen_categories"], Some(1.0));

    // Without the training rows, ks comes from the stored percentiles.
    db.sql("DROP TABLE train_rows").await.expect("drop");
    let firn = report(&db, &drift).await;
    compare(&firn, &python, "psi", "psi");
    compare(&firn, &python, "ks", "ks_percentiles");
}

/// Monitor definitions and their results are stored in the database: both
/// survive reopening it, and a run after reopening appends to the same table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitors_and_their_results_survive_reopening_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db");
    let path = path.to_str().expect("utf-8");
    let count = |db: Database, sql: &'static str| async move {
        let batch = one_batch(&db, sql).await;
        batch.column(0).as_primitive::<Int64Type>().value(0)
    };
    {
        let db = Database::open(path).await.expect("open");
        db.sql(
            "CREATE TABLE t AS SELECT value AS id, CAST(value % 20 AS DOUBLE) AS x, \
             CASE WHEN value % 20 >= 10 THEN 1 ELSE 0 END AS y, \
             CAST(make_date(2024, 1 + CAST(value % 2 AS INT), 1) AS TIMESTAMP) AS ts \
             FROM generate_series(1, 200)",
        )
        .await
        .expect("table");
        db.sql(
            "CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id, ts', \
             n_estimators 3) AS SELECT * FROM t",
        )
        .await
        .expect("model");
        db.sql(
            "CREATE MONITOR w ON MODEL m DATA 't' LABEL y TIMESTAMP ts OPTIONS (period 'month')",
        )
        .await
        .expect("monitor");
        db.sql("RUN MONITOR w").await.expect("run");
        assert_eq!(
            count(db.clone(), "SELECT count(*) FROM firn.monitor_results").await,
            2 + 2 * 12,
            "x and the prediction drift, 12 metrics in each of 2 months"
        );
    }
    let db = Database::open(path).await.expect("reopen");
    let monitors = one_batch(
        &db,
        "SELECT monitor, model, label, timestamp_column, options FROM firn.monitors",
    )
    .await;
    let text = |i: usize| -> String {
        let column = cast(monitors.column(i), &DataType::Utf8).expect("text");
        column.as_string::<i32>().value(0).to_string()
    };
    assert_eq!(
        (text(0), text(1), text(2), text(3), text(4)),
        (
            "w".to_string(),
            "m".to_string(),
            "y".to_string(),
            "ts".to_string(),
            "period=month".to_string()
        )
    );
    assert_eq!(
        count(
            db.clone(),
            "SELECT count(*) FROM firn.monitor_results WHERE kind = 'metric' AND period IS NOT NULL"
        )
        .await,
        24
    );
    db.sql("SELECT * FROM run_monitor('w')")
        .await
        .expect("run after reopening");
    assert_eq!(
        count(
            db.clone(),
            "SELECT count(DISTINCT run_at) FROM firn.monitor_results"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            db.clone(),
            "SELECT count(*) FROM firn.runs WHERE experiment = 'monitor.w'"
        )
        .await,
        2
    );
}
