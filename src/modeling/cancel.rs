//! Stopping training when its statement goes away. `CREATE MODEL` trains on a
//! blocking thread; when the statement's future is dropped — its timeout
//! passed, the client cancelled or disconnected, Ctrl-C in the shell — the
//! [`CancelOnDrop`] guard it holds raises a flag that the training's
//! [`Progress`] reports, and the search, the cross-validation and the final fit
//! stop before their next fit. Nothing is published: publishing comes after.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::ml::progress::Progress;

/// Raises its flag when dropped: held by the statement, seen by the training.
pub(crate) struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A progress receiver that also says when the statement has gone.
#[derive(Debug)]
pub(crate) struct Cancellable {
    inner: Arc<dyn Progress>,
    flag: Arc<AtomicBool>,
}

impl Cancellable {
    /// `inner`, cancelled when the returned guard is dropped.
    pub(crate) fn new(inner: Arc<dyn Progress>) -> (Self, CancelOnDrop) {
        let flag = Arc::new(AtomicBool::new(false));
        (
            Self {
                inner,
                flag: Arc::clone(&flag),
            },
            CancelOnDrop(flag),
        )
    }
}

impl Progress for Cancellable {
    fn start(&self, stage: &str, total: u64) {
        self.inner.start(stage, total);
    }

    fn advance(&self, steps: u64) {
        self.inner.advance(steps);
    }

    fn finish(&self) {
        self.inner.finish();
    }

    fn best(&self, metric: &str, score: f64) {
        self.inner.best(metric, score);
    }

    fn cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst) || self.inner.cancelled()
    }
}
