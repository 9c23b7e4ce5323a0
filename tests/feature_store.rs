//! The feature store on disk: entities and feature views survive reopening, a
//! second process sees changes, failures leave nothing behind, `SHOW` lists
//! what is there, and models remember the feature views they were trained from.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

use std::path::Path;

use firnml::Database;
use firnml::arrow::array::{Array, AsArray, RecordBatch};
use firnml::arrow::compute::{cast, concat_batches};
use firnml::arrow::datatypes::DataType;

const SETUP: &str = "
CREATE TABLE orders AS SELECT * FROM (VALUES
  ('C1', DATE '2024-01-05', 10.0), ('C1', DATE '2024-02-07', 20.0),
  ('C2', DATE '2024-01-20', 5.0), ('C3', DATE '2024-03-01', 7.0)
) AS t(customer_id, order_date, amount);
CREATE ENTITY customer KEYS (customer_id) COMMENT 'a customer';
CREATE FEATURE VIEW spend VERSION v1 ENTITY customer FEATURES (total 'sum of amounts')
  AS SELECT customer_id, sum(amount) AS total, count(*) AS n FROM orders GROUP BY customer_id;
CREATE FEATURE VIEW monthly VERSION v1 ENTITY customer TIMESTAMP month MATERIALIZED
  AS SELECT customer_id, CAST(date_trunc('month', order_date) AS DATE) AS month, sum(amount) AS month_total
     FROM orders GROUP BY 1, 2;
CREATE TABLE spine AS SELECT * FROM (VALUES ('C1', DATE '2024-02-15', 1), ('C2', DATE '2024-01-10', 0))
  AS s(customer_id, as_of, label);
CREATE TABLE training AS SELECT * FROM training_set('spine', 'monthly:v1', 'spend:v1', 'spine_timestamp=as_of');
";

async fn rows(db: &Database, sql: &str) -> Vec<Vec<String>> {
    let batches = db.sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    text_rows(&batches)
}

/// Every row of `batches` as text, NULL as "NULL".
fn text_rows(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let Some(first) = batches.first() else {
        return vec![];
    };
    let batch = concat_batches(&first.schema(), batches).expect("concat");
    (0..batch.num_rows())
        .map(|row| {
            batch
                .columns()
                .iter()
                .map(|column| {
                    if column.is_null(row) {
                        return "NULL".to_string();
                    }
                    let text = cast(column, &DataType::Utf8).expect("as text");
                    text.as_string::<i32>().value(row).to_string()
                })
                .collect()
        })
        .collect()
}

