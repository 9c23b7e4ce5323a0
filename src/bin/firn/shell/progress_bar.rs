//! Training progress as a bar on the terminal (indicatif). Only drawn when
//! standard error is a terminal and the shell is not quiet; scripts whose
//! output goes to a file or a pipe, and CI, see nothing.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use firnml::ml::progress::Progress;

/// Draws one bar per training stage on standard error.
#[derive(Debug, Default)]
pub struct TerminalProgress {
    bar: Mutex<Option<ProgressBar>>,
}

impl TerminalProgress {
    /// A progress display on standard error.
    pub fn new() -> Self {
        Self::default()
    }

    fn with_bar(&self, f: impl FnOnce(&mut Option<ProgressBar>)) {
        f(&mut self.bar.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

impl Progress for TerminalProgress {
    fn start(&self, stage: &str, total: u64) {
        self.with_bar(|slot| {
            if let Some(old) = slot.take() {
                old.finish_and_clear();
            }
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style =
                ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
            bar.set_style(style);
            bar.set_message(stage.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            *slot = Some(bar);
        });
    }

    fn advance(&self, steps: u64) {
        self.with_bar(|slot| {
            if let Some(bar) = slot {
                bar.inc(steps);
            }
        });
    }

    fn finish(&self) {
        self.with_bar(|slot| {
            if let Some(bar) = slot.take() {
                bar.finish_and_clear();
            }
        });
    }
}
