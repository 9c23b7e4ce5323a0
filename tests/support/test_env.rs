//! The tools the tests drive Firn with, from the virtual environment
//! `scripts/test-env.sh` makes (`$FIRN_TEST_VENV`, by default
//! `$HOME/.cache/firn-test-venv`): the Python ADBC client of the Flight SQL tests
//! and SeaweedFS's `weed`, the S3-compatible server of the object-storage tests.
//! When a tool is missing the script runs first (once per test process), so a bare
//! `cargo test` works on a fresh machine; a tool that still cannot be had fails
//! the tests, saying why — they never skip.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The virtual environment of the test tools.
pub fn venv() -> PathBuf {
    if let Some(venv) = std::env::var_os("FIRN_TEST_VENV") {
        return PathBuf::from(venv);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/firn-test-venv")
}

/// Runs `scripts/test-env.sh` (at most once per test process).
fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test-env.sh");
        let installed = Command::new("bash").arg(&script).status();
        eprintln!(
            "installed the test tools with {}: {installed:?}",
            script.display()
        );
    });
}

/// `tool` once `probe` accepts it. A tool the caller chose (`chosen`, from an
/// environment variable) is taken as it is; the default one is installed first
/// when the probe fails. Panics with `help` and the probe's result otherwise.
pub fn require(
    tool: PathBuf,
    chosen: bool,
    probe: impl Fn(&Path) -> std::io::Result<Output>,
    help: &str,
) -> PathBuf {
    if !chosen && !probe(&tool).is_ok_and(|out| out.status.success()) {
        install();
    }
    match probe(&tool) {
        Ok(out) if out.status.success() => tool,
        other => panic!(
            "{help}: {} is missing or does not work. Run scripts/test-env.sh (it installs the \
             test tools in {}). Probe result: {other:?}",
            tool.display(),
            venv().display()
        ),
    }
}

/// A headless Chromium for the tests that look at pages as a person would
/// (`$FIRN_CHROMIUM`, or `chromium` on the PATH, installed by
/// `scripts/test-env.sh` from the system's packages when missing).
#[allow(dead_code)] // each test binary uses its own part of the support module
pub fn chromium() -> PathBuf {
    let chosen = std::env::var_os("FIRN_CHROMIUM");
    let tool = chosen
        .clone()
        .map_or_else(|| PathBuf::from("chromium"), PathBuf::from);
    require(
        tool,
        chosen.is_some(),
        |path| Command::new(path).arg("--version").output(),
        "the model card's browser test needs Chromium",
    )
}
