//! Monitors: a named pairing of a model (a version, an alias or its default)
//! with a data query, run again and again (`RUN MONITOR`). A definition is one
//! JSON file under `monitoring/monitors/<name>.json`, written with
//! put-if-absent like an entity; every run appends its rows as one new file
//! under `monitoring/results/<name>/` (put-if-absent, so a run's rows appear
//! whole or not at all) which `firn.monitor_results` reads.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ObjectKind, Result, corrupt, listing, plan_error};
use crate::storage::clock::Clock;
use crate::storage::object_name::validate_name;
use crate::storage::store::{DatabaseStore, PutOutcome};

/// Version of the monitor file format this build writes and reads.
pub const MONITOR_FORMAT_VERSION: u32 = 1;
/// Version of the monitor results file format this build writes and reads.
pub const RESULTS_FORMAT_VERSION: u32 = 1;

const MONITORS_DIR: &str = "monitoring/monitors";
const RESULTS_DIR: &str = "monitoring/results";

/// The SQL of a monitor's data: the query itself, or `SELECT * FROM <table>`.
pub fn data_query(data: &str) -> String {
    let first = data
        .trim_start()
        .trim_start_matches('(')
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if matches!(first.as_str(), "select" | "with" | "values" | "from") {
        data.to_string()
    } else {
        format!("SELECT * FROM {data}")
    }
}

/// One monitor, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorDef {
    /// Format of this file ([`MONITOR_FORMAT_VERSION`]).
    pub format_version: u32,
    /// The monitor's name (lower case).
    pub name: String,
    /// The model.
    pub model: String,
    /// A version or alias of it, resolved at every run; `None`: its default version.
    #[serde(default)]
    pub alias: Option<String>,
    /// The data: a query or a table name.
    pub data: String,
    /// The label column, if labels arrive in the data.
    #[serde(default)]
    pub label: Option<String>,
    /// The timestamp column the metrics are grouped by.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// `OPTIONS (…)` as given (checked by [`MonitorOptions::parse`]).
    #[serde(default)]
    pub options: Vec<(String, String)>,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
}

impl MonitorDef {
    /// The model reference a run resolves: `model@alias` or `model`.
    pub fn reference(&self) -> String {
        match &self.alias {
            Some(alias) => format!("{}@{alias}", self.model),
            None => self.model.clone(),
        }
    }
}

/// The calendar periods metrics are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// A calendar day.
    Day,
    /// An ISO week, starting on Monday.
    Week,
    /// A calendar month.
    Month,
    /// A calendar quarter.
    Quarter,
    /// A calendar year.
    Year,
}

impl Period {
    /// The first day of the period holding `date`.
    pub fn start(self, date: NaiveDate) -> NaiveDate {
        let first = |month: u32| NaiveDate::from_ymd_opt(date.year(), month, 1).unwrap_or(date);
        match self {
            Period::Day => date,
            Period::Week => {
                date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()))
            }
            Period::Month => first(date.month()),
            Period::Quarter => first((date.month() - 1) / 3 * 3 + 1),
            Period::Year => first(1),
        }
    }
}

/// A monitor's options, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorOptions {
    /// `period`: how metrics are grouped by the timestamp column (default month).
    pub period: Period,
    /// `psi_threshold`: drift rows with psi at or above it are flagged (default 0.2).
    pub psi_threshold: f64,
}

impl MonitorOptions {
    /// Parses `OPTIONS (period 'month', psi_threshold '0.1')`.
    pub fn parse(options: &[(String, String)]) -> Result<Self> {
        let mut parsed = Self {
            period: Period::Month,
            psi_threshold: 0.2,
        };
        for (key, value) in options {
            let text = value.trim().to_ascii_lowercase();
            match key.trim().to_ascii_lowercase().as_str() {
                "period" => {
                    parsed.period = match text.as_str() {
                        "day" => Period::Day,
                        "week" => Period::Week,
                        "month" => Period::Month,
                        "quarter" => Period::Quarter,
                        "year" => Period::Year,
                        _ => {
                            return Err(plan_error(format!(
                                "monitor option period must be day, week, month, quarter or year, got '{value}'"
                            )));
                        }
                    }
                }
                "psi_threshold" => {
                    parsed.psi_threshold = match text.parse::<f64>() {
                        Ok(v) if v.is_finite() && v > 0.0 => v,
                        _ => {
                            return Err(plan_error(format!(
                                "monitor option psi_threshold must be a positive number, got '{value}'"
                            )));
                        }
                    }
                }
                other => {
                    return Err(plan_error(format!(
                        "unknown monitor option '{other}'; known options: period, psi_threshold"
                    )));
                }
            }
        }
        Ok(parsed)
    }
}

