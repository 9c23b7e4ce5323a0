//! What the tracking log means: its events folded into experiments and runs.
//! Pure and deterministic — the same events give the same state.

use std::collections::BTreeMap;

use super::event::{Event, EventKind};

/// A run's status, as MLflow names them.
pub const RUNNING: &str = "RUNNING";
/// The statuses a run can end with.
pub const END_STATUSES: &[&str] = &["FINISHED", "FAILED", "KILLED"];

/// Firn's own tags on runs.
pub mod tags {
    /// The run this run is part of (a search candidate's parent).
    pub const PARENT_RUN: &str = "firn.parent_run_id";
    /// The model the run produced.
    pub const MODEL: &str = "firn.model";
    /// The model version the run produced.
    pub const MODEL_VERSION: &str = "firn.model_version";
    /// What logged the run (`CREATE MODEL`, `sql`).
    pub const SOURCE: &str = "firn.source";
    /// The training data's fingerprint.
    pub const FINGERPRINT: &str = "firn.training_data_fingerprint";
    /// The leakage check's warnings about the training data (`; `-separated),
    /// present only when the last check of a table it was trained on flagged something.
    pub const LEAKAGE_WARNING: &str = "firn.leakage_warning";
}

/// One logged metric value.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricValue {
    /// The metric's name.
    pub name: String,
    /// Its value.
    pub value: f64,
    /// Its step (0 unless given).
    pub step: i64,
    /// When it was logged (ms since the epoch).
    pub at: i64,
}

/// One run.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Unique id.
    pub run_id: String,
    /// The experiment.
    pub experiment: String,
    /// The run's name (unique in its experiment).
    pub name: String,
    /// `RUNNING`, `FINISHED`, `FAILED` or `KILLED`.
    pub status: String,
    /// When it started (ms since the epoch).
    pub started_at: i64,
    /// When it ended, if it has.
    pub ended_at: Option<i64>,
    /// Parameters, by name.
    pub params: BTreeMap<String, String>,
    /// Every metric value logged, in log order.
    pub metrics: Vec<MetricValue>,
    /// Tags, by name.
    pub tags: BTreeMap<String, String>,
}

impl Run {
    /// The latest value of each metric (highest step, then latest logged), by name.
    pub fn latest_metrics(&self) -> BTreeMap<String, f64> {
        let mut latest: BTreeMap<String, (i64, i64, f64)> = BTreeMap::new();
        for m in &self.metrics {
            let entry = latest
                .entry(m.name.clone())
                .or_insert((m.step, m.at, m.value));
            if (m.step, m.at) >= (entry.0, entry.1) {
                *entry = (m.step, m.at, m.value);
            }
        }
        latest.into_iter().map(|(k, (_, _, v))| (k, v)).collect()
    }

    /// A tag's value.
    pub fn tag(&self, name: &str) -> Option<&str> {
        self.tags.get(name).map(String::as_str)
    }
}

/// One experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    /// Its name.
    pub name: String,
    /// Its comment.
    pub comment: Option<String>,
    /// When it was created (its first event).
    pub created_at: i64,
}

/// Every experiment and run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackingState {
    /// Experiments by name.
    pub experiments: BTreeMap<String, Experiment>,
    /// Runs in the order they started.
    pub runs: Vec<Run>,
}

