//! Models in SQL: a model trained through the library and published in the
//! registry is scored with `predict(…)` in queries, picks up a new default
//! version, and bad calls are planning errors.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

use firnml::Database;
use firnml::arrow::array::{Array, AsArray, RecordBatch};
use firnml::arrow::compute::concat_batches;
use firnml::arrow::datatypes::Float64Type;
use firnml::ml::{Dataset, GbdtParams, default_trainer};
use firnml::model::{CompactForest, Objective};
use firnml::registry::NewVersion;

const TRAINING: &str = "CREATE TABLE train AS
    SELECT x, CASE WHEN x % 7 < 3 THEN 'a' ELSE 'b' END AS kind,
           CASE WHEN (x % 10) + (CASE WHEN x % 7 < 3 THEN 4 ELSE 0 END) > 6 THEN 1 ELSE 0 END AS y
    FROM (SELECT CAST(value AS DOUBLE) AS x FROM generate_series(1, 400))";

async fn trained(db: &Database, n_estimators: usize) -> (Dataset, firnml::model::TreeEnsemble) {
    let batches = db
        .sql("SELECT x, kind, y FROM train ORDER BY x")
        .await
        .expect("training rows");
    let data =
        Dataset::for_training(&batches, "y", None, Objective::BinaryLogistic).expect("dataset");
    let params = GbdtParams {
        n_estimators,
        max_depth: 3,
        ..GbdtParams::default()
    };
    let model = default_trainer().fit(&data, &params).expect("fit");
    (data, model)
}

fn probabilities(batches: &[RecordBatch]) -> Vec<f64> {
    let batch = concat_batches(&batches[0].schema(), batches).expect("concat");
    batch
        .column(0)
        .as_primitive::<Float64Type>()
        .values()
        .to_vec()
}

#[tokio::test]
async fn predict_scores_registered_models_in_sql() {
    let db = Database::in_memory().await.expect("db");
    db.sql(TRAINING).await.expect("training table");
    let (data, v1) = trained(&db, 5).await;
    db.registry()
        .publish(&v1, NewVersion::new("churn", "v1"))
        .await
        .expect("publish v1");

    let sql = "SELECT predict('churn', x, kind) FROM train ORDER BY x";
    let got = probabilities(&db.sql(sql).await.expect("predict"));
    let margins = CompactForest::new(&v1).predict_margin(&data.column_slices());
    assert_eq!(got.len(), 400);
    for (g, m) in got.iter().zip(&margins) {
        assert!((g - Objective::BinaryLogistic.transform(*m)).abs() < 1e-12);
    }

    // A second version becomes the default: the next statement scores with it.
    let (_, v2) = trained(&db, 40).await;
    let registry = db.registry();
    registry
        .publish(&v2, NewVersion::new("churn", "v2"))
        .await
        .expect("publish v2");
    let still_v1 = probabilities(&db.sql(sql).await.expect("predict"));
    assert_eq!(still_v1, got, "publishing does not move the default");
    registry
        .set_default("churn", "v2")
        .await
        .expect("default v2");
    let now_v2 = probabilities(&db.sql(sql).await.expect("predict"));
    assert_ne!(now_v2, got);
    let pinned = probabilities(
        &db.sql("SELECT predict('churn@v1', x, kind) FROM train ORDER BY x")
            .await
            .expect("v1"),
    );
    assert_eq!(pinned, got);

    let labels = db
        .sql("SELECT sum(predict_label('churn', x, kind, 0.5)) FROM train")
        .await
        .expect("labels");
    assert!(
        labels[0]
            .column(0)
            .as_primitive::<firnml::arrow::datatypes::Int64Type>()
            .value(0)
            > 0
    );
}