fn column_names(batches: &[RecordBatch]) -> Vec<String> {
    batches[0]
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

fn files_below(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(files_below(&path));
            } else {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

#[tokio::test]
async fn reopening_shows_the_same_entities_views_versions_and_lineage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shop.firn");
    let location = path.to_str().expect("utf-8");
    let (entities, views, columns, training, lineage) = {
        let db = Database::open(location).await.expect("create");
        db.sql(SETUP).await.expect("setup");
        (
            rows(&db, "SHOW ENTITIES").await,
            rows(&db, "SHOW FEATURE VIEWS").await,
            rows(&db, "DESCRIBE FEATURE VIEW spend VERSION v1").await,
            rows(&db, "SELECT * FROM training").await,
            rows(&db, "SELECT table_name, sources FROM firn.table_lineage").await,
        )
    };
    assert_eq!(entities.len(), 1);
    assert_eq!(entities[0][0..3], ["customer", "customer_id", "a customer"]);
    assert_eq!(entities[0][4], "monthly:v1, spend:v1");
    assert_eq!(views.len(), 2);
    assert_eq!(
        training,
        [
            ["C1", "2024-02-15", "20.0", "30.0", "2", "1"],
            // The month's row is stamped with its first day, so C2 sees January on the 10th.
            ["C2", "2024-01-10", "5.0", "5.0", "1", "0"]
        ]
    );

    let db = Database::open(location).await.expect("reopen");
    assert!(db.warnings().is_empty(), "{:?}", db.warnings());
    assert_eq!(rows(&db, "SHOW ENTITIES").await, entities);
    assert_eq!(rows(&db, "SHOW FEATURE VIEWS").await, views);
    assert_eq!(
        rows(&db, "DESCRIBE FEATURE VIEW spend VERSION v1").await,
        columns
    );
    assert_eq!(
        rows(&db, "SELECT table_name, sources FROM firn.table_lineage").await,
        lineage
    );
    assert_eq!(
        lineage,
        [["training", "feature_view:monthly:v1, feature_view:spend:v1"]]
    );
    // Both kinds of view still read: the snapshot from its Parquet file, the live one by its query.
    let again = rows(
        &db,
        "SELECT * FROM training_set('spine', 'monthly:v1', 'spend:v1', 'spine_timestamp=as_of')",
    )
    .await;
    assert_eq!(again, training);
    // Immutability survives the reopen: the same statement is a no-op, other SQL an error.
    let unchanged = rows(
        &db,
        "CREATE FEATURE VIEW spend VERSION v1 ENTITY customer FEATURES (total 'sum of amounts')
           AS SELECT customer_id, sum(amount) AS total, count(*) AS n FROM orders GROUP BY customer_id",
    )
    .await;
    assert_eq!(unchanged[0][2], "unchanged");
    let error = db
        .sql("CREATE FEATURE VIEW spend VERSION v1 ENTITY customer AS SELECT customer_id, 1 AS n FROM orders GROUP BY 1")
        .await
        .expect_err("different SQL");
    assert!(
        error
            .to_string()
            .contains("already exists with a different definition"),
        "{error}"
    );

    // Drops persist too.
    db.sql("DROP FEATURE VIEW monthly; DROP TABLE training")
        .await
        .expect("drops");
    let db = Database::open(location).await.expect("reopen again");
    assert_eq!(
        rows(&db, "SELECT feature_view FROM firn.feature_views").await,
        [["spend"]]
    );
    assert!(
        rows(&db, "SELECT * FROM firn.table_lineage")
            .await
            .is_empty()
    );
    assert!(
        files_below(&path.join("catalog/feature_views/monthly/v1/data")).is_empty(),
        "a dropped snapshot's files are removed"
    );
}

#[tokio::test]
async fn show_statements_are_their_system_table_queries() {
    let db = Database::in_memory().await.expect("db");
    db.sql(SETUP).await.expect("setup");
    let shown = db.sql("SHOW ENTITIES").await.expect("show");
    assert_eq!(
        column_names(&shown),
        ["entity", "keys", "comment", "created_at", "feature_views"]
    );
    let shown = db.sql("SHOW FEATURE VIEWS").await.expect("show");
    assert_eq!(
        column_names(&shown),
        [
            "feature_view",
            "version",
            "entity",
            "timestamp_column",
            "materialized",
            "features",
            "comment",
            "created_at"
        ]
    );
    let listed = rows(&db, "SHOW FEATURE VIEWS").await;
    assert_eq!(
        listed[0][0..6],
        ["monthly", "v1", "customer", "month", "true", "1"]
    );
    assert_eq!(
        listed[1][0..6],
        ["spend", "v1", "customer", "NULL", "false", "2"]
    );
}

#[tokio::test]
async fn a_second_database_handle_sees_new_views_at_its_next_statement() {
    let dir = tempfile::tempdir().expect("tempdir");
    let location = dir.path().join("db");
    let location = location.to_str().expect("utf-8");
    let writer = Database::open(location).await.expect("writer");
    writer
        .sql("CREATE TABLE orders AS SELECT 'C1' AS customer_id, 2.0 AS amount UNION ALL SELECT 'C2', 3.0")
        .await
        .expect("table");
    // Opened after the table exists (tables are found when a database opens), before the views.
    let reader = Database::open(location).await.expect("reader");
    writer
        .sql("CREATE ENTITY customer KEYS (customer_id);
              CREATE FEATURE VIEW spend VERSION v1 ENTITY customer AS SELECT * FROM orders;
              CREATE FEATURE VIEW spend VERSION v2 ENTITY customer AS SELECT customer_id, amount * 2 AS amount FROM orders")
        .await
        .expect("views");
    assert_eq!(
        rows(
            &reader,
            "SELECT sum(amount) FROM feature_view('spend', 'v2')"
        )
        .await,
        [["10.0"]]
    );
    assert_eq!(
        rows(&reader, "SELECT count(*) FROM firn.feature_views").await,
        [["2"]]
    );
}

#[tokio::test]
async fn a_failed_materialized_view_leaves_no_files_and_no_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db");
    let db = Database::open(path.to_str().expect("utf-8"))
        .await
        .expect("db");
    db.sql(SETUP).await.expect("setup");
    let error = db
        .sql("CREATE FEATURE VIEW dup VERSION v1 ENTITY customer MATERIALIZED AS SELECT customer_id, amount FROM orders")
        .await
        .expect_err("duplicate keys");
    assert!(
        error
            .to_string()
            .contains("duplicate key: customer_id = 'C1' occurs 2 times"),
        "{error}"
    );
    assert!(
        files_below(&path.join("catalog/feature_views/dup")).is_empty(),
        "{:?}",
        files_below(&path.join("catalog/feature_views/dup"))
    );
    assert!(
        rows(
            &db,
            "SELECT * FROM firn.feature_views WHERE feature_view = 'dup'"
        )
        .await
        .is_empty()
    );
}

#[tokio::test]
async fn concurrent_creators_of_one_version_one_wins() {
    let db = Database::in_memory().await.expect("db");
    db.sql(SETUP).await.expect("setup");
    let (a, b) = (db.session(), db.session());
    let (ra, rb) = tokio::join!(
        a.sql("CREATE FEATURE VIEW race VERSION v1 ENTITY customer MATERIALIZED AS SELECT customer_id, 1 AS who FROM orders GROUP BY 1"),
        b.sql("CREATE FEATURE VIEW race VERSION v1 ENTITY customer MATERIALIZED AS SELECT customer_id, 2 AS who FROM orders GROUP BY 1")
    );
    assert!(
        ra.is_ok() != rb.is_ok(),
        "exactly one creator wins: {ra:?} / {rb:?}"
    );
    let error = ra.err().or(rb.err()).expect("one error").to_string();
    assert!(
        error.contains("feature view 'race' version 'v1' already exists"),
        "{error}"
    );
    let who = rows(&db, "SELECT DISTINCT who FROM feature_view('race', 'v1')").await;
    assert_eq!(who.len(), 1, "{who:?}");
}

#[tokio::test]
async fn explain_shows_the_sorted_merge_join_and_the_key_join() {
    let db = Database::in_memory().await.expect("db");
    db.sql(SETUP).await.expect("setup");
    let plan = rows(
        &db,
        "EXPLAIN SELECT * FROM training_set('spine', 'monthly:v1', 'spend:v1', 'spine_timestamp=as_of', 'lookback=7 days')",
    )
    .await;
    let physical = plan
        .iter()
        .find(|r| r[0] == "physical_plan")
        .map(|r| r[1].clone())
        .expect("a physical plan");
    // spend has no TIMESTAMP: a hash join, with the live view's keys checked as read.
    assert!(physical.contains("HashJoinExec: mode="), "{physical}");
    assert!(
        physical.contains("KeyCheckExec: keys=[customer_id]"),
        "{physical}"
    );
    assert!(
        physical.contains("FeatureJoinExec: view=monthly:v1, join=as-of, lookback_us=604800000000"),
        "{physical}"
    );
    assert!(
        physical.contains("SortExec: expr=[customer_id@0 ASC, as_of@1 ASC]"),
        "{physical}"
    );
    assert!(
        physical.contains("SortExec: expr=[customer_id@0 ASC, month@1 ASC]"),
        "{physical}"
    );
    // Only the months the spine's times can pick are read: 2024-01-10 less 7 days to 2024-02-15.
    assert!(
        physical.contains("month@1 >= 2024-01-03 AND month@1 <= 2024-02-15"),
        "{physical}"
    );
}

/// The rows of `sql` in one session with `target_partitions` set, sorted.
async fn sorted_rows_with_partitions(
    db: &Database,
    partitions: usize,
    sql: &str,
) -> Vec<Vec<String>> {
    let session = db.session();
    session
        .sql(&format!(
            "SET datafusion.execution.target_partitions = {partitions}"
        ))
        .await
        .expect("set");
    let batches = session
        .sql(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out = text_rows(&batches);
    out.sort();
    out
}

#[tokio::test]
async fn point_in_time_joins_in_any_number_of_partitions_equal_brute_force() {
    let db = Database::in_memory().await.expect("db");
    // 97 keys with 50–52 snapshots each, every 3 days; a spine of 3,000 rows over 101 keys
    // (four unknown) at days 0–199, some rows repeated.
    db.sql(
        "CREATE TABLE snaps AS SELECT concat('C', value % 97) AS customer_id,
                CAST(CAST(DATE '2024-01-01' AS INT) + (value / 97) * 3 AS DATE) AS snapshot_date,
                value * 1.5 AS amount
         FROM generate_series(0, 4999);
         CREATE TABLE spine AS SELECT value AS id, concat('C', (value * 7) % 101) AS customer_id,
                CAST(CAST(DATE '2024-01-01' AS INT) + (value * 13) % 200 AS DATE) AS as_of
         FROM generate_series(0, 2999);
         CREATE ENTITY customer KEYS (customer_id);
         CREATE FEATURE VIEW snap VERSION v1 ENTITY customer TIMESTAMP snapshot_date MATERIALIZED
           AS SELECT * FROM snaps;",
    )
    .await
    .expect("setup");
    let joined = "SELECT id, amount, snap__feature_timestamp FROM training_set('spine', 'snap:v1',
                  'spine_timestamp=as_of', 'lookback=20 days', 'feature_timestamps=true')
                  WHERE amount IS NOT NULL";
    let brute_force = "SELECT id, amount, snapshot_date FROM (
           SELECT s.id, v.amount, v.snapshot_date,
                  row_number() OVER (PARTITION BY s.id ORDER BY v.snapshot_date DESC) AS n
           FROM spine s JOIN snaps v ON v.customer_id = s.customer_id
             AND v.snapshot_date <= s.as_of AND v.snapshot_date >= s.as_of - INTERVAL '20 days')
         WHERE n = 1";
    let expected = sorted_rows_with_partitions(&db, 1, brute_force).await;
    assert!(expected.len() > 2_000, "{} matched rows", expected.len());
    for partitions in [1, 2, 3, 8] {
        assert_eq!(
            sorted_rows_with_partitions(&db, partitions, joined).await,
            expected,
            "{partitions} partitions"
        );
    }
    // Every spine row comes out once, matched or not.
    let all = "SELECT id FROM training_set('spine', 'snap:v1', 'spine_timestamp=as_of')";
    assert_eq!(sorted_rows_with_partitions(&db, 3, all).await.len(), 3_000);
    // Split over partitions, the merge says so in the plan: both sides hashed on the key.
    let plan = sorted_rows_with_partitions(&db, 3, &format!("EXPLAIN {all}")).await;
    let physical = plan
        .iter()
        .find(|r| r[0] == "physical_plan")
        .map(|r| r[1].clone())
        .expect("a physical plan");
    assert_eq!(
        physical
            .matches("RepartitionExec: partitioning=Hash([customer_id@")
            .count(),
        2,
        "{physical}"
    );
}

