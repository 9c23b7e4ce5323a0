//! Logging: creating experiments and runs, and recording parameters, metrics,
//! tags and statuses. Each call is one commit of the tracking log.

use std::collections::BTreeMap;

use super::event::{Event, EventKind};
use super::state::{END_STATUSES, RUNNING, TrackingState, tags};
use super::{Tracking, experiment_name, plan_error, run_name};
use crate::error::{Error, ObjectKind, Result};

/// A complete run, recorded in one commit (what `CREATE MODEL` logs).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunRecord {
    /// The run's id (see [`Tracking::new_run_id`]).
    pub run_id: String,
    /// The experiment (created if it does not exist).
    pub experiment: String,
    /// The run's name.
    pub name: String,
    /// Parameters.
    pub params: Vec<(String, String)>,
    /// Metric values (step 0).
    pub metrics: Vec<(String, f64)>,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// The final status (`FINISHED` …).
    pub status: String,
    /// When the run began (ms since the Unix epoch; `None`: when it is recorded).
    /// `CREATE MODEL` records its runs after training, which began earlier.
    #[serde(default)]
    pub started_at: Option<i64>,
}

/// What to know about a run before logging to it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    /// The experiment (validated, lower case).
    pub experiment: String,
    /// The run's name (validated, lower case).
    pub name: String,
}

impl NewRun {
    /// Validates the names of a run.
    pub fn new(experiment: &str, name: &str) -> Result<Self> {
        Ok(Self {
            experiment: experiment_name(experiment)?,
            name: run_name(name)?,
        })
    }
}

/// `state` with `events` applied (for checks within one logging call).
fn fold_onto(state: &TrackingState, events: &[Event]) -> TrackingState {
    let mut state = state.clone();
    let later = TrackingState::from_events(events);
    for run in later.runs {
        if state.runs.iter().all(|r| r.run_id != run.run_id) {
            state.runs.push(run);
        }
    }
    for event in events.iter().filter(|e| e.kind == EventKind::Param) {
        if let Some(run) = state
            .runs
            .iter_mut()
            .find(|r| Some(&r.run_id) == event.run_id.as_ref())
        {
            run.params.insert(
                event.key.clone().unwrap_or_default(),
                event.text.clone().unwrap_or_default(),
            );
        }
    }
    state
}

fn check_status(status: &str) -> Result<String> {
    let status = status.trim().to_ascii_uppercase();
    if END_STATUSES.contains(&status.as_str()) {
        Ok(status)
    } else {
        Err(plan_error(format!(
            "invalid run status '{status}': expected one of {}",
            END_STATUSES.join(", ")
        )))
    }
}

impl Tracking {
    /// A new run id: 32 hex digits.
    pub fn new_run_id() -> String {
        uuid::Uuid::new_v4().simple().to_string()
    }

    /// Creates experiment `name`; an existing one is an error unless `if_not_exists`.
    pub async fn create_experiment(
        &self,
        name: &str,
        comment: Option<&str>,
        if_not_exists: bool,
    ) -> Result<String> {
        let name = experiment_name(name)?;
        let state = self.refresh().await?;
        if state.experiments.contains_key(&name) {
            if if_not_exists {
                return Ok(name);
            }
            return Err(Error::already_exists(
                ObjectKind::Experiment,
                name.as_str(),
                format!("experiment '{name}' already exists"),
            ));
        }
        let mut event = Event::new(EventKind::Experiment, self.now(), &name, None);
        event.text = comment.map(str::to_string);
        self.append(vec![event]).await?;
        Ok(name)
    }

    /// Refuses a run name that its experiment already has.
    pub async fn check_new_run(&self, run: &NewRun) -> Result<()> {
        let state = self.refresh().await?;
        if let Some(existing) = state.run(&run.experiment, &run.name) {
            return Err(plan_error(format!(
                "experiment '{}' already has a run '{}' (run_id {}); run names are unique in an experiment",
                run.experiment, run.name, existing.run_id
            )));
        }
        Ok(())
    }

    /// Starts run `run`; a run of that name in the experiment is an error. Returns its id.
    pub async fn start_run(&self, run: &NewRun) -> Result<String> {
        self.check_new_run(run).await?;
        let run_id = Self::new_run_id();
        let now = self.now();
        self.append(vec![
            Event::new(EventKind::Run, now, &run.experiment, Some(&run_id)).key(&run.name),
            Event::new(EventKind::Tag, now, &run.experiment, Some(&run_id))
                .key(tags::SOURCE)
                .text("sql"),
        ])
        .await?;
        Ok(run_id)
    }

    /// The id of `run`, with the events that start it when it does not exist yet.
    fn existing_or_new(&self, state: &TrackingState, run: &NewRun) -> (String, Vec<Event>) {
        match state.run(&run.experiment, &run.name) {
            Some(existing) => (existing.run_id.clone(), vec![]),
            None => {
                let run_id = Self::new_run_id();
                let now = self.now();
                let events = vec![
                    Event::new(EventKind::Run, now, &run.experiment, Some(&run_id)).key(&run.name),
                    Event::new(EventKind::Tag, now, &run.experiment, Some(&run_id))
                        .key(tags::SOURCE)
                        .text("sql"),
                ];
                (run_id, events)
            }
        }
    }

