//! Named points between the steps of Firn's commit protocols where a test can
//! make the process die as `kill -9` would: `FIRN_CRASH_AT=model.before_pointer`
//! (or `name:N` for the N-th time the point is reached) aborts the process
//! there, with no destructor, flush or cleanup. Unset — always, outside the
//! crash harness (`tests/crash.rs`) — a point costs one relaxed load.
//!
//! The points, in protocol order:
//! - `table.before_commit`, `table.after_commit`: a table's data files are
//!   written, its commit not yet / just published;
//! - `model.before_manifest`, `model.before_pointer`, `model.before_run`: a
//!   model version's file is written / its manifest published / its pointer
//!   step done but its experiment run not yet logged;
//! - `tracking.before_append`: a run's records are about to be appended;
//! - `feature_view.before_revision`: a materialized snapshot is written, the
//!   revision naming it not yet.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable naming the point to die at.
pub const CRASH_AT_VARIABLE: &str = "FIRN_CRASH_AT";

struct Target {
    name: String,
    /// Die the N-th time the point is reached (1-based).
    nth: u64,
    seen: AtomicU64,
}

fn target() -> Option<&'static Target> {
    static TARGET: OnceLock<Option<Target>> = OnceLock::new();
    TARGET
        .get_or_init(|| {
            let value = std::env::var(CRASH_AT_VARIABLE).ok()?;
            let (name, nth) = match value.split_once(':') {
                Some((name, n)) => (name.to_string(), n.parse().ok()?),
                None => (value, 1),
            };
            Some(Target {
                name,
                nth,
                seen: AtomicU64::new(0),
            })
        })
        .as_ref()
}

/// Dies here if the crash harness asked for this point.
pub fn reached(point: &str) {
    let Some(target) = target() else {
        return;
    };
    if target.name == point && target.seen.fetch_add(1, Ordering::SeqCst) + 1 == target.nth {
        // 128 + SIGKILL, as the shell reports a killed process; no core file.
        std::process::exit(137);
    }
}