#[tokio::test]
async fn models_record_the_feature_views_they_were_trained_from() {
    let db = Database::in_memory().await.expect("db");
    db.sql(
        "CREATE TABLE facts AS SELECT value AS id, CAST(value % 20 AS DOUBLE) AS x,
                CASE WHEN value % 20 + (value % 3) * 4 >= 12 THEN 1 ELSE 0 END AS y
         FROM generate_series(1, 300);
         CREATE ENTITY thing KEYS (id);
         CREATE FEATURE VIEW things VERSION v1 ENTITY thing AS SELECT id, x FROM facts;
         CREATE TABLE training AS SELECT * FROM training_set('SELECT id, y FROM facts', 'things:v1');
         CREATE MODEL m VERSION v1 OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id', n_estimators 3)
           AS SELECT * FROM training;
         CREATE MODEL m VERSION v2 OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id', n_estimators 3)
           AS SELECT * FROM training_set('SELECT id, y FROM facts', 'things:v1');",
    )
    .await
    .expect("train");
    let lineage = rows(
        &db,
        "SELECT version, lineage FROM firn.model_versions ORDER BY version",
    )
    .await;
    assert_eq!(
        lineage[0],
        ["v1", "SELECT * FROM training; feature_view:things:v1"]
    );
    assert!(
        lineage[1][1].ends_with("; feature_view:things:v1"),
        "{lineage:?}"
    );

    // A check that finds a leak travels with the table into the next model's lineage.
    db.sql(
        "CREATE TABLE leaky AS SELECT t.*, t.y AS copy_of_y FROM training t;
         SELECT * FROM check_training_set('leaky', 'label=y', 'exclude=id');
         CREATE MODEL m VERSION v3 OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id', n_estimators 3)
           AS SELECT * FROM leaky;",
    )
    .await
    .expect("check and train");
    let lineage = rows(
        &db,
        "SELECT lineage FROM firn.model_versions WHERE version = 'v3'",
    )
    .await;
    assert_eq!(
        lineage[0][0],
        "SELECT * FROM leaky; leakage_warning:leaky: near-perfect single-feature AUC: copy_of_y (AUC 1.000)"
    );
    // … and into the metadata of the run that trained it; clean versions' runs have no such tag.
    let warnings = rows(
        &db,
        "SELECT run, tags['firn.leakage_warning'] FROM firn.runs ORDER BY run",
    )
    .await;
    assert_eq!(
        warnings,
        [
            ["v1", "NULL"],
            ["v2", "NULL"],
            [
                "v3",
                "leaky: near-perfect single-feature AUC: copy_of_y (AUC 1.000)"
            ]
        ]
    );
}