/// One row of `firn.monitor_results`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    /// The monitor.
    pub monitor: String,
    /// When the run started (milliseconds since the Unix epoch, UTC).
    pub run_at: i64,
    /// The model.
    pub model: String,
    /// The version the run resolved and used.
    pub model_version: String,
    /// The first day of the period (days since the Unix epoch); `None` for drift rows
    /// and for metrics over data without a timestamp column.
    pub period: Option<i32>,
    /// `drift` or `metric`.
    pub kind: String,
    /// The feature (or `prediction`) of a drift row, the metric of a metric row.
    pub name: String,
    /// PSI of a drift row, the metric's value of a metric row (`None` when undefined).
    pub value: Option<f64>,
    /// Whether the row is flagged.
    pub flagged: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct ResultsFile {
    format_version: u32,
    rows: Vec<ResultRow>,
}

/// The monitors of one database and their results. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Monitors {
    store: Arc<DatabaseStore>,
    clock: Arc<dyn Clock>,
}

/// A validated, lower-case monitor name.
pub fn monitor_name(value: &str) -> Result<String> {
    validate_name("monitor name", value, ('@', "a plain name"), false)
}

fn monitor_path(name: &str) -> String {
    format!("{MONITORS_DIR}/{name}.json")
}

fn decode(bytes: &[u8], path: &str) -> Result<MonitorDef> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| corrupt(path, format!("not valid JSON: {e}")))?;
    let format_version = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| corrupt(path, "not a monitor file (no format_version)"))?;
    if format_version > u64::from(MONITOR_FORMAT_VERSION) {
        return Err(corrupt(
            path,
            format!(
                "written by a newer Firn (monitor format {format_version}, this build reads up to {MONITOR_FORMAT_VERSION})"
            ),
        ));
    }
    serde_json::from_value(value).map_err(|e| corrupt(path, format!("not a valid monitor: {e}")))
}

