//! The Flight SQL server driven by real clients: the Python ADBC driver (the
//! scripts in `tests/flight_sql/*.py`, which fail — never skip — when the
//! client is not installed; `tests/support/test_env.rs` runs `scripts/test-env.sh`
//! to install it) and arrow-flight's Rust client for requests ADBC would never send.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

/// The shell's script splitter and variables (part of the `firn` binary).
#[path = "../src/bin/firn/script/mod.rs"]
#[allow(dead_code)]
mod script;
use script::{ScriptItem, Variables, split_script};

#[path = "support/test_env.rs"]
mod test_env;

#[path = "flight_sql/harness.rs"]
mod harness;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use arrow_flight::flight_service_client::FlightServiceClient;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::sql::{
    ActionCreatePreparedStatementRequest, CommandPreparedStatementQuery, CommandStatementQuery,
    ProstMessageExt, TicketStatementQuery,
};
use arrow_flight::{Action, FlightDescriptor, Ticket};
use firnml::arrow::array::{AsArray, RecordBatch};
use firnml::arrow::datatypes::Float64Type;
use firnml::server::{Credentials, RunningServer, ServerConfig, TlsFiles};
use firnml::{Database, DatabaseOptions};
use futures::TryStreamExt;
use harness::{run_script, script_command, serve, uri};
use prost::Message;
use tonic::Code;
use tonic::transport::Channel;

fn seed_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seed-data");
    std::fs::canonicalize(&dir).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the seed data must be beside the project)",
            dir.display()
        )
    })
}

/// Polls `condition` for up to 30 seconds.
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn rust_client(server: &RunningServer) -> FlightSqlServiceClient<Channel> {
    let channel = Channel::from_shared(uri(server))
        .expect("uri")
        .connect()
        .await
        .expect("connects");
    FlightSqlServiceClient::new(channel)
}

/// Runs `sql` with arrow-flight's Rust Flight SQL client.
async fn rust_query(server: &RunningServer, sql: &str) -> Result<Vec<RecordBatch>, tonic::Status> {
    let mut client = rust_client(server).await;
    let info = client
        .execute(sql.to_string(), None)
        .await
        .map_err(tonic::Status::from)?;
    let mut batches = Vec::new();
    for endpoint in info.endpoint {
        let ticket = endpoint.ticket.expect("a ticket");
        let stream = client.do_get(ticket).await.map_err(tonic::Status::from)?;
        batches.extend(
            stream
                .try_collect::<Vec<_>>()
                .await
                .map_err(tonic::Status::from)?,
        );
    }
    Ok(batches)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queries_types_statements_and_metadata_over_adbc() {
    let db = Database::in_memory().await.expect("db");
    let server = serve(db, ServerConfig::default()).await;
    let facts = run_script("queries.py", &server, &[]).await;
    assert_eq!(facts["rows"], 200_000);
    assert_eq!(facts["sum"], 200_000u64 * 200_001 / 2);
    assert_eq!(facts["vendor"], "Firn");
    assert_eq!(facts["tables"], serde_json::json!(["scores", "top_scores"]));
    server.shutdown().await.expect("stops");
}

/// A client on the same machine over the Unix domain socket: the same ADBC
/// script as over TCP; the socket is its owner's only, a stale one is
/// replaced, a live one or any other file is refused, and it goes at shutdown.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_clients_connect_over_a_unix_socket() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("firn.sock");
    // A socket left by a server that died: nobody listens on it.
    drop(std::os::unix::net::UnixListener::bind(&path).expect("a stale socket"));
    assert!(path.exists());
    let with_socket = |path: &Path| ServerConfig {
        port: 0,
        unix_socket: Some(path.to_path_buf()),
        ..ServerConfig::default()
    };
    let db = Database::in_memory().await.expect("db");
    let server = serve(db.clone(), with_socket(&path)).await;
    assert_eq!(server.unix_socket(), Some(path.as_path()));
    let mode = std::fs::metadata(&path)
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "owner-only: {mode:o}");

    let unix_uri = format!("grpc+unix://{}", path.display());
    let facts = run_script("queries.py", &server, &[("FIRN_URI", unix_uri)]).await;
    assert_eq!(facts["rows"], 200_000);
    assert_eq!(facts["sum"], 200_000u64 * 200_001 / 2);
    // TCP serves on beside it.
    let batches = rust_query(&server, "SELECT count(*) AS n FROM scores")
        .await
        .expect("tcp");
    assert_eq!(batches[0].num_rows(), 1);

    let live = firnml::server::start(db.clone(), with_socket(&path))
        .await
        .unwrap_err()
        .to_string();
    assert!(live.contains("already listening on the socket"), "{live}");
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "keep me").expect("file");
    let other = firnml::server::start(db, with_socket(&file))
        .await
        .unwrap_err()
        .to_string();
    assert!(other.contains("exists and is not a socket"), "{other}");
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), "keep me");

    server.shutdown().await.expect("stops");
    assert!(!path.exists(), "the socket is removed at shutdown");
}

