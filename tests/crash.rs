//! The crash harness: `firn` child processes are killed in the middle of each
//! commit protocol — at injected points between its steps (`FIRN_CRASH_AT`,
//! see `src/storage/crash_point.rs`) and by SIGKILL at random moments — and a
//! fresh process then checks that every kill left either nothing or the whole:
//!
//! - table commit (`INSERT`): the table has its old rows or all the new ones;
//! - model publish, pointer update and run log (`CREATE MODEL`): the model is
//!   absent, or it has `v1` as its default, it loads, and its run is logged;
//! - feature view materialisation: the version is absent or has all its rows;
//! - tracking append (`log_metric`): the metric is absent or present;
//!
//! and in every case the database opens without warnings and the interrupted
//! statement, run again, succeeds. CI runs 20 trials per protocol;
//! `FIRN_CRASH_TRIALS=200 cargo test --test crash` runs more, and
//! `FIRN_CRASH_SEED` replays a run's random moments.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use firnml::Database;
use firnml::arrow::array::{Array, AsArray};
use firnml::arrow::datatypes::Int64Type;

#[path = "support/seeded.rs"]
#[allow(dead_code)] // `below` is the fuzz harness's
mod seeded;
use seeded::{Xorshift, env_number, seed_from_env};

const SETUP: &str = "
CREATE TABLE train AS SELECT value AS id, CAST(value % 23 AS DOUBLE) AS x,
  CASE WHEN value % 23 >= 11 THEN 1 ELSE 0 END AS y FROM generate_series(1, 300);
CREATE TABLE t AS SELECT value AS a FROM generate_series(1, 100);
CREATE ENTITY item KEYS (id);
SELECT * FROM start_run('exp', 'manual');
";

/// One commit protocol: the statement that runs it, the crash points inside
/// it, and the check of what a kill may leave.
struct Protocol {
    name: &'static str,
    statement: &'static str,
    points: &'static [&'static str],
    check: fn(&Database) -> futures::future::BoxFuture<'_, ()>,
}

const PROTOCOLS: [Protocol; 4] = [
    Protocol {
        name: "table commit",
        statement: "INSERT INTO t SELECT value + 100 AS a FROM generate_series(1, 100)",
        points: &["table.before_commit", "table.after_commit"],
        check: |db| Box::pin(check_table(db)),
    },
    Protocol {
        name: "model publish, pointer update, run log",
        statement: "CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'y', n_estimators 5) \
                    AS SELECT x, y FROM train",
        points: &[
            "table.before_commit",
            "model.before_manifest",
            "model.before_pointer",
            "model.before_run",
            "tracking.before_append",
        ],
        check: |db| Box::pin(check_model(db)),
    },
    Protocol {
        name: "feature view materialisation",
        statement: "CREATE FEATURE VIEW fv VERSION v1 ENTITY item MATERIALIZED \
                    AS SELECT id, x FROM train",
        points: &["feature_view.before_revision"],
        check: |db| Box::pin(check_feature_view(db)),
    },
    Protocol {
        name: "tracking append",
        statement: "SELECT * FROM log_metric('exp', 'manual', 'f1', 0.5)",
        points: &["tracking.before_append", "table.after_commit"],
        check: |db| Box::pin(check_tracking(db)),
    },
];

fn firn() -> Command {
    Command::new(env!("CARGO_BIN_EXE_firn"))
}

async fn count(db: &Database, sql: &str) -> i64 {
    let batches = db.sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    batches[0].column(0).as_primitive::<Int64Type>().value(0)
}

async fn check_table(db: &Database) {
    let rows = count(db, "SELECT count(*) FROM t").await;
    assert!(rows == 100 || rows == 200, "a partial insert: {rows} rows");
}

async fn check_model(db: &Database) {
    let models = db.models().await.expect("listing");
    let Some(m) = models.iter().find(|m| m.name == "m") else {
        return; // nothing was published
    };
    assert_eq!(m.problem, None);
    assert_eq!(m.versions, 1);
    assert_eq!(
        m.default_version.as_deref(),
        Some("v1"),
        "no default version"
    );
    db.scorer("m").await.expect("the default version loads");
    let runs = count(
        db,
        "SELECT count(*) FROM firn.runs WHERE model = 'm' AND model_version = 'v1'",
    )
    .await;
    assert_eq!(runs, 1, "the version's run is not logged");
}

