//! Firn databases in S3-compatible object storage, against a real server
//! (SeaweedFS, started once for this binary by `support/s3_server.rs`; the tests
//! fail, never skip, when it cannot be had): everything a database holds lives
//! in the bucket and is there again on reopening; the put-if-absent commit
//! protocol holds between independent clients; bad locations, a missing bucket,
//! refused credentials and an unreachable endpoint fail at once with errors that
//! say what to fix; the `firn` shell and `firn serve` take `s3://` locations.
//!
//! The server's endpoint and keys are set in this process's `AWS_*` environment
//! (where Firn reads them); tests that need another environment run `firn`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

#[path = "support/test_env.rs"]
#[allow(dead_code)]
mod test_env;

#[path = "support/s3_server.rs"]
mod s3_server;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use arrow_flight::sql::client::FlightSqlServiceClient;
use firnml::arrow::array::{Array, AsArray};
use firnml::arrow::compute::{cast, concat_batches};
use firnml::arrow::datatypes::DataType;
use firnml::{Database, Error};
use futures::TryStreamExt;
use s3_server::{BUCKET, S3Server, shared};
use tonic::transport::Channel;

/// A fresh database location in the shared bucket.
fn fresh_location(name: &str) -> String {
    format!("s3://{BUCKET}/{name}-{}", uuid::Uuid::new_v4().simple())
}