/// The seed pipeline's scripts.
const SEED_SCRIPTS: [&str; 6] = [
    "sql/01_data_exploration.sql",
    "sql/02_features.sql",
    "sql/03_model_training.sql",
    "sql/04_experiment_tracking.sql",
    "sql/05_model_registry.sql",
    "sql/06_production.sql",
];

/// The statements of the seed scripts with their variables set; exports go to `out_dir`.
fn seed_statements(out_dir: &Path) -> Vec<String> {
    let mut variables = Variables::new();
    variables.set("data_dir", seed_dir().display().to_string());
    variables.set("out_dir", out_dir.display().to_string());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut statements = Vec::new();
    for script in SEED_SCRIPTS {
        let text = std::fs::read_to_string(root.join(script)).expect("script");
        for item in split_script(&text) {
            if let ScriptItem::Sql { text, line } = item {
                statements.push(variables.substitute(&text, line).expect("variables"));
            }
        }
    }
    statements
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_seed_pipeline_runs_remotely_with_the_in_process_results() {
    let work = tempfile::tempdir().expect("tempdir");
    let (local_out, remote_out) = (
        work.path().join("local-out"),
        work.path().join("remote-out"),
    );
    std::fs::create_dir(&remote_out).expect("mkdir");
    let statements = seed_statements(&local_out);
    let remote_statements = seed_statements(&remote_out);
    let expected = work.path().join("expected");
    std::fs::create_dir(&expected).expect("mkdir");
    // The same statements in-process, results kept as Arrow IPC files.
    let local = Database::open(work.path().join("local.firn").to_string_lossy())
        .await
        .expect("local db");
    let session = local.session();
    for (i, sql) in statements.iter().enumerate() {
        let output = session
            .execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let file = std::fs::File::create(expected.join(format!("{i}.arrow"))).expect("file");
        let mut writer =
            firnml::arrow::ipc::writer::FileWriter::try_new(file, &output.schema).expect("writer");
        for batch in &output.batches {
            writer.write(batch).expect("write");
        }
        writer.finish().expect("finish");
    }
    let statements_file = work.path().join("statements.json");
    std::fs::write(
        &statements_file,
        serde_json::to_vec(&remote_statements).expect("json"),
    )
    .expect("write");

    let db = Database::open(work.path().join("remote.firn").to_string_lossy())
        .await
        .expect("remote db");
    let config = ServerConfig {
        allowed_paths: vec![seed_dir(), remote_out.clone()],
        ..ServerConfig::default()
    };
    let server = serve(db, config).await;
    let facts = run_script(
        "pipeline.py",
        &server,
        &[
            ("FIRN_STATEMENTS", statements_file.display().to_string()),
            ("FIRN_EXPECTED", expected.display().to_string()),
        ],
    )
    .await;
    assert_eq!(facts["statements"], statements.len());
    assert_eq!(facts["labelled"], 3000);
    assert_eq!(facts["churned"], 1084);
    assert_eq!(facts["training_rows"], 3000);
    // The production exports land in the allowed directory, identical to the in-process ones.
    let csv =
        |dir: &Path| std::fs::read_to_string(dir.join("churn_risk_list.csv")).expect("csv export");
    assert_eq!(csv(&remote_out), csv(&local_out));
    assert!(remote_out.join("churn_risk_list.parquet").exists());
    server.shutdown().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn firn_statements_run_remotely_once_with_the_shell_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::open(dir.path().join("db").to_string_lossy())
        .await
        .expect("db");
    let server = serve(db.clone(), ServerConfig::default()).await;
    let facts = run_script("models.py", &server, &[]).await;
    server.shutdown().await.expect("stops");

    // Each CREATE MODEL was prepared, then run once: v1 and v2 (v1 dropped remotely), no v3.
    let registry = db.registry();
    let versions: Vec<String> = registry
        .list_versions("churn")
        .await
        .expect("versions")
        .into_iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(versions, vec!["v2"]);
    let pointers = registry.pointers("churn").await.expect("pointers");
    assert_eq!(pointers.default.as_deref(), Some("v2"));
    assert_eq!(
        pointers.aliases.get("champion").map(String::as_str),
        Some("v2")
    );
    assert_eq!(
        pointers.comments.get("v2").map(String::as_str),
        Some("set remotely")
    );
    assert_eq!(facts["created"]["version"], "v1");
    let local = db
        .sql("SELECT predict('churn@v2', x, z, seg) AS p FROM training ORDER BY x")
        .await
        .expect("in-process predictions");
    let local: Vec<f64> = local
        .iter()
        .flat_map(|b| b.column(0).as_primitive::<Float64Type>().values().to_vec())
        .collect();
    let remote: Vec<f64> = facts["predictions"]
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect();
    assert_eq!(local.len(), 600);
    assert_eq!(remote.len(), local.len());
    for (r, l) in remote.iter().zip(&local) {
        assert!((r - l).abs() < 1e-12, "remote {r} vs in-process {l}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn prepared_statements_bind_question_marks_and_dollar_parameters() {
    let db = Database::in_memory().await.expect("db");
    let server = serve(db, ServerConfig::default()).await;
    let facts = run_script("prepared.py", &server, &[]).await;
    assert_eq!(facts["inserted"], 2);
    assert_eq!(facts["total"], 5);
    assert_eq!(facts["type_error"], "InvalidArgument");
    server.shutdown().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn authentication_refuses_wrong_credentials_and_accepts_tokens_and_users() {
    let db = Database::in_memory().await.expect("db");
    let credentials = Credentials::new()
        .with_token("tok-3141")
        .and_then(|c| c.with_user("alice", "wonderland"))
        .expect("credentials");
    let config = ServerConfig {
        credentials,
        ..ServerConfig::default()
    };
    let server = serve(db, config).await;
    let facts = run_script(
        "auth.py",
        &server,
        &[
            ("FIRN_TOKEN_FOR_TEST", "tok-3141".into()),
            ("FIRN_USER_FOR_TEST", "alice:wonderland".into()),
        ],
    )
    .await;
    assert!(
        facts["none_message"]
            .as_str()
            .is_some_and(|m| m.contains("requires authentication")),
        "{facts}"
    );
    // The Rust client without credentials is refused too, and the server goes on.
    let err = rust_query(&server, "SELECT 1").await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err}");
    assert!(err.message().contains("requires authentication"), "{err}");
    let mut client = rust_client(&server).await;
    client
        .handshake("alice", "wonderland")
        .await
        .expect("handshake");
    let info = client
        .execute("SELECT 2 AS two".into(), None)
        .await
        .expect("runs");
    assert_eq!(info.total_records, -1);
    server.shutdown().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_sql_and_refused_files_get_clear_statuses() {
    let allowed = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(allowed.path().join("ok.csv"), "a\n1\n2\n3\n").expect("csv");
    let outside_file = outside.path().join("stolen.csv");
    let db = Database::in_memory().await.expect("db");
    let config = ServerConfig {
        allowed_paths: vec![allowed.path().to_path_buf()],
        ..ServerConfig::default()
    };
    let server = serve(db, config).await;
    let facts = run_script(
        "errors.py",
        &server,
        &[
            ("FIRN_ALLOWED_DIR", allowed.path().display().to_string()),
            ("FIRN_OUTSIDE_FILE", outside_file.display().to_string()),
        ],
    )
    .await;
    assert_eq!(facts["missing"], "InvalidArgument");
    assert_eq!(facts["refused"], 5);
    assert!(
        !outside_file.exists(),
        "COPY must not write outside the allowed paths"
    );
    assert!(allowed.path().join("out.csv").exists());
    server.shutdown().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_killed_mid_stream_stops_its_query_and_the_server_serves_on() {
    let db = Database::in_memory().await.expect("db");
    let server = serve(db, ServerConfig::default()).await;
    let mut command = script_command("disconnect.py", &server, &[]);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("python starts");
    let stdout = child.stdout.take().expect("stdout");
    let ready = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|line| line.starts_with("READY"))
    })
    .await
    .expect("reader");
    assert!(ready.is_some(), "the client read a first batch");
    assert_eq!(server.active_streams(), 1, "the query is streaming");
    let sessions_before = server.session_count();
    child.kill().expect("kill");
    child.wait().expect("reaped");
    eventually("the abandoned stream is dropped", || {
        server.active_streams() == 0
    })
    .await;
    eventually("the client's session is dropped", || {
        server.session_count() < sessions_before
    })
    .await;
    let batches = rust_query(&server, "SELECT 40 + 2 AS answer")
        .await
        .expect("still serving");
    assert_eq!(batches[0].num_rows(), 1);
    server.shutdown().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_clients_are_not_held_up_by_a_long_query() {
    let db = Database::in_memory().await.expect("db");
    let server = serve(db, ServerConfig::default()).await;
    let facts = run_script("concurrency.py", &server, &[]).await;
    println!("concurrency: {facts}");
    assert_eq!(facts["long_still_running"], true, "{facts}");
    assert!(
        !facts["long_error"].is_null(),
        "the long query was cancelled: {facts}"
    );
    for latency in facts["latencies"].as_array().expect("latencies") {
        let seconds = latency.as_f64().expect("each quick client finished");
        assert!(seconds < 20.0, "a quick query took {seconds} s: {facts}");
    }
    eventually("the cancelled query stops", || server.active_streams() == 0).await;
    assert!(server.sessions_created() >= 17, "one session per client");
    server.shutdown().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tls_serves_clients_that_trust_the_certificate() {
    let db = Database::in_memory().await.expect("db");
    let tls = harness::scripts_dir().join("tls");
    let config = ServerConfig {
        tls: Some(TlsFiles {
            cert: tls.join("server.pem"),
            key: tls.join("server.key"),
        }),
        ..ServerConfig::default()
    };
    let server = serve(db, config).await;
    let facts = run_script(
        "tls.py",
        &server,
        &[(
            "FIRN_TLS_CERT",
            tls.join("server.pem").display().to_string(),
        )],
    )
    .await;
    assert_eq!(facts["tls"], "over tls");
    assert!(!facts["plain_error"].is_null());
    server.shutdown().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_memory_limit_bounds_queries_with_a_clear_status() {
    let options = DatabaseOptions {
        memory_limit: Some(8 * 1024 * 1024),
        ..DatabaseOptions::default()
    };
    let db = Database::open_with(":memory:", options).await.expect("db");
    let server = serve(db, ServerConfig::default()).await;
    let err = rust_query(
        &server,
        "SELECT array_agg(v) FROM generate_series(1, 20000000) AS s(v)",
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err}");
    assert!(err.message().contains("Resources exhausted"), "{err}");
    let ok = rust_query(&server, "SELECT count(*) FROM generate_series(1, 1000)")
        .await
        .expect("small queries still run");
    assert_eq!(ok[0].num_rows(), 1);
    server.shutdown().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_requests_and_unknown_handles_get_statuses() {
    let db = Database::in_memory().await.expect("db");
    let server = serve(db, ServerConfig::default()).await;
    let channel = Channel::from_shared(uri(&server))
        .expect("uri")
        .connect()
        .await
        .expect("connects");
    let mut raw = FlightServiceClient::new(channel);

    let garbage = raw
        .do_get(Ticket::new(vec![0xff, 0x01, 0x02]))
        .await
        .unwrap_err();
    assert_eq!(garbage.code(), Code::InvalidArgument, "{garbage}");

    let unknown_ticket = TicketStatementQuery {
        statement_handle: vec![7; 16].into(),
    };
    let err = raw
        .do_get(Ticket::new(unknown_ticket.as_any().encode_to_vec()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err}");
    assert!(err.message().contains("unknown result ticket"), "{err}");

    let unknown_statement = CommandPreparedStatementQuery {
        prepared_statement_handle: vec![1, 2, 3].into(),
    };
    let err = raw
        .get_flight_info(FlightDescriptor::new_cmd(
            unknown_statement.as_any().encode_to_vec(),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err}");
    assert!(
        err.message().contains("unknown prepared statement handle"),
        "{err}"
    );

    let err = raw
        .get_flight_info(FlightDescriptor::new_cmd(vec![0x0a, 0xff]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err}");
    assert!(
        !err.message().contains("DecodeError {"),
        "no Debug dump: {err}"
    );
    // A well-formed Any whose value is not the command it names.
    let lying = arrow_flight::sql::Any {
        type_url: CommandStatementQuery::type_url().into(),
        value: vec![0xff, 0xff, 0xff].into(),
    };
    let err = raw
        .get_flight_info(FlightDescriptor::new_cmd(lying.encode_to_vec()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err}");

    let bad_action = Action {
        r#type: "CreatePreparedStatement".into(),
        body: vec![0xde, 0xad].into(),
    };
    let err = raw.do_action(bad_action).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err}");
    let unknown_action = Action {
        r#type: "DropEverything".into(),
        body: Default::default(),
    };
    let err = raw.do_action(unknown_action).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err}");

    let bad_sql = ActionCreatePreparedStatementRequest {
        query: "SELECT FROM WHERE".into(),
        transaction_id: None,
    };
    let err = raw
        .do_action(Action {
            r#type: "CreatePreparedStatement".into(),
            body: bad_sql.as_any().encode_to_vec().into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err}");

    let empty_put = futures::stream::iter(Vec::<arrow_flight::FlightData>::new());
    let err = match raw.do_put(empty_put).await {
        Ok(response) => response
            .into_inner()
            .try_collect::<Vec<_>>()
            .await
            .expect_err("an empty DoPut is refused"),
        Err(status) => status,
    };
    assert_eq!(err.code(), Code::InvalidArgument, "{err}");

    let batches = rust_query(&server, "SELECT 'still here' AS s")
        .await
        .expect("serving");
    assert_eq!(batches[0].num_rows(), 1);
    server.shutdown().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firn_serve_starts_from_the_command_line_and_refuses_unsafe_settings() {
    let firn = env!("CARGO_BIN_EXE_firn");
    let refused = std::process::Command::new(firn)
        .args(["serve", "--host", "0.0.0.0", "--port", "0"])
        .env_remove("FIRN_TOKEN")
        .env_remove("FIRN_USER")
        .env_remove("FIRN_PASSWORD")
        .output()
        .expect("firn runs");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("without authentication"), "{stderr}");

    let missing_cert = std::process::Command::new(firn)
        .args([
            "serve",
            "--port",
            "0",
            "--tls-cert",
            "/nonexistent.pem",
            "--tls-key",
            "/nonexistent.key",
        ])
        .output()
        .expect("firn runs");
    assert!(!missing_cert.status.success());
    let stderr = String::from_utf8_lossy(&missing_cert.stderr);
    assert!(
        stderr.contains("cannot read the TLS certificate '/nonexistent.pem'"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = std::process::Command::new(firn)
        .arg("serve")
        .arg(dir.path().join("db"))
        .args([
            "--port",
            "0",
            "--token",
            "cli-token",
            "--memory-limit",
            "256M",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("firn serve starts");
    let stdout = child.stdout.take().expect("stdout");
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
            .expect("reader")
            .expect("the server prints its address");
    let channel = Channel::from_shared(format!("grpc://{address}"))
        .expect("uri")
        .connect()
        .await
        .expect("connects");
    let mut client = FlightSqlServiceClient::new(channel);
    let refused = client.execute("SELECT 1".into(), None).await.unwrap_err();
    assert_eq!(tonic::Status::from(refused).code(), Code::Unauthenticated);
    client.set_token("cli-token".into());
    let info = client
        .execute("SELECT 'from the cli' AS s".into(), None)
        .await
        .expect("runs with the token");
    assert_eq!(info.endpoint.len(), 1);
    child.kill().expect("kill");
    child.wait().expect("reaped");
}

/// Issue 12, findings 1 and 8 over the wire: a remote client cannot write the
/// database's own files (the database still opens afterwards), and a query
/// running past the server's statement timeout ends with DEADLINE_EXCEEDED.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn remote_clients_cannot_touch_the_database_files_and_long_queries_time_out() {
    let work = tempfile::tempdir().expect("tempdir");
    let db_dir = work.path().join("db");
    let db = Database::open(db_dir.to_string_lossy()).await.expect("db");
    db.sql("CREATE TABLE orders AS SELECT 1 AS a")
        .await
        .expect("table");
    let config = ServerConfig {
        allowed_paths: vec![work.path().to_path_buf()],
        statement_timeout: Duration::from_secs(1),
        ..ServerConfig::default()
    };
    let server = serve(db, config).await;
    for target in [
        db_dir.join("tables/orders/_log/00000000000000000099.json"),
        db_dir.join("firn.json"),
    ] {
        let err = rust_query(
            &server,
            &format!(
                "COPY (SELECT 1 AS a) TO '{}' STORED AS JSON",
                target.display()
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{err}");
        assert!(err.message().contains("database directory"), "{err}");
    }
    let started = Instant::now();
    let err = rust_query(
        &server,
        "SELECT count(*) FROM generate_series(1, 100000000000)",
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::DeadlineExceeded, "{err}");
    assert!(
        err.message().contains("statement stopped after 1 s"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    // A function whose work runs when it is submitted (training) is stopped too,
    // and publishes nothing.
    let err = rust_query(
        &server,
        "SELECT * FROM train_model('slow', \
         'SELECT value % 23 AS x, value % 7 AS z, CAST(value % 23 >= 11 AS INT) AS y \
          FROM generate_series(1, 5000)', \
         'type', 'gbdt_classifier', 'label', 'y', 'search', 'random', 'n_iter', 500, 'cv', 3, \
         'max_depth', 'int(2,6)')",
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::DeadlineExceeded, "{err}");
    let models = rust_query(&server, "SELECT count(*) AS n FROM firn.models")
        .await
        .expect("models");
    assert_eq!(
        models[0]
            .column(0)
            .as_primitive::<firnml::arrow::datatypes::Int64Type>()
            .value(0),
        0
    );
    let rows = rust_query(&server, "SELECT count(*) AS n FROM orders")
        .await
        .expect("the table still reads");
    assert_eq!(rows[0].num_rows(), 1);
    server.shutdown().await.expect("stops");
    let reopened = Database::open(db_dir.to_string_lossy())
        .await
        .expect("reopens");
    assert!(reopened.warnings().is_empty(), "{:?}", reopened.warnings());
}