    /// The events that log `params` and `metrics` to `run` (starting it when
    /// it does not exist), checked against `state`. A parameter is set once:
    /// logging it again with another value is an error.
    fn plan_log(
        &self,
        state: &TrackingState,
        run: &NewRun,
        params: &[(String, String)],
        metrics: &[(String, f64, Option<i64>)],
    ) -> Result<(String, Vec<Event>)> {
        let (run_id, mut events) = self.existing_or_new(state, run);
        let logged: BTreeMap<String, String> = state
            .run(&run.experiment, &run.name)
            .map(|r| r.params.clone())
            .unwrap_or_default();
        let now = self.now();
        let mut new_params: BTreeMap<&str, &str> = BTreeMap::new();
        for (key, value) in params {
            if key.is_empty() {
                return Err(plan_error("a parameter needs a name"));
            }
            let previous = logged
                .get(key)
                .map(String::as_str)
                .or(new_params.get(key.as_str()).copied());
            match previous {
                Some(old) if old == value => continue,
                Some(old) => {
                    return Err(plan_error(format!(
                        "parameter '{key}' of run '{}' is already '{old}'; parameters cannot change (start a new run)",
                        run.name
                    )));
                }
                None => {
                    new_params.insert(key, value);
                    events.push(
                        Event::new(EventKind::Param, now, &run.experiment, Some(&run_id))
                            .key(key)
                            .text(value),
                    );
                }
            }
        }
        for (key, value, step) in metrics {
            if key.is_empty() {
                return Err(plan_error("a metric needs a name"));
            }
            if !value.is_finite() {
                return Err(plan_error(format!(
                    "metric '{key}' must be a finite number, got {value}"
                )));
            }
            events.push(
                Event::new(EventKind::Metric, now, &run.experiment, Some(&run_id))
                    .key(key)
                    .number(*value, *step),
            );
        }
        Ok((run_id, events))
    }

    /// Logs parameters of `run` (started if it does not exist). Returns the run's id.
    pub async fn log_params(&self, run: &NewRun, params: &[(String, String)]) -> Result<String> {
        self.log(&[(run.clone(), params.to_vec(), vec![])])
            .await
            .map(|mut ids| ids.remove(0))
    }

    /// Logs metric values of `run` (started if it does not exist). Returns the run's id.
    pub async fn log_metrics(
        &self,
        run: &NewRun,
        metrics: &[(String, f64, Option<i64>)],
    ) -> Result<String> {
        self.log(&[(run.clone(), vec![], metrics.to_vec())])
            .await
            .map(|mut ids| ids.remove(0))
    }

    /// Logs parameters and metrics of several runs in one commit; each run is
    /// started if it does not exist. Returns the runs' ids, in order.
    #[allow(clippy::type_complexity)]
    pub async fn log(
        &self,
        entries: &[(
            NewRun,
            Vec<(String, String)>,
            Vec<(String, f64, Option<i64>)>,
        )],
    ) -> Result<Vec<String>> {
        let mut state = (*self.refresh().await?).clone();
        let mut ids = Vec::with_capacity(entries.len());
        let mut all = Vec::new();
        for (run, params, metrics) in entries {
            let (run_id, events) = self.plan_log(&state, run, params, metrics)?;
            // Later entries of the same call see this one's run and parameters.
            state = fold_onto(&state, &events);
            all.extend(events);
            ids.push(run_id);
        }
        self.append(all).await?;
        Ok(ids)
    }

    /// Ends `run` with `status` (`FINISHED`, `FAILED` or `KILLED`).
    pub async fn end_run(&self, run: &NewRun, status: &str) -> Result<String> {
        let status = check_status(status)?;
        let state = self.refresh().await?;
        let Some(existing) = state.run(&run.experiment, &run.name) else {
            return Err(Error::not_found(
                ObjectKind::Run,
                format!("{}/{}", run.experiment, run.name),
                format!("experiment '{}' has no run '{}'", run.experiment, run.name),
            ));
        };
        let run_id = existing.run_id.clone();
        self.append(vec![
            Event::new(
                EventKind::Status,
                self.now(),
                &run.experiment,
                Some(&run_id),
            )
            .key(status),
        ])
        .await?;
        Ok(run_id)
    }

    /// Records complete runs in one commit.
    pub async fn record(&self, records: &[RunRecord]) -> Result<()> {
        let now = self.now();
        let mut events = Vec::new();
        for r in records {
            let id = Some(r.run_id.as_str());
            let exp = r.experiment.as_str();
            let started = r.started_at.unwrap_or(now).min(now);
            events.push(Event::new(EventKind::Run, started, exp, id).key(&r.name));
            for (k, v) in &r.params {
                events.push(Event::new(EventKind::Param, now, exp, id).key(k).text(v));
            }
            for (k, v) in &r.tags {
                events.push(Event::new(EventKind::Tag, now, exp, id).key(k).text(v));
            }
            for (k, v) in r.metrics.iter().filter(|(_, v)| v.is_finite()) {
                events.push(
                    Event::new(EventKind::Metric, now, exp, id)
                        .key(k)
                        .number(*v, None),
                );
            }
            let status = if r.status.is_empty() {
                RUNNING
            } else {
                r.status.as_str()
            };
            events.push(Event::new(EventKind::Status, now, exp, id).key(status));
        }
        self.append(events).await
    }
}