impl Monitors {
    /// The monitors kept in `store`, timestamping with `clock`.
    pub fn new(store: Arc<DatabaseStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Now.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Every monitor, by name.
    pub async fn list(&self) -> Result<Vec<MonitorDef>> {
        let mut monitors = Vec::new();
        for meta in self.store.list(&self.store.path(MONITORS_DIR)).await? {
            let Some(relative) = self.store.relative(&meta.location) else {
                continue;
            };
            if !relative.ends_with(".json") {
                continue;
            }
            if let Some(bytes) = self.store.get(&meta.location).await? {
                monitors.push(decode(&bytes, &relative)?);
            }
        }
        monitors.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(monitors)
    }

    /// The monitor `name`, or a not-found error listing the others.
    pub async fn get(&self, name: &str) -> Result<MonitorDef> {
        let name = monitor_name(name)?;
        let path = monitor_path(&name);
        match self.store.get(&self.store.path(&path)).await? {
            Some(bytes) => decode(&bytes, &path),
            None => {
                let others = self.list().await?;
                Err(Error::not_found(
                    ObjectKind::Monitor,
                    name.as_str(),
                    format!(
                        "monitor '{name}' does not exist; monitors: {}",
                        listing(others.iter().map(|m| m.name.as_str()))
                    ),
                ))
            }
        }
    }

    /// Stores a new monitor (`if_not_exists`: an existing one is kept as it is).
    pub async fn create(&self, mut monitor: MonitorDef, if_not_exists: bool) -> Result<()> {
        monitor.name = monitor_name(&monitor.name)?;
        MonitorOptions::parse(&monitor.options)?;
        monitor.format_version = MONITOR_FORMAT_VERSION;
        monitor.created_at = self
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let path = monitor_path(&monitor.name);
        let json = serde_json::to_vec_pretty(&monitor)
            .map_err(|e| corrupt(&path, format!("cannot encode: {e}")))?;
        match self
            .store
            .put_if_absent(&self.store.path(&path), Bytes::from(json))
            .await?
        {
            PutOutcome::Written => Ok(()),
            PutOutcome::AlreadyExists if if_not_exists => Ok(()),
            PutOutcome::AlreadyExists => Err(Error::already_exists(
                ObjectKind::Monitor,
                monitor.name.as_str(),
                format!(
                    "monitor '{}' already exists; DROP MONITOR {} first to redefine it",
                    monitor.name, monitor.name
                ),
            )),
        }
    }

    /// Removes a monitor's definition (its results stay in `firn.monitor_results`).
    pub async fn drop_monitor(&self, name: &str, if_exists: bool) -> Result<()> {
        let name = monitor_name(name)?;
        let path = self.store.path(&monitor_path(&name));
        if self.store.get(&path).await?.is_none() {
            if if_exists {
                return Ok(());
            }
            return self.get(&name).await.map(|_| ());
        }
        self.store.delete(&path).await
    }

    /// Appends one run's rows (all or nothing).
    pub async fn append_results(
        &self,
        monitor: &str,
        run_id: &str,
        rows: Vec<ResultRow>,
    ) -> Result<()> {
        let run_at = rows.first().map_or(0, |r| r.run_at);
        let path = format!("{RESULTS_DIR}/{monitor}/{run_at:015}-{run_id}.json");
        let json = serde_json::to_vec(&ResultsFile {
            format_version: RESULTS_FORMAT_VERSION,
            rows,
        })
        .map_err(|e| corrupt(&path, format!("cannot encode: {e}")))?;
        match self
            .store
            .put_if_absent(&self.store.path(&path), Bytes::from(json))
            .await?
        {
            PutOutcome::Written => Ok(()),
            PutOutcome::AlreadyExists => Err(plan_error(format!(
                "the results of run {run_id} of monitor '{monitor}' are already stored"
            ))),
        }
    }

    /// Every stored result row, by run then in each run's order.
    pub async fn results(&self) -> Result<Vec<ResultRow>> {
        let mut files = self.store.list(&self.store.path(RESULTS_DIR)).await?;
        files.sort_by(|a, b| a.location.cmp(&b.location));
        let mut rows = Vec::new();
        for meta in files {
            let relative = self
                .store
                .relative(&meta.location)
                .unwrap_or_else(|| meta.location.to_string());
            let Some(bytes) = self.store.get(&meta.location).await? else {
                continue;
            };
            let file: ResultsFile = serde_json::from_slice(&bytes)
                .map_err(|e| corrupt(&relative, format!("not valid monitor results: {e}")))?;
            if file.format_version > RESULTS_FORMAT_VERSION {
                return Err(corrupt(
                    &relative,
                    format!(
                        "written by a newer Firn (results format {}, this build reads up to {RESULTS_FORMAT_VERSION})",
                        file.format_version
                    ),
                ));
            }
            rows.extend(file.rows);
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_where_the_calendar_says() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        let date = d(2024, 8, 15); // a Thursday
        assert_eq!(Period::Day.start(date), date);
        assert_eq!(Period::Week.start(date), d(2024, 8, 12));
        assert_eq!(Period::Month.start(date), d(2024, 8, 1));
        assert_eq!(Period::Quarter.start(date), d(2024, 7, 1));
        assert_eq!(Period::Year.start(date), d(2024, 1, 1));
    }

    #[test]
    fn options_are_checked() {
        let parse = |pairs: &[(&str, &str)]| {
            MonitorOptions::parse(
                &pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(parse(&[]).map(|o| o.period).ok(), Some(Period::Month));
        assert_eq!(
            parse(&[("period", "Week")]).map(|o| o.period).ok(),
            Some(Period::Week)
        );
        let err = parse(&[("period", "hour")]).expect_err("hour");
        assert!(
            err.to_string()
                .contains("day, week, month, quarter or year")
        );
        let err = parse(&[("bins", "3")]).expect_err("unknown");
        assert!(
            err.to_string()
                .contains("known options: period, psi_threshold")
        );
    }
}