async fn check_feature_view(db: &Database) {
    match db
        .sql("SELECT count(*) FROM feature_view('fv', 'v1')")
        .await
    {
        Ok(batches) => {
            let rows = batches[0].column(0).as_primitive::<Int64Type>().value(0);
            assert_eq!(rows, 300, "a partial snapshot");
        }
        Err(e) => assert!(e.to_string().contains("does not exist"), "{e}"),
    }
}

async fn check_tracking(db: &Database) {
    let batches = db
        .sql("SELECT metrics['f1'] FROM firn.runs WHERE experiment = 'exp' AND run = 'manual'")
        .await
        .expect("runs");
    let column = batches[0].column(0);
    assert_eq!(column.len(), 1, "the run is gone");
    if !column.is_null(0) {
        let f1 = column
            .as_any()
            .downcast_ref::<firnml::arrow::array::Float64Array>()
            .expect("DOUBLE")
            .value(0);
        assert_eq!(f1, 0.5);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// How one trial interrupts the statement.
enum Interruption<'a> {
    At(&'a str),
    KillAfter(Duration),
}

/// Runs `statement` on a copy of `template`, interrupted; returns the copy.
fn interrupted_run(
    template: &Path,
    work: &Path,
    trial: usize,
    statement: &str,
    how: &Interruption,
) -> PathBuf {
    let db = work.join(format!("trial-{trial}"));
    copy_dir(template, &db);
    let mut command = firn();
    command
        .arg(&db)
        .arg("-c")
        .arg(statement)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match how {
        Interruption::At(point) => {
            let status = command
                .env("FIRN_CRASH_AT", point)
                .status()
                .expect("runs firn");
            // 137 when the point was reached; a point the statement does not
            // pass (e.g. no commit to make) lets it finish.
            assert!(
                status.code() == Some(137) || status.success(),
                "{point}: {status}"
            );
        }
        Interruption::KillAfter(delay) => {
            let mut child = command.spawn().expect("runs firn");
            std::thread::sleep(*delay);
            let _ = child.kill(); // SIGKILL; it may have finished already
            let _ = child.wait();
        }
    }
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kill_leaves_nothing_or_the_whole() {
    let trials: usize = env_number("FIRN_CRASH_TRIALS", 20);
    let seed = seed_from_env("FIRN_CRASH_SEED");
    eprintln!("crash harness: {trials} trials per protocol, FIRN_CRASH_SEED={seed}");
    let mut moments = Xorshift(seed);
    let work = tempfile::tempdir().expect("tempdir");
    let template = work.path().join("template");
    let status = firn()
        .arg(&template)
        .arg("-c")
        .arg(SETUP)
        .stdout(Stdio::null())
        .status()
        .expect("setup");
    assert!(status.success(), "setup failed");

    let mut trial = 0;
    for protocol in &PROTOCOLS {
        // How long the statement takes uninterrupted, for the random moments.
        let started = Instant::now();
        let clean = interrupted_run(
            &template,
            work.path(),
            trial,
            protocol.statement,
            &Interruption::At("none"),
        );
        let duration = started.elapsed();
        trial += 1;
        verify(&clean, protocol).await;

        let mut interruptions: Vec<Interruption> = protocol
            .points
            .iter()
            .map(|p| Interruption::At(p))
            .collect();
        while interruptions.len() < trials {
            let micros = moments.next() % (duration.as_micros() as u64 + 1);
            interruptions.push(Interruption::KillAfter(Duration::from_micros(micros)));
        }
        for how in &interruptions {
            let db = interrupted_run(&template, work.path(), trial, protocol.statement, how);
            trial += 1;
            verify(&db, protocol).await;
            let _ = std::fs::remove_dir_all(&db);
        }
        eprintln!(
            "{}: {} trials ({} at crash points), 0 violations",
            protocol.name,
            interruptions.len(),
            protocol.points.len()
        );
    }
}

/// Opens `db` in a fresh process's place (this one) and checks the protocol's
/// invariant; then the statement, run again, succeeds.
async fn verify(db_dir: &Path, protocol: &Protocol) {
    let db = Database::open(db_dir.to_string_lossy())
        .await
        .unwrap_or_else(|e| panic!("{}: the database does not open: {e}", protocol.name));
    assert!(
        db.warnings().is_empty(),
        "{}: {:?}",
        protocol.name,
        db.warnings()
    );
    (protocol.check)(&db).await;
    let retry = protocol.statement.replace(" VERSION v1 ", " VERSION v2 ");
    db.sql(&retry)
        .await
        .unwrap_or_else(|e| panic!("{}: the retry failed: {e}", protocol.name));
}
