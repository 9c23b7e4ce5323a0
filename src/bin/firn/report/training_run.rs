//! What the experiment log knows about the training of a version: the run's
//! experiment and name, when it ran, its timings, each cross-validation
//! fold's score and, after a search, every candidate (BigQuery ML's
//! `ML.TRIAL_INFO`).

use firnml::tracking::state::tags;
use firnml::tracking::{Run, TrackingState};

/// One search candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The candidate run's name.
    pub name: String,
    /// The parameters it tried.
    pub params: Vec<(String, String)>,
    /// Mean and standard deviation of its fold scores.
    pub cv_mean: f64,
    /// Standard deviation of its fold scores.
    pub cv_std: f64,
    /// Its fit time over the folds, in seconds.
    pub fit_seconds: f64,
    /// Whether the search chose it.
    pub best: bool,
}

/// The run that produced a version.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingRun {
    /// The experiment.
    pub experiment: String,
    /// The run's name.
    pub name: String,
    /// Its status.
    pub status: String,
    /// When it started and ended (ms since the epoch).
    pub started_at: i64,
    /// When it ended, if it has.
    pub ended_at: Option<i64>,
    /// Metrics by name (latest value).
    pub metrics: Vec<(String, f64)>,
    /// The cross-validation metric and each fold's score, in fold order.
    pub folds: Option<(String, Vec<f64>)>,
    /// The search's candidates, in the order they were logged.
    pub candidates: Vec<Candidate>,
}

impl TrainingRun {
    /// The run `run_id` in `state`, if it was logged.
    pub fn find(state: &TrackingState, run_id: &str) -> Option<Self> {
        let run = state.runs.iter().find(|r| r.run_id == run_id)?;
        let metrics: Vec<(String, f64)> = run.latest_metrics().into_iter().collect();
        let candidates = state
            .runs
            .iter()
            .filter(|r| r.tag(tags::PARENT_RUN) == Some(run_id))
            .map(candidate)
            .collect();
        Some(Self {
            experiment: run.experiment.clone(),
            name: run.name.clone(),
            status: run.status.clone(),
            started_at: run.started_at,
            ended_at: run.ended_at,
            folds: folds(&metrics),
            metrics,
            candidates,
        })
    }

    /// The metric `name`, if logged.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }
}

/// `cv_<metric>_fold_<k>` metrics as the metric's name and the scores by k.
fn folds(metrics: &[(String, f64)]) -> Option<(String, Vec<f64>)> {
    let mut found: Vec<(String, usize, f64)> = metrics
        .iter()
        .filter_map(|(name, value)| {
            let rest = name.strip_prefix("cv_")?;
            let (metric, k) = rest.rsplit_once("_fold_")?;
            Some((metric.to_string(), k.parse().ok()?, *value))
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let metric = found.first()?.0.clone();
    Some((
        metric.clone(),
        found
            .into_iter()
            .filter(|(m, _, _)| *m == metric)
            .map(|(_, _, v)| v)
            .collect(),
    ))
}

fn candidate(run: &Run) -> Candidate {
    let metrics = run.latest_metrics();
    let find = |suffix: &str| {
        metrics
            .iter()
            .find(|(n, _)| n.starts_with("cv_") && n.ends_with(suffix))
            .map_or(f64::NAN, |(_, v)| *v)
    };
    Candidate {
        name: run.name.clone(),
        params: run
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        cv_mean: find("_mean"),
        cv_std: find("_std"),
        fit_seconds: metrics.get("fit_seconds").copied().unwrap_or(f64::NAN),
        best: run.tag("firn.best") == Some("true"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_scores_are_read_in_fold_order() {
        let metrics = vec![
            ("cv_f1_fold_10".to_string(), 0.1),
            ("cv_f1_fold_2".to_string(), 0.2),
            ("cv_f1_fold_1".to_string(), 0.3),
            ("cv_f1_mean".to_string(), 0.5),
            ("f1".to_string(), 0.9),
        ];
        assert_eq!(
            folds(&metrics),
            Some(("f1".to_string(), vec![0.3, 0.2, 0.1]))
        );
        assert_eq!(folds(&metrics[3..]), None);
    }
}
