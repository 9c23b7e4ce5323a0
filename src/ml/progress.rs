//! Progress of long training work (search candidates, folds, the final fit),
//! reported to whoever watches: the interactive shell draws a bar; scripts,
//! tests and servers watch nothing.

use std::fmt::Debug;
use std::sync::Arc;

/// Receives progress. Implementations must be cheap: they are called from the
/// training thread between fits.
pub trait Progress: Debug + Send + Sync {
    /// A new stage of `total` steps begins (e.g. "search: 5 candidates × 3 folds", 15).
    fn start(&self, stage: &str, total: u64);
    /// `steps` more steps of the current stage are done.
    fn advance(&self, steps: u64);
    /// The current stage is over (also called when training stops early;
    /// with no stage running it does nothing).
    fn finish(&self);
    /// The best mean cross-validated score so far, each time a candidate's
    /// last fold is scored (a search, or one cross-validation).
    fn best(&self, _metric: &str, _score: f64) {}
    /// Whether whoever started the work has gone (a statement timed out, a
    /// client cancelled, Ctrl-C): training stops before its next fit.
    fn cancelled(&self) -> bool {
        false
    }
}

/// The error of training stopped because [`Progress::cancelled`] said so.
pub fn cancelled_error() -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::Execution(
        "training was cancelled; nothing was published".into(),
    )
}

/// Watches nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _stage: &str, _total: u64) {}
    fn advance(&self, _steps: u64) {}
    fn finish(&self) {}
}

/// A progress receiver stored in a session's configuration, so training
/// started by a statement or a table function finds it.
#[derive(Debug, Clone)]
pub struct ProgressHandle(pub Arc<dyn Progress>);
