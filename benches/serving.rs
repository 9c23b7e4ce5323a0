//! Serving benchmarks (issue: Flight SQL server and embedding), run through
//! `benches/serving.sh`, which builds this with the release profile and
//! appends the printed section to `benches/RESULTS.md`:
//!
//! 1. a 10,000,000-row result (a stored 4-column table) read in-process
//!    through a DataFusion stream, and streamed to the Python ADBC client
//!    over Flight SQL (`benches/serving_clients.py`); medians and the ratio
//!    of rates;
//! 2. 32 concurrent ADBC clients, each running `predict(…)` over 10,000 rows
//!    with the seed's churn model, started together, several rounds: errors,
//!    median and p99 latency;
//! 3. embedded single-row scoring through `Scorer::predict` with a warm model
//!    (the seed's model: 8 features, 150 trees of depth 5): median per call.
//!
//! Arguments: `--python PATH` (the ADBC client's interpreter), `--rows N`,
//! `--clients N`, `--rounds N`, `--reps N`, `--pin yes|no`.
//!
//! With `--pin yes` (the default where `taskset` and two CPUs exist) this
//! process — the in-process query and the server — runs on CPU 1 and the
//! streaming client on CPU 0, so that each side has a core of its own, as if
//! the client ran on another machine; the in-process figure is then one core's.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

/// The shell's script splitter and variables (part of the `firn` binary).
#[path = "../src/bin/firn/script/mod.rs"]
#[allow(dead_code)]
mod script;
use script::{ScriptItem, Variables, split_script};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use firnml::Database;
use firnml::scoring::FeatureValue;
use firnml::server::{ServerConfig, start};
use futures::StreamExt;

type Error = Box<dyn std::error::Error>;

struct Args {
    python: PathBuf,
    rows: u64,
    clients: usize,
    rounds: usize,
    reps: usize,
    pin: bool,
}