/// The rows of `sql`'s result, each value as text.
async fn rows(db: &Database, sql: &str) -> Vec<Vec<String>> {
    let batches = db.sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let Some(first) = batches.first() else {
        return vec![];
    };
    let batch = concat_batches(&first.schema(), &batches).expect("concat");
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

async fn count(db: &Database, sql: &str) -> i64 {
    rows(db, sql).await[0][0].parse().expect("a count")
}

/// Everything a database keeps: tables, a feature view and its training set,
/// a model and its run, all read back through a second, independent open.
const PIPELINE: &str = "
CREATE TABLE customers AS
  SELECT value AS customer_id, CAST(value % 20 AS DOUBLE) AS visits,
         CASE WHEN value % 3 = 0 THEN 'web' ELSE 'store' END AS channel,
         CASE WHEN value % 20 + (value % 3) * 4 >= 12 THEN 1 ELSE 0 END AS churned
  FROM generate_series(1, 300);
INSERT INTO customers VALUES (301, 19.0, 'web', 1), (302, 0.0, 'store', 0);
CREATE ENTITY customer KEYS (customer_id);
CREATE FEATURE VIEW behaviour VERSION v1 ENTITY customer
  AS SELECT customer_id, visits, channel FROM customers;
CREATE TABLE training AS
  SELECT * FROM training_set('SELECT customer_id, churned FROM customers', 'behaviour:v1');
CREATE MODEL churn VERSION v1
  OPTIONS (type 'gbdt_classifier', label 'churned', exclude 'customer_id', n_estimators 5, seed 7)
  AS SELECT * FROM training;
CREATE VIEW web_customers AS SELECT * FROM customers WHERE channel = 'web';
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_in_s3_keeps_tables_features_models_and_runs_across_opens() {
    shared();
    let location = fresh_location("pipeline");
    let db = Database::open(&location)
        .await
        .expect("creates the database");
    assert_eq!(db.location(), location, "shown as given, never with keys");
    db.sql(PIPELINE).await.expect("the pipeline runs on S3");
    let scored = "SELECT count(*) FROM (SELECT predict('churn', visits, channel) AS p \
                  FROM customers) WHERE p BETWEEN 0 AND 1";
    assert_eq!(count(&db, scored).await, 302);
    let predictions = rows(
        &db,
        "SELECT customer_id, predict('churn', visits, channel) FROM customers ORDER BY 1 LIMIT 5",
    )
    .await;
    drop(db);

    // A new open of the same URL: a new S3 client, nothing shared in memory.
    let again = Database::open(&location).await.expect("reopens");
    assert!(again.warnings().is_empty(), "{:?}", again.warnings());
    assert_eq!(count(&again, "SELECT count(*) FROM customers").await, 302);
    assert_eq!(
        count(&again, "SELECT count(*) FROM web_customers").await,
        101
    );
    assert_eq!(count(&again, "SELECT count(*) FROM training").await, 302);
    assert_eq!(
        rows(&again, "SHOW FEATURE VIEWS").await[0][..2],
        ["behaviour".to_string(), "v1".to_string()]
    );
    assert_eq!(
        count(
            &again,
            "SELECT count(*) FROM feature_view('behaviour', 'v1') WHERE channel = 'web'"
        )
        .await,
        101
    );
    let models = rows(&again, "SHOW MODELS").await;
    assert_eq!(models.len(), 1, "{models:?}");
    assert_eq!(models[0][0], "churn");
    let runs = rows(
        &again,
        "SELECT model, model_version, status FROM firn.runs WHERE model = 'churn'",
    )
    .await;
    assert_eq!(runs, [["churn", "v1", "FINISHED"]], "the training run");
    assert_eq!(
        rows(
            &again,
            "SELECT customer_id, predict('churn', visits, channel) FROM customers ORDER BY 1 LIMIT 5"
        )
        .await,
        predictions,
        "the stored model scores as before"
    );

    // Writes after reopening land too: a second model version, a new table version.
    again
        .sql(
            "INSERT INTO customers SELECT * FROM customers WHERE customer_id <= 10;
             CREATE MODEL churn VERSION v2
               OPTIONS (type 'gbdt_classifier', label 'churned', exclude 'customer_id', n_estimators 3)
               AS SELECT * FROM training;",
        )
        .await
        .expect("writes after reopening");
    let third = Database::open(&location).await.expect("reopens");
    assert_eq!(count(&third, "SELECT count(*) FROM customers").await, 312);
    assert_eq!(
        count(
            &third,
            "SELECT count(*) FROM firn.model_versions WHERE model = 'churn'"
        )
        .await,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_file_larger_than_one_upload_part_round_trips() {
    shared();
    let location = fresh_location("large");
    let db = Database::open(&location).await.expect("db");
    // Random doubles barely compress: well over the 10 MiB after which the data
    // writer switches to a multipart upload.
    let n: i64 = 2_000_000;
    db.sql(&format!(
        "CREATE TABLE big AS SELECT value AS id, random() AS a, random() AS b FROM generate_series(1, {n})"
    ))
    .await
    .expect("a large table");
    let again = Database::open(&location).await.expect("reopens");
    assert_eq!(
        rows(
            &again,
            "SELECT count(*), count(DISTINCT id), sum(id) FROM big"
        )
        .await,
        [[n.to_string(), n.to_string(), (n * (n + 1) / 2).to_string()]]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_clients_of_one_database_keep_the_commit_protocol() {
    shared();
    let location = fresh_location("concurrent");
    // Two opens, two S3 clients: only the server's conditional put orders their commits.
    let a = Database::open(&location).await.expect("a");
    a.sql("CREATE TABLE t AS SELECT 'first' AS who")
        .await
        .expect("t");
    let b = Database::open(&location).await.expect("b");

    // Two creators of one table: one wins, the other is told (each open knows the
    // tables it found or made; the winner's table shows in the loser's next open).
    let (created_a, created_b) = tokio::join!(
        a.sql("CREATE TABLE u AS SELECT 'a' AS who"),
        b.sql("CREATE TABLE u AS SELECT 'b' AS who")
    );
    assert!(
        created_a.is_ok() != created_b.is_ok(),
        "exactly one creator wins: {created_a:?} / {created_b:?}"
    );
    let loser = created_a.err().or(created_b.err()).expect("one error");
    assert!(
        loser.to_string().contains("already exists")
            || loser.to_string().contains("another writer"),
        "{loser}"
    );

    // Appends from both clients at once: every row lands, none twice.
    let per_client = 6;
    let inserts = (0..per_client).flat_map(|i| {
        [
            (&a, format!("INSERT INTO t VALUES ('a{i}')")),
            (&b, format!("INSERT INTO t VALUES ('b{i}')")),
        ]
    });
    let results =
        futures::future::join_all(inserts.map(|(db, sql)| async move { db.sql(&sql).await })).await;
    for result in results {
        result.expect("every append commits");
    }
    let fresh = Database::open(&location).await.expect("c");
    assert_eq!(count(&fresh, "SELECT count(*) FROM u").await, 1);
    assert_eq!(
        count(&fresh, "SELECT count(*) FROM t").await,
        1 + 2 * per_client
    );
    assert_eq!(
        count(&fresh, "SELECT count(DISTINCT who) FROM t").await,
        1 + 2 * per_client
    );

    // One model version name, two trainers: one publishes it.
    let train =
        "CREATE MODEL m VERSION v1 OPTIONS (type 'gbdt_classifier', label 'y', n_estimators 2)
                 AS SELECT CAST(value % 5 AS DOUBLE) AS x, CAST(value % 2 AS BIGINT) AS y
                 FROM generate_series(1, 100)";
    let (ma, mb) = tokio::join!(a.sql(train), b.sql(train));
    assert!(ma.is_ok() != mb.is_ok(), "one version v1: {ma:?} / {mb:?}");
    assert_eq!(
        count(
            &fresh,
            "SELECT count(*) FROM firn.model_versions WHERE model = 'm'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_missing_bucket_fails_at_once_naming_bucket_and_endpoint() {
    let server = shared();
    let started = Instant::now();
    let err = Database::open("s3://no-such-bucket/db")
        .await
        .expect_err("no bucket");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("'s3://no-such-bucket/db'"), "{message}");
    assert!(
        message.contains("bucket 'no-such-bucket' does not exist"),
        "{message}"
    );
    assert!(message.contains(&server.endpoint()), "{message}");
}

#[tokio::test]
async fn foreign_objects_are_refused_and_the_database_prefix_is_protected() {
    shared();
    let location = fresh_location("protected");
    let db = Database::open(&location).await.expect("db");
    // Someone else's objects under a prefix: not a database to open.
    let foreign = fresh_location("foreign");
    db.sql(&format!(
        "COPY (SELECT 1 AS a) TO '{foreign}/export.csv' STORED AS CSV"
    ))
    .await
    .expect("a COPY outside the database writes to the bucket");
    let err = Database::open(&foreign).await.expect_err("foreign prefix");
    assert!(matches!(err, Error::NotAFirnDatabase { .. }), "{err:?}");
    assert!(err.to_string().contains(&foreign), "{err}");

    // SQL may not write (or read as an external table) the database's own objects.
    for sql in [
        format!("COPY (SELECT 1 AS a) TO '{location}/firn.json' STORED AS JSON"),
        format!("COPY (SELECT 1 AS a) TO '{location}/tables/x/' STORED AS PARQUET"),
        format!("CREATE EXTERNAL TABLE log STORED AS JSON LOCATION '{location}/tables/'"),
    ] {
        let err = db.sql(&sql).await.expect_err(&sql);
        assert!(matches!(err, Error::ProtectedPath { .. }), "{sql}: {err:?}");
    }
    // A prefix that merely starts the same is not the database.
    db.sql(&format!(
        "COPY (SELECT 2 AS a) TO '{location}-sibling/x.csv' STORED AS CSV"
    ))
    .await
    .expect("a sibling prefix is outside the database");
    Database::open(&location).await.expect("still a database");
}

/// Runs `firn` with this process's environment plus `env`, minus `remove`.
fn firn(args: &[&str], env: &[(&str, String)], remove: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_firn"));
    command.args(args);
    for name in remove {
        command.env_remove(name);
    }
    command.envs(env.iter().map(|(k, v)| (k, v)));
    command.output().expect("firn runs")
}

fn text(output: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn bad_endpoints_and_credentials_fail_quickly_and_say_what_to_check() {
    let server = shared();
    let location = fresh_location("cli-errors");
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    /// One wrong environment and the words its error must contain.
    struct Case {
        what: &'static str,
        set: Vec<(&'static str, String)>,
        unset: &'static [&'static str],
        expected: &'static str,
    }
    let cases = [
        Case {
            what: "nothing listens at the endpoint",
            set: vec![(
                "AWS_ENDPOINT_URL",
                format!("http://127.0.0.1:{closed_port}"),
            )],
            unset: &[],
            expected: "cannot connect to http://127.0.0.1:",
        },
        Case {
            what: "a wrong secret key",
            set: vec![("AWS_SECRET_ACCESS_KEY", "not-the-secret".to_string())],
            unset: &[],
            expected: "refused the credentials for bucket 'firn-tests'",
        },
        Case {
            what: "an unknown access key",
            set: vec![("AWS_ACCESS_KEY_ID", "nobody".to_string())],
            unset: &[],
            expected: "refused the credentials",
        },
        Case {
            what: "plain http without AWS_ALLOW_HTTP",
            set: vec![],
            unset: &["AWS_ALLOW_HTTP"],
            expected: "set AWS_ALLOW_HTTP=true",
        },
    ];
    for Case {
        what: case,
        set,
        unset,
        expected,
    } in cases
    {
        let started = Instant::now();
        let out = firn(&[&location, "-c", "SELECT 1"], &set, unset);
        let elapsed = started.elapsed();
        assert!(!out.status.success(), "{case}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{case}: {}", text(&out));
        assert!(
            stderr.contains(&location),
            "{case} names the location: {stderr}"
        );
        assert!(!stderr.contains(s3_server::SECRET_KEY), "{case}: {stderr}");
        assert!(elapsed < Duration::from_secs(15), "{case} took {elapsed:?}");
        eprintln!(
            "{case}: failed in {:.1} s: {}",
            elapsed.as_secs_f64(),
            stderr.trim()
        );
    }
    // Nothing was created by the failed opens; the right environment works.
    let ok = firn(
        &[&location, "-c", "SELECT 40 + 2 AS answer"],
        &server.env(),
        &[],
    );
    assert!(ok.status.success(), "{}", text(&ok));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_firn_shell_and_server_open_s3_locations() {
    let server = shared();
    let location = fresh_location("cli");
    let env = server.env();
    let created = firn(
        &[
            &location,
            "-c",
            "CREATE TABLE t AS SELECT 'from the shell' AS s",
        ],
        &env,
        &[],
    );
    assert!(created.status.success(), "{}", text(&created));
    let read = firn(
        &[&location, "--format", "csv", "-c", "SELECT s FROM t"],
        &env,
        &[],
    );
    assert!(read.status.success(), "{}", text(&read));
    assert!(
        String::from_utf8_lossy(&read.stdout).contains("from the shell"),
        "{}",
        text(&read)
    );

    let mut serve = Command::new(env!("CARGO_BIN_EXE_firn"))
        .args(["serve", &location, "--port", "0", "--token", "s3-token"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("firn serve starts");
    let stdout = serve.stdout.take().expect("stdout");
    let (found, address) = std::sync::mpsc::channel();
    // Reads the address, then keeps draining the server's output until it exits.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(address) = line.split("grpc://").nth(1) {
                let _ = found.send(address.to_string());
            }
        }
    });
    let address =
        tokio::task::spawn_blocking(move || address.recv_timeout(Duration::from_secs(60)))
            .await
            .expect("reader");
    let Ok(address) = address else {
        let _ = serve.kill();
        let out = serve.wait_with_output().expect("reaped");
        panic!("firn serve printed no address: {}", text(&out));
    };
    let channel = Channel::from_shared(format!("grpc://{address}"))
        .expect("uri")
        .connect()
        .await
        .expect("connects");
    let mut client = FlightSqlServiceClient::new(channel);
    client.set_token("s3-token".into());
    let info = client
        .execute("SELECT s FROM t".into(), None)
        .await
        .expect("runs");
    let mut values = Vec::new();
    for endpoint in info.endpoint {
        let stream = client
            .do_get(endpoint.ticket.expect("ticket"))
            .await
            .expect("stream");
        for batch in stream.try_collect::<Vec<_>>().await.expect("batches") {
            let column = cast(batch.column(0), &DataType::Utf8).expect("text");
            values
                .extend((0..column.len()).map(|i| column.as_string::<i32>().value(i).to_string()));
        }
    }
    assert_eq!(values, ["from the shell"]);
    serve.kill().expect("kill");
    serve.wait().expect("reaped");
}

#[test]
fn a_server_of_its_own_starts_and_stops_cleanly() {
    // The harness itself: a second server starts beside the shared one, and
    // dropping it stops SeaweedFS and removes its files.
    shared();
    let server = S3Server::start();
    eprintln!(
        "a second SeaweedFS answered S3 after {:.1} s",
        server.startup.as_secs_f64()
    );
    server.create_bucket("second");
    let endpoint = server.endpoint();
    let dir = server.dir().to_path_buf();
    assert!(dir.join("weed.log").exists());
    drop(server);
    assert!(!dir.exists(), "{} is removed", dir.display());
    let port: u16 = endpoint
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens on {endpoint} after the drop"
    );
}
