use super::*;
use crate::Database;
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};

async fn database() -> Database {
    let db = Database::in_memory().await.expect("db");
    db.sql(
        "CREATE TABLE t AS SELECT value AS id, CAST(value % 50 AS DOUBLE) AS x, \
         CASE WHEN value % 3 = 0 THEN 'a' WHEN value % 3 = 1 THEN 'b' ELSE NULL END AS seg, \
         CAST((value % 50 > 20) <> (value % 3 = 0) AS INT) AS y FROM generate_series(1, 400)",
    )
    .await
    .expect("data");
    db.sql(
        "CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id', \
         n_estimators 15, max_depth 3, test_fraction 0) AS SELECT * FROM t",
    )
    .await
    .expect("model");
    db
}

fn column_f64(batches: &[RecordBatch], i: usize) -> Vec<f64> {
    batches
        .iter()
        .flat_map(|b| b.column(i).as_primitive::<Float64Type>().values().to_vec())
        .collect()
}

#[tokio::test]
async fn single_rows_score_like_sql_and_shap_adds_up() {
    let db = database().await;
    let batches = db
        .sql("SELECT id, x, seg, predict('m', x, seg) AS p FROM t ORDER BY id")
        .await
        .expect("sql scores");
    let scorer = db.scorer("m").await.expect("scorer");
    assert_eq!(scorer.features(), vec!["x", "seg"]);
    let sql_scores = column_f64(&batches, 3);
    let xs = column_f64(&batches, 1);
    let segments: Vec<Option<String>> = batches
        .iter()
        .flat_map(|b| {
            let text = cast(b.column(2), &DataType::Utf8).expect("text");
            let text = text.as_string::<i32>();
            text.iter()
                .map(|v| v.map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut row_index = 0;
    for ((x, seg), sql_score) in xs.iter().zip(segments).zip(&sql_scores) {
        let row = [FeatureValue::Number(*x), FeatureValue::from(seg)];
        let prediction = scorer.predict(&row).expect("predict");
        assert!(
            (prediction.value - sql_score).abs() < 1e-12,
            "row {row_index}"
        );
        let explained = scorer.explain(&row, 10).expect("explain");
        let total: f64 =
            explained.expected_value + explained.contributions.iter().map(|c| c.shap).sum::<f64>();
        assert!(
            (total - prediction.margin).abs() < 1e-9,
            "SHAP adds up to the margin"
        );
        row_index += 1;
    }
    assert_eq!(row_index, 400);
    let err = scorer
        .predict(&[FeatureValue::Text("x".into()), FeatureValue::Missing])
        .unwrap_err();
    assert!(err.to_string().contains("feature 'x' is numeric"), "{err}");
}

#[tokio::test]
async fn refresh_follows_the_default_version() {
    let db = database().await;
    let scorer = db.scorer("m").await.expect("scorer");
    assert_eq!(scorer.version(), "v1");
    assert_eq!(scorer.refresh().await.expect("refresh"), None);
    db.sql(
        "CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id', \
         n_estimators 5, test_fraction 0) AS SELECT * FROM t",
    )
    .await
    .expect("v2");
    assert_eq!(
        scorer.refresh().await.expect("refresh"),
        None,
        "v1 is still the default"
    );
    db.registry().set_default("m", "v2").await.expect("default");
    assert_eq!(scorer.refresh().await.expect("refresh"), Some("v2".into()));
    assert_eq!(scorer.version(), "v2");
    let pinned = db.scorer("m@v1").await.expect("pinned");
    assert_eq!(pinned.refresh().await.expect("refresh"), None);
    assert_eq!(pinned.version(), "v1");
    let p = db
        .predict("m", &[3.0.into(), "a".into()])
        .await
        .expect("one-off");
    assert_eq!(p.version, "v2");
    assert_eq!(db.models().await.expect("models").len(), 1);
}