/// Issue 12, finding 3: a damaged feature-view log or entity file is set apart
/// with a warning naming it; everything else works, and DROP removes it.
#[tokio::test]
async fn damaged_feature_store_files_are_set_apart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db");
    {
        let db = Database::open(path.to_string_lossy()).await.expect("db");
        db.sql(SETUP).await.expect("setup");
        db.sql("CREATE ENTITY store KEYS (store_id)")
            .await
            .expect("entity");
    }
    let log = path.join("catalog/feature_views/spend/v1/_log");
    let revision = std::fs::read_dir(&log)
        .expect("log")
        .next()
        .expect("a revision")
        .expect("entry")
        .path();
    std::fs::write(&revision, "{ truncated").expect("damage the view");
    std::fs::write(path.join("catalog/entities/store.json"), "[").expect("damage the entity");

    let db = Database::open(path.to_string_lossy())
        .await
        .expect("opens around the damage");
    let warnings = db.warnings().join("\n");
    assert!(
        warnings.contains("feature view spend:v1 is damaged")
            && warnings.contains("catalog/feature_views/spend/v1/_log/"),
        "{warnings}"
    );
    assert!(warnings.contains("entity 'store' is damaged"), "{warnings}");
    // The rest works.
    assert_eq!(
        rows(&db, "SELECT count(*) FROM feature_view('monthly', 'v1')").await,
        [["4"]]
    );
    let err = db
        .sql("SELECT * FROM feature_view('spend', 'v1')")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot be read"), "{err}");
    db.sql("DROP FEATURE VIEW spend VERSION v1")
        .await
        .expect("drops the damaged version");
    db.sql("DROP ENTITY store")
        .await
        .expect("drops the damaged entity");
    drop(db);
    let db = Database::open(path.to_string_lossy())
        .await
        .expect("reopens");
    assert!(db.warnings().is_empty(), "{:?}", db.warnings());
}
