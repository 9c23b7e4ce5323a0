//! Firn on a real Ballista cluster: a scheduler and two executors as separate
//! processes on loopback (`tests/support/cluster.rs`). Every query kind runs
//! in cluster mode and locally over the same database and must give the same
//! rows; the executors' logs prove both ran tasks. Faults: an executor killed
//! mid-query, an unreachable scheduler, an executor that cannot read the
//! registry.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "support/cluster.rs"]
mod cluster;

#[path = "support/test_env.rs"]
#[allow(dead_code)]
mod test_env;

#[path = "support/s3_server.rs"]
#[allow(dead_code)]
mod s3_server;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use cluster::TestCluster;
use firnml::arrow::util::pretty::pretty_format_batches;
use firnml::cluster::ClusterTarget;
use firnml::{Database, DatabaseOptions};
use s3_server::S3Server;

/// Both sessions split the work four ways, so stages have several tasks.
const PARTITIONS: &str = "SET datafusion.execution.target_partitions = 4";

/// A database with a directory of Parquet files, tables for the feature store
/// and a model, written by a local session.
async fn fixture(dir: &Path) -> String {
    let db_dir = dir.join("db");
    let facts = dir.join("facts");
    std::fs::create_dir_all(&facts).unwrap();
    let db = Database::open(db_dir.to_str().unwrap()).await.unwrap();
    let session = db.session();
    for part in 0..4 {
        session
            .sql(&format!(
                "COPY (SELECT v % 5 AS segment, CAST((v * {m}) % 3 = 0 AS BIGINT) AS label, \
                        ((v * 7 + {part}) % 100) / 100.0 AS x, ((v * 13) % 50) / 50.0 AS y \
                      FROM generate_series(1, 3000) AS s(v)) \
                 TO '{dir}/part-{part}.parquet' STORED AS PARQUET",
                m = part + 1,
                dir = facts.display()
            ))
            .await
            .unwrap();
    }
    session
        .sql(&format!(
            "CREATE EXTERNAL TABLE facts STORED AS PARQUET LOCATION '{}/';
             CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'label', n_estimators 20, seed 7)
               AS SELECT label, x, y FROM facts;
             CREATE TABLE profiles AS
               SELECT 'c' || v AS customer_id, v % 3 AS tier, (v * 17) % 101 AS score
               FROM generate_series(1, 400) AS s(v);
             CREATE TABLE snapshots AS
               SELECT 'c' || (v % 400 + 1) AS customer_id,
                      DATE '2024-01-01' + CAST(v / 400 AS INT) * 30 AS snapshot_date,
                      CAST(v AS DOUBLE) AS spend
               FROM generate_series(0, 2399) AS s(v);
             CREATE TABLE spine AS
               SELECT 'c' || v AS customer_id, DATE '2024-02-15' + (v % 90) AS as_of, v % 2 AS churned
               FROM generate_series(1, 500) AS s(v);
             CREATE ENTITY customer KEYS (customer_id);
             CREATE FEATURE VIEW profile VERSION v1 ENTITY customer AS SELECT * FROM profiles;
             CREATE FEATURE VIEW spend VERSION v1 ENTITY customer TIMESTAMP snapshot_date
               AS SELECT * FROM snapshots;",
            facts.display()
        ))
        .await
        .unwrap();
    db_dir.display().to_string()
}

async fn open_on(db_dir: &str, cluster: &TestCluster) -> Database {
    let options = DatabaseOptions {
        cluster: Some(ClusterTarget::parse(&cluster.address()).unwrap()),
        ..DatabaseOptions::default()
    };
    Database::open_with(db_dir, options).await.unwrap()
}

/// The rows of `sql` (after `setup`), printed, or the error.
async fn rows(db: &Database, sql: &str) -> String {
    let session = db.session();
    session.sql(PARTITIONS).await.unwrap();
    match session.sql(sql).await {
        Ok(batches) => pretty_format_batches(&batches).unwrap().to_string(),
        Err(e) => format!("error: {e}"),
    }
}

/// The physical plan of `sql`, as EXPLAIN prints it.
async fn explain(db: &Database, sql: &str) -> String {
    rows(db, &format!("EXPLAIN {sql}")).await
}