impl TrackingState {
    /// Folds `events` (in log order) into the state.
    pub fn from_events(events: &[Event]) -> Self {
        let mut state = Self::default();
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        for event in events {
            let experiment = state
                .experiments
                .entry(event.experiment.clone())
                .or_insert_with(|| Experiment {
                    name: event.experiment.clone(),
                    comment: None,
                    created_at: event.at,
                });
            if event.kind == EventKind::Experiment {
                if event.text.is_some() {
                    experiment.comment = event.text.clone();
                }
                continue;
            }
            let Some(run_id) = &event.run_id else {
                continue;
            };
            if event.kind == EventKind::Run {
                if index.contains_key(run_id) {
                    continue;
                }
                index.insert(run_id.clone(), state.runs.len());
                state.runs.push(Run {
                    run_id: run_id.clone(),
                    experiment: event.experiment.clone(),
                    name: event.key.clone().unwrap_or_else(|| run_id.clone()),
                    status: RUNNING.to_string(),
                    started_at: event.at,
                    ended_at: None,
                    params: BTreeMap::new(),
                    metrics: Vec::new(),
                    tags: BTreeMap::new(),
                });
                continue;
            }
            // Values of a run whose start is unknown are kept out rather than guessed at.
            let Some(run) = index.get(run_id).and_then(|&i| state.runs.get_mut(i)) else {
                continue;
            };
            let key = event.key.clone().unwrap_or_default();
            match event.kind {
                EventKind::Status => {
                    run.ended_at = END_STATUSES.contains(&key.as_str()).then_some(event.at);
                    run.status = key;
                }
                EventKind::Param => {
                    run.params
                        .insert(key, event.text.clone().unwrap_or_default());
                }
                EventKind::Tag => {
                    run.tags.insert(key, event.text.clone().unwrap_or_default());
                }
                EventKind::Metric => run.metrics.push(MetricValue {
                    name: key,
                    value: event.number.unwrap_or(f64::NAN),
                    step: event.step.unwrap_or(0),
                    at: event.at,
                }),
                EventKind::Experiment | EventKind::Run => {}
            }
        }
        state
    }

    /// The run named `name` in `experiment`.
    pub fn run(&self, experiment: &str, name: &str) -> Option<&Run> {
        self.runs
            .iter()
            .find(|r| r.experiment == experiment && r.name == name)
    }

    /// The runs of `experiment`, in the order they started.
    pub fn runs_of<'a>(&'a self, experiment: &'a str) -> impl Iterator<Item = &'a Run> + 'a {
        self.runs.iter().filter(move |r| r.experiment == experiment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_events_into_runs() {
        let events = vec![
            Event::new(EventKind::Experiment, 1, "exp", None).text("churn"),
            Event::new(EventKind::Run, 2, "exp", Some("a")).key("baseline"),
            Event::new(EventKind::Param, 2, "exp", Some("a"))
                .key("max_depth")
                .text("5"),
            Event::new(EventKind::Metric, 3, "exp", Some("a"))
                .key("f1")
                .number(0.7, None),
            Event::new(EventKind::Metric, 4, "exp", Some("a"))
                .key("f1")
                .number(0.8, None),
            Event::new(EventKind::Metric, 5, "exp", Some("a"))
                .key("loss")
                .number(0.2, Some(9)),
            Event::new(EventKind::Metric, 6, "exp", Some("a"))
                .key("loss")
                .number(0.5, Some(1)),
            Event::new(EventKind::Status, 7, "exp", Some("a")).key("FINISHED"),
            Event::new(EventKind::Metric, 8, "other", Some("ghost"))
                .key("f1")
                .number(1.0, None),
            Event::new(EventKind::Run, 9, "other", Some("b")).key("second"),
        ];
        let state = TrackingState::from_events(&events);
        assert_eq!(state.experiments.len(), 2);
        assert_eq!(state.experiments["exp"].comment.as_deref(), Some("churn"));
        let run = state.run("exp", "baseline").expect("run");
        assert_eq!(run.status, "FINISHED");
        assert_eq!(run.ended_at, Some(7));
        assert_eq!(run.params["max_depth"], "5");
        let latest = run.latest_metrics();
        assert_eq!(latest["f1"], 0.8, "the later value of the same step");
        assert_eq!(latest["loss"], 0.2, "the highest step");
        assert_eq!(
            state.runs_of("other").count(),
            1,
            "no run is invented for stray values"
        );
        assert_eq!(
            state.run("other", "second").map(|r| r.status.as_str()),
            Some(RUNNING)
        );
    }
}
