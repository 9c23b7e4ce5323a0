//! Training progress as a bar on the terminal (indicatif): the stage, steps
//! with elapsed time and an estimate of what is left, the best score so far;
//! a stage that completes leaves one summary line. Only drawn when standard
//! error is a terminal and the shell is not quiet; scripts whose output goes
//! to a file or a pipe, and CI, see nothing.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use firnml::ml::progress::Progress;

/// Draws one bar per training stage on standard error.
#[derive(Debug, Default)]
pub struct TerminalProgress {
    bar: Mutex<Option<Stage>>,
}

/// The bar of the running stage, its name and the best score seen.
#[derive(Debug)]
struct Stage {
    bar: ProgressBar,
    name: String,
    best: Option<String>,
}

impl Stage {
    /// Clears the bar; a completed stage leaves `search: 15/15 fits in 12s, best cv_f1 0.8123`.
    fn end(self) {
        let done = self
            .bar
            .length()
            .is_some_and(|len| self.bar.position() >= len);
        self.bar.finish_and_clear();
        if done {
            let best = self.best.map(|b| format!(", best {b}")).unwrap_or_default();
            eprintln!(
                "{}: {}/{} in {}{best}",
                self.name,
                self.bar.position(),
                self.bar.length().unwrap_or_default(),
                indicatif::HumanDuration(self.bar.elapsed())
            );
        }
    }
}

impl TerminalProgress {
    /// A progress display on standard error.
    pub fn new() -> Self {
        Self::default()
    }

    fn with_bar(&self, f: impl FnOnce(&mut Option<Stage>)) {
        f(&mut self.bar.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

impl Progress for TerminalProgress {
    fn start(&self, stage: &str, total: u64) {
        self.with_bar(|slot| {
            if let Some(old) = slot.take() {
                old.end();
            }
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} {msg} [{bar:30}] {pos}/{len} {elapsed}, about {eta} left",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_message(stage.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            *slot = Some(Stage {
                bar,
                name: stage.to_string(),
                best: None,
            });
        });
    }

    fn advance(&self, steps: u64) {
        self.with_bar(|slot| {
            if let Some(stage) = slot {
                stage.bar.inc(steps);
            }
        });
    }

    fn finish(&self) {
        self.with_bar(|slot| {
            if let Some(stage) = slot.take() {
                stage.end();
            }
        });
    }

    fn best(&self, metric: &str, score: f64) {
        self.with_bar(|slot| {
            if let Some(stage) = slot {
                let best = format!("{metric} {score:.4}");
                stage
                    .bar
                    .set_message(format!("{} · best {best}", stage.name));
                stage.best = Some(best);
            }
        });
    }
}
