//! Starting a Firn Flight SQL server on a loopback port and running the Python
//! ADBC scripts beside this file against it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use firnml::Database;
use firnml::server::{RunningServer, ServerConfig, start};

use crate::test_env;

/// Whether `python` imports the ADBC driver and pyarrow.
fn probe(python: &Path) -> std::io::Result<Output> {
    Command::new(python)
        .args(["-c", "import adbc_driver_flightsql.dbapi, pyarrow"])
        .output()
}

/// The Python interpreter with `adbc-driver-flightsql` and `pyarrow`:
/// `$FIRN_TEST_PYTHON`, or the test venv's (installed when missing; see
/// `tests/support/test_env.rs`).
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let chosen = std::env::var_os("FIRN_TEST_PYTHON").map(PathBuf::from);
        test_env::require(
            chosen
                .clone()
                .unwrap_or_else(|| test_env::venv().join("bin/python")),
            chosen.is_some(),
            probe,
            "the Flight SQL tests need Python with the ADBC Flight SQL driver and pyarrow \
             (`pip install adbc-driver-flightsql pyarrow`; or set FIRN_TEST_PYTHON to such an \
             interpreter)",
        )
    })
}

/// The directory of the test scripts.
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/flight_sql")
}

/// A server on a free loopback port with `config`'s other settings.
pub async fn serve(db: Database, config: ServerConfig) -> RunningServer {
    let config = ServerConfig {
        host: "127.0.0.1".into(),
        port: 0,
        ..config
    };
    start(db, config).await.expect("the server starts")
}

/// The URI clients use for `server`.
pub fn uri(server: &RunningServer) -> String {
    format!("grpc://{}", server.local_addr())
}

/// The command that runs `script` against `server` with extra environment.
pub fn script_command(script: &str, server: &RunningServer, env: &[(&str, String)]) -> Command {
    let mut command = Command::new(python());
    command
        .arg(scripts_dir().join(script))
        .current_dir(scripts_dir())
        .env("FIRN_URI", uri(server))
        .env("PYTHONDONTWRITEBYTECODE", "1");
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// Runs `script` (off the async runtime, which keeps serving) and returns the
/// JSON object it prints last; a failing script fails the test with its output.
pub async fn run_script(
    script: &str,
    server: &RunningServer,
    env: &[(&str, String)],
) -> serde_json::Value {
    let mut command = script_command(script, server, env);
    let output: Output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the script thread")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("{script} printed no JSON result ({e}):\n{stdout}\n{stderr}"))
}