fn args() -> Result<Args, Error> {
    let home = std::env::var("HOME").unwrap_or_default();
    let mut parsed = Args {
        python: PathBuf::from(format!("{home}/.cache/firn-test-venv/bin/python")),
        rows: 10_000_000,
        clients: 32,
        rounds: 3,
        reps: 5,
        pin: can_pin(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        // `cargo bench` passes --bench.
        if flag == "--bench" {
            continue;
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--python" => parsed.python = PathBuf::from(value),
            "--rows" => parsed.rows = value.parse()?,
            "--clients" => parsed.clients = value.parse()?,
            "--rounds" => parsed.rounds = value.parse()?,
            "--reps" => parsed.reps = value.parse()?,
            "--pin" => {
                parsed.pin = match value.as_str() {
                    "yes" => true,
                    "no" => false,
                    other => return Err(format!("--pin takes yes or no, not {other}").into()),
                }
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(parsed)
}

/// Whether each side can have a CPU of its own: `taskset` runs and there are two CPUs.
fn can_pin() -> bool {
    let two_cpus = std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2);
    two_cpus
        && Command::new("taskset")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
}

/// Moves every thread of this process to CPU 1 (the server's and the in-process query's core).
fn pin_self_to_cpu1() -> Result<(), Error> {
    let status = Command::new("taskset")
        .args(["-a", "-cp", "1", &std::process::id().to_string()])
        .stdout(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        return Err("taskset could not move this process to CPU 1".into());
    }
    Ok(())
}

/// CPU seconds this process has used (user + system; Linux, 100 ticks a second).
fn process_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// The machine's 1-minute load average, for the record.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(mut values: Vec<f64>, p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

fn client(args: &Args, params: &[String]) -> Result<serde_json::Value, Error> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/serving_clients.py");
    let mut command = if args.pin {
        let mut taskset = Command::new("taskset");
        taskset.args(["-c", "0"]).arg(&args.python);
        taskset
    } else {
        Command::new(&args.python)
    };
    let output = command.arg(script).args(params).output()?;
    if !output.status.success() {
        return Err(format!(
            "the Python client failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    Ok(serde_json::from_str(
        stdout.lines().last().unwrap_or_default(),
    )?)
}

/// A remote run of `query` over `uri`, `args.reps` times: medians.
struct Remote {
    seconds: f64,
    server_cpu: f64,
    client_cpu: f64,
}

fn stream_remotely(args: &Args, uri: &str, query: &str) -> Result<Remote, Error> {
    let server_cpu_started = process_cpu();
    let remote = client(
        args,
        &[
            "stream".into(),
            uri.into(),
            query.into(),
            args.reps.to_string(),
        ],
    )?;
    assert_eq!(remote["rows"].as_u64(), Some(args.rows));
    Ok(Remote {
        seconds: median(numbers(&remote["seconds"])),
        // The server runs in this process: its CPU over all repetitions, per repetition.
        server_cpu: (process_cpu() - server_cpu_started) / args.reps as f64,
        client_cpu: median(numbers(&remote["cpu"])),
    })
}

fn numbers(value: &serde_json::Value) -> Vec<f64> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
        .unwrap_or_default()
}

/// The seed pipeline (01, 02) and the seed's model, for realistic scoring.
async fn seed_model(db: &Database) -> Result<(), Error> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seed = std::fs::canonicalize(root.join("../shared/seed-data"))?;
    let mut variables = Variables::new();
    variables.set("data_dir", seed.display().to_string());
    let session = db.session();
    for script in ["sql/01_data_exploration.sql", "sql/02_features.sql"] {
        for item in split_script(&std::fs::read_to_string(root.join(script))?) {
            if let ScriptItem::Sql { text, line } = item {
                session.execute(&variables.substitute(&text, line)?).await?;
            }
        }
    }
    session
        .execute(
            "CREATE MODEL churn OPTIONS (type 'gbdt_classifier', label 'is_churned', \
             exclude 'customer_id', max_depth 5, n_estimators 150, learning_rate 0.1, seed 42) \
             AS SELECT * FROM training_dataset",
        )
        .await?;
    session
        .execute(
            "CREATE TABLE scoring AS SELECT t.* FROM training_dataset t \
             CROSS JOIN generate_series(1, 4) LIMIT 10000",
        )
        .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = args()?;
    // As `firn serve` does (src/server/allocator.rs).
    firnml::server::allocator::keep_freed_memory_for_reuse();
    if args.pin {
        pin_self_to_cpu1()?;
    }
    let dir = tempfile::tempdir()?;
    let db = Database::open(dir.path().join("db").to_string_lossy()).await?;
    db.sql(&format!(
        "CREATE TABLE big AS SELECT value AS id, value * 0.5 AS x, value % 100 AS k, \
         concat('segment_', value % 5) AS s FROM generate_series(1, {})",
        args.rows
    ))
    .await?;
    let query = "SELECT * FROM big";

    // 1. In-process: plan and stream the result, counting rows.
    let session = db.session();
    let load_before = load_average();
    let (mut local, mut local_cpu) = (Vec::new(), Vec::new());
    for _ in 0..args.reps {
        let (started, cpu_started) = (Instant::now(), process_cpu());
        let mut stream = session.dataframe(query).await?.execute_stream().await?;
        let mut rows = 0;
        while let Some(batch) = stream.next().await {
            rows += batch?.num_rows();
        }
        local.push(started.elapsed().as_secs_f64());
        local_cpu.push(process_cpu() - cpu_started);
        assert_eq!(rows as u64, args.rows);
    }
    let server = start(
        db.clone(),
        ServerConfig {
            port: 0,
            unix_socket: Some(dir.path().join("firn.sock")),
            ..ServerConfig::default()
        },
    )
    .await?;
    let uri = format!("grpc://{}", server.local_addr());
    let unix_uri = format!("grpc+unix://{}", dir.path().join("firn.sock").display());
    let local_s = median(local);
    let local_cpu_s = median(local_cpu);
    let tcp = stream_remotely(&args, &uri, query)?;
    let unix = stream_remotely(&args, &unix_uri, query)?;

    // 2. Concurrent clients scoring 10,000 rows each.
    seed_model(&db).await?;
    let predict = "SELECT customer_id, predict('churn', days_since_last_order, total_order_count, \
                   order_count_2024, total_order_amount, avg_order_amount, total_amount_2024, \
                   return_rate, segment) AS p FROM scoring";
    let concurrent = client(
        &args,
        &[
            "concurrent".into(),
            uri,
            predict.into(),
            args.clients.to_string(),
            args.rounds.to_string(),
        ],
    )?;
    let latencies = numbers(&concurrent["latencies"]);
    let errors = concurrent["errors"].as_array().map_or(0, Vec::len);
    let all_rows = numbers(&concurrent["rows"]).iter().all(|n| *n == 10_000.0);
    server.shutdown().await?;

    // 3. Embedded single-row scoring with a warm model.
    let scorer = db.scorer("churn").await?;
    let row: Vec<FeatureValue> = vec![
        45.0.into(),
        6.0.into(),
        2.0.into(),
        512.25.into(),
        85.4.into(),
        170.8.into(),
        0.1.into(),
        "Standard".into(),
    ];
    let named: HashMap<String, FeatureValue> = scorer
        .features()
        .into_iter()
        .zip(row.iter().cloned())
        .collect();
    let per_call = |f: &dyn Fn()| {
        const CALLS: usize = 10_000;
        for _ in 0..CALLS {
            f();
        }
        let samples: Vec<f64> = (0..31)
            .map(|_| {
                let started = Instant::now();
                for _ in 0..CALLS {
                    f();
                }
                started.elapsed().as_secs_f64() * 1e6 / CALLS as f64
            })
            .collect();
        median(samples)
    };
    let predict_us = per_call(&|| {
        std::hint::black_box(scorer.predict(std::hint::black_box(&row)).ok());
    });
    let named_us = per_call(&|| {
        std::hint::black_box(scorer.predict_named(std::hint::black_box(&named)).ok());
    });
    let explain_us = per_call(&|| {
        std::hint::black_box(scorer.explain(std::hint::black_box(&row), 3).ok());
    });

    let rate = |s: f64| args.rows as f64 / s / 1e6;
    let mark = |ok: bool| if ok { "yes" } else { "**no**" };
    println!("1-minute load average when the measurements started: {load_before} (2 cores).");
    if args.pin {
        println!(
            "Pinned: this process (in-process query and server) on CPU 1, the streaming client on CPU 0 (`taskset`).\n"
        );
    } else {
        println!("Not pinned: server and client share the cores.\n");
    }
    println!("| figure | target | measured | met |");
    println!("|---|---|---|---|");
    println!(
        "| {} rows × 4 columns in-process (DataFusion stream), median of {} | — | {local_s:.2} s ({:.1} M rows/s; {local_cpu_s:.2} CPU-s) | — |",
        args.rows,
        args.reps,
        rate(local_s)
    );
    for (transport, remote) in [("TCP", &tcp), ("a Unix socket", &unix)] {
        let ratio = local_s / remote.seconds;
        let cpu_ratio = remote.server_cpu / local_cpu_s;
        println!(
            "| the same over Flight SQL on {transport} into a pyarrow Table (ADBC), median of {} | — | {:.2} s ({:.1} M rows/s; server {:.2} CPU-s, client {:.2} CPU-s) | — |",
            args.reps,
            remote.seconds,
            rate(remote.seconds),
            remote.server_cpu,
            remote.client_cpu,
        );
        println!(
            "| … Flight SQL rate ÷ in-process rate ({transport}) | ≥ 70 % | {:.1} % | {} |",
            100.0 * ratio,
            mark(ratio >= 0.7)
        );
        println!(
            "| … the server's CPU per row ÷ the in-process query's ({transport}) | ≤ 1.3× | {cpu_ratio:.2}× | {} |",
            mark(cpu_ratio <= 1.3)
        );
    }
    println!(
        "| {} concurrent clients × predict over 10,000 rows, {} rounds: errors | 0 | {errors}{} | {} |",
        args.clients,
        args.rounds,
        if all_rows {
            ""
        } else {
            " (some results short)"
        },
        mark(errors == 0 && all_rows)
    );
    println!(
        "| … latency per client: median / p99 / max | recorded | {:.2} s / {:.2} s / {:.2} s | — |",
        median(latencies.clone()),
        percentile(latencies.clone(), 99.0),
        latencies.iter().cloned().fold(0.0, f64::max)
    );
    println!(
        "| embedded `Scorer::predict`, one row, warm model (8 features, 150 trees) | < 50 µs | {predict_us:.2} µs | {} |",
        mark(predict_us < 50.0)
    );
    println!("| … `Scorer::predict_named` (features by name) | — | {named_us:.2} µs | — |");
    println!("| … `Scorer::explain` (prediction + TreeSHAP, top 3) | — | {explain_us:.1} µs | — |");
    Ok(())
}