const READS: &[&str] = &[
    // A GROUP BY over a directory of Parquet files with predict and metric aggregates.
    "SELECT segment, count(*) AS n, round(sum(x), 6) AS sx,
            round(log_loss(predict('m', x, y), label), 9) AS ll,
            round(auc(predict('m', x, y), label), 9) AS auc
     FROM facts GROUP BY segment ORDER BY segment",
    // A feature view and a key join.
    "SELECT tier, count(*) AS n, sum(score) AS s FROM feature_view('profile', 'v1') GROUP BY tier ORDER BY tier",
    "SELECT * FROM training_set('spine', 'profile:v1') ORDER BY customer_id",
    // A point-in-time join.
    "SELECT * FROM training_set('spine', 'spend:v1', 'profile:v1', 'spine_timestamp=as_of', 'fill=0')
     ORDER BY customer_id",
    // NOT IN a subquery (rewritten so it does not become a single-task anti join).
    "SELECT count(*) AS n, sum(churned) AS c FROM spine
     WHERE customer_id NOT IN (SELECT customer_id FROM profiles WHERE tier = 1)",
    // A model table function whose input query runs on the cluster.
    "SELECT rows, round(roc_auc, 9) AS auc, round(log_loss, 9) AS ll, tp, fp FROM evaluate('m', 'SELECT * FROM facts WHERE segment < 3')",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_on_a_two_executor_cluster_give_the_local_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db_dir = fixture(dir.path()).await;
    let cluster = TestCluster::start(dir.path(), 2);
    let local = Database::open(&db_dir).await.unwrap();
    let remote = open_on(&db_dir, &cluster).await;
    for sql in READS {
        let expected = rows(&local, sql).await;
        assert!(!expected.starts_with("error"), "{sql}: {expected}");
        let got = rows(&remote, sql).await;
        assert_eq!(got, expected, "{sql}\n{}", cluster.log_tails());
        let plan = explain(&remote, sql).await;
        assert!(
            plan.contains("RemoteExec: cluster=df://127.0.0.1:"),
            "{sql}\n{plan}"
        );
        assert!(!explain(&local, sql).await.contains("RemoteExec"));
    }
    // The point-in-time join itself travels (Firn's codec), and the model is
    // pinned to the version it named when the query was planned.
    let plan = explain(&remote, READS[3]).await;
    let remote_part = plan.split("RemoteExec").nth(1).unwrap_or_default();
    assert!(
        remote_part.contains("FeatureJoinExec: view=spend:v1, join=as-of"),
        "{plan}"
    );
    let plan = explain(&remote, READS[0]).await;
    assert!(plan.contains("predict(Utf8(\"m@v1\")"), "{plan}");
    for executor in 0..2 {
        assert!(
            cluster.finished_tasks(executor) > 0,
            "executor {executor} ran no task\n{}",
            cluster.log_tails()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_run_their_input_on_the_cluster_and_commit_here() {
    let dir = tempfile::tempdir().unwrap();
    let db_dir = fixture(dir.path()).await;
    let cluster = TestCluster::start(dir.path(), 2);
    let local = Database::open(&db_dir).await.unwrap();
    let remote = open_on(&db_dir, &cluster).await;
    let train = |name: &str| {
        format!(
            "CREATE MODEL {name} OPTIONS (type 'gbdt_classifier', label 'label', n_estimators 15, seed 3)
             AS SELECT label, x, y FROM facts WHERE segment <> 4"
        )
    };
    let plan = explain(&remote, "INSERT INTO profiles SELECT * FROM profiles").await;
    let (sink, input) = plan.split_once("RemoteExec").expect("a cut");
    assert!(
        sink.contains("DataSinkExec") && !input.contains("DataSinkExec"),
        "{plan}"
    );
    for (db, suffix) in [(&remote, "cluster"), (&local, "local")] {
        let session = db.session();
        session.sql(PARTITIONS).await.unwrap();
        session.sql(&train(&format!("m_{suffix}"))).await.unwrap();
        session
            .sql(&format!(
                "CREATE TABLE scored_{suffix} AS
                   SELECT segment, x, y, predict('m', x, y) AS p FROM facts WHERE segment = 2;
                 INSERT INTO scored_{suffix} SELECT segment, x, y, predict('m', x, y) FROM facts WHERE segment = 3"
            ))
            .await
            .unwrap();
    }
    // Tables and models made by the other instance: open the database afresh.
    let local = Database::open(&db_dir).await.unwrap();
    let metrics = |name: &str| {
        format!(
            "SELECT metrics, params, training_data_fingerprint FROM firn.model_versions WHERE model = '{name}'"
        )
    };
    let trained_on_cluster = rows(&local, &metrics("m_cluster")).await;
    assert!(trained_on_cluster.contains("auc"), "{trained_on_cluster}");
    assert_eq!(trained_on_cluster, rows(&local, &metrics("m_local")).await);
    let table = |suffix: &str| {
        format!(
            "SELECT segment, count(*) AS n, round(sum(p), 9) AS sp FROM scored_{suffix} GROUP BY segment ORDER BY segment"
        )
    };
    assert_eq!(
        rows(&local, &table("cluster")).await,
        rows(&local, &table("local")).await
    );
    assert!(
        rows(&local, &table("cluster"))
            .await
            .contains("| 3       | 2400 |")
    );
}

/// Runs `sql/pipeline.sql` with the `firn` binary into database `db` (a
/// directory or an `s3://` URL), with `env` added, on `cluster` when given;
/// returns the risk list it exported to `out`.
fn run_pipeline(
    db: &str,
    out: &Path,
    cluster: Option<&TestCluster>,
    env: &[(&str, String)],
) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_firn"));
    command
        .arg(db)
        .args(["-q", "-f"])
        .arg(root.join("sql/pipeline.sql"))
        .arg("--set")
        .arg(format!("data_dir={}", root.join("data").display()))
        .arg("--set")
        .arg(format!("out_dir={}", out.display()))
        .envs(env.iter().map(|(k, v)| (k, v)));
    if let Some(cluster) = cluster {
        command.args(["--cluster", &cluster.address()]);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{db}: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        cluster.map(TestCluster::log_tails).unwrap_or_default()
    );
    std::fs::read_to_string(out.join("churn_risk_list.csv")).unwrap()
}

#[test]
fn the_seed_pipeline_on_a_cluster_gives_the_local_risk_list() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = TestCluster::start(dir.path(), 2);
    let db = |name: &str| dir.path().join(name).display().to_string();
    let before = cluster.finished_tasks(0) + cluster.finished_tasks(1);
    let on_cluster = run_pipeline(
        &db("db_cluster"),
        &dir.path().join("out_cluster"),
        Some(&cluster),
        &[],
    );
    let local = run_pipeline(&db("db_local"), &dir.path().join("out_local"), None, &[]);
    assert!(on_cluster.lines().count() > 100, "{on_cluster}");
    assert_eq!(on_cluster, local);
    assert!(cluster.finished_tasks(0) + cluster.finished_tasks(1) > before + 20);
}

/// The database in S3-compatible storage (a real SeaweedFS): executors read its
/// tables from the bucket with their own `AWS_*` environment, the client
/// commits to it, and the seed pipeline gives the risk list a local directory
/// database gives.
#[test]
fn the_seed_pipeline_on_a_cluster_over_s3_gives_the_local_risk_list() {
    let server = S3Server::start();
    server.create_bucket("firn-cluster");
    let env = server.env();
    let dir = tempfile::tempdir().unwrap();
    let cluster = TestCluster::start_with_env(dir.path(), 2, &env);
    let location = "s3://firn-cluster/seed";
    let before = cluster.finished_tasks(0) + cluster.finished_tasks(1);
    let on_cluster = run_pipeline(
        location,
        &dir.path().join("out_cluster"),
        Some(&cluster),
        &env,
    );
    let local_dir = dir.path().join("db_local").display().to_string();
    let local = run_pipeline(&local_dir, &dir.path().join("out_local"), None, &[]);
    assert!(on_cluster.lines().count() > 100, "{on_cluster}");
    assert_eq!(on_cluster, local);
    for executor in 0..2 {
        assert!(
            cluster.finished_tasks(executor) > 0,
            "executor {executor} ran no task\n{}",
            cluster.log_tails()
        );
    }
    assert!(cluster.finished_tasks(0) + cluster.finished_tasks(1) > before + 20);
    // A table of the bucket is read by the cluster's tasks: the scan of its
    // files is below the cut.
    let explain = Command::new(env!("CARGO_BIN_EXE_firn"))
        .args([
            location,
            "--cluster",
            &cluster.address(),
            "--format",
            "csv",
            "-c",
        ])
        .arg("EXPLAIN SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    let plan = String::from_utf8_lossy(&explain.stdout);
    assert!(
        explain.status.success(),
        "{plan}\n{}",
        String::from_utf8_lossy(&explain.stderr)
    );
    let (_, remote) = plan.split_once("RemoteExec").unwrap_or_default();
    assert!(
        remote.contains("DataSourceExec") && remote.contains("seed/tables/orders"),
        "{plan}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unreachable_scheduler_is_a_clear_error_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let options = DatabaseOptions {
        cluster: Some(ClusterTarget::parse(&format!("df://127.0.0.1:{port}")).unwrap()),
        ..DatabaseOptions::default()
    };
    let started = Instant::now();
    let error = Database::open_with(dir.path().join("db").to_str().unwrap(), options)
        .await
        .unwrap_err()
        .to_string();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        error.contains(&format!(
            "cannot reach the cluster's scheduler at df://127.0.0.1:{port}"
        )),
        "{error}"
    );
    let memory = DatabaseOptions {
        cluster: Some(ClusterTarget::parse("df://127.0.0.1:1").unwrap()),
        ..DatabaseOptions::default()
    };
    let error = Database::open_with(":memory:", memory)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("cannot see an in-memory database"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn executors_that_cannot_read_the_registry_name_the_model_and_the_location() {
    let dir = tempfile::tempdir().unwrap();
    let db_dir = fixture(dir.path()).await;
    let cluster = TestCluster::start(dir.path(), 2);
    let remote = open_on(&db_dir, &cluster).await;
    let session = remote.session();
    // As if the executors did not see the database where the client does.
    session
        .sql("SET firn_cluster.database_url = 'file:///no/such/firn-db/'")
        .await
        .unwrap();
    let error = session
        .sql("SELECT sum(predict('m', x, y)) FROM facts")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("model 'm@v1' cannot be read from the registry of the database at file:///no/such/firn-db/"),
        "{error}"
    );
    assert!(
        error.contains("there is no Firn database at /no/such/firn-db"),
        "{error}"
    );
    assert!(
        error.contains("on the cluster at df://127.0.0.1:"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_executor_killed_mid_query_leaves_the_database_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db_dir = fixture(dir.path()).await;
    let mut cluster = TestCluster::start(dir.path(), 2);
    let local = Database::open(&db_dir).await.unwrap();
    let remote = open_on(&db_dir, &cluster).await;
    let count = "SELECT count(*) AS n FROM profiles";
    let before = rows(&local, count).await;
    // A write whose input takes a while: many model calls over a cross join.
    let insert = "INSERT INTO profiles
                  SELECT p.customer_id, p.tier, CAST(sum(predict('m', f.x, f.y)) AS BIGINT)
                  FROM profiles p CROSS JOIN facts f GROUP BY p.customer_id, p.tier";
    let session = remote.session();
    session.sql(PARTITIONS).await.unwrap();
    let running = tokio::spawn(async move { session.sql(insert).await });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !running.is_finished(),
        "the query ended before the executor was killed"
    );
    cluster.kill_executor(1);
    let outcome = tokio::time::timeout(Duration::from_secs(120), running)
        .await
        .expect("the query ends within two minutes")
        .unwrap();
    let after = rows(&local, count).await;
    match outcome {
        // Ballista ran the lost tasks again on the other executor: every row arrived once.
        Ok(_) => assert!(
            after.contains("| 800 |"),
            "{after}\n{}",
            cluster.log_tails()
        ),
        // Or the query failed, clearly, and committed nothing.
        Err(e) => {
            let message = e.to_string();
            assert!(message.contains("on the cluster at df://"), "{message}");
            assert_eq!(after, before, "{message}");
        }
    }
    assert!(before.contains("| 400 |"), "{before}");
}