#[tokio::test]
async fn bad_predict_calls_are_planning_errors() {
    let db = Database::in_memory().await.expect("db");
    db.sql(TRAINING).await.expect("training table");
    let (_, model) = trained(&db, 3).await;
    db.registry()
        .publish(&model, NewVersion::new("churn", "v1"))
        .await
        .expect("publish");
    let err = |sql: &'static str| {
        let db = db.clone();
        async move { db.sql(sql).await.expect_err("refused").to_string() }
    };
    let e = err("SELECT predict('nope', x, kind) FROM train").await;
    assert!(e.contains("nope"), "{e}");
    let e = err("SELECT predict('churn', x) FROM train").await;
    assert!(
        e.contains("takes 2 features, got 1; expected predict('churn@v1', x DOUBLE, kind VARCHAR)"),
        "{e}"
    );
    let e = err("SELECT predict('churn', kind, x) FROM train").await;
    assert!(e.contains("cannot take Utf8"), "{e}");
    let e = err("SELECT predict('churn@v9', x, kind) FROM train").await;
    assert!(e.contains("v9"), "{e}");
    let e = err("SELECT predict('../etc', x, kind) FROM train").await;
    assert!(e.contains("../etc"), "{e}");
}

/// The text of column `column` in every row of `sql`'s result, in order.
async fn texts(db: &Database, sql: &str) -> Vec<String> {
    let batches = db.sql(sql).await.expect(sql);
    let mut out = Vec::new();
    for batch in &batches {
        let column = firnml::arrow::compute::cast(
            batch.column(0),
            &firnml::arrow::datatypes::DataType::Utf8,
        )
        .expect("cast to text");
        let column = column.as_string::<i32>();
        out.extend((0..column.len()).map(|i| column.value(i).to_string()));
    }
    out
}

#[tokio::test]
async fn reopening_shows_the_same_models_versions_aliases_and_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let location = dir.path().join("db");
    let location = location.to_str().expect("utf-8 path");
    let before_reopen = {
        let db = Database::open(location).await.expect("create");
        db.sql(TRAINING).await.expect("training table");
        for (run, trees) in [("small", 3), ("large", 8)] {
            db.sql(&format!(
                "CREATE MODEL churn OPTIONS (type 'gbdt_classifier', label 'y', n_estimators {trees}, \
                 max_depth 2, seed 4, experiment 'exp', run '{run}') AS SELECT * FROM train"
            ))
            .await
            .expect("train");
        }
        db.sql(
            "ALTER MODEL churn SET DEFAULT VERSION v2; ALTER MODEL churn VERSION v1 SET ALIAS old; \
                ALTER MODEL churn VERSION v2 SET COMMENT 'bigger'",
        )
        .await
        .expect("pointers");
        db.sql("SELECT * FROM log_metric('exp', 'small', 'extra', 1.5)")
            .await
            .expect("log");
        texts(
            &db,
            "SELECT predict('churn', x, kind) FROM train ORDER BY x LIMIT 3",
        )
        .await
    };
    let db = Database::open(location).await.expect("reopen");
    assert_eq!(
        texts(
            &db,
            "SELECT model || ' ' || default_version || ' ' || aliases FROM firn.models"
        )
        .await,
        vec!["churn v2 old=v1"]
    );
    assert_eq!(
        texts(&db, "SELECT version || ':' || coalesce(comment, '-') FROM firn.model_versions ORDER BY version").await,
        vec!["v1:-", "v2:bigger"]
    );
    assert_eq!(
        texts(
            &db,
            "SELECT run || ' ' || model_version || ' ' || status FROM firn.runs ORDER BY run"
        )
        .await,
        vec!["large v2 FINISHED", "small v1 FINISHED"]
    );
    assert_eq!(
        texts(
            &db,
            "SELECT \"metrics.extra\" FROM compare_runs('exp') WHERE run = 'small'"
        )
        .await,
        vec!["1.5"]
    );
    assert_eq!(
        texts(
            &db,
            "SELECT predict('churn', x, kind) FROM train ORDER BY x LIMIT 3"
        )
        .await,
        before_reopen,
        "the default version scores the same after reopening"
    );
}
