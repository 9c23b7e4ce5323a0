//! `run_monitor('name')` and its statement `RUN MONITOR name`: one run of a
//! monitor. The run resolves the monitor's model reference (an alias or the
//! default) to a concrete version now, runs its data query, builds the drift
//! report's rows (the same code as `drift_report(…)`) and — when the label
//! column is in the data — the model's metrics (the same code as `evaluate(…)`)
//! per period of the timestamp column; it appends the rows to
//! `firn.monitor_results`, logs the run in experiment `monitor.<name>` and
//! returns the rows. Any error comes before anything is stored or logged.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{DataFusionError, Result, exec_err, plan_err};
use datafusion::datasource::TableProvider;
use datafusion::execution::session_state::SessionState;
use datafusion::prelude::DataFrame;
use firnml_udfs::model::Objective;

use super::data::{check_columns, column_index, score};
use super::drift_report::drift_rows;
use crate::catalog::system::{monitor_results_batch, monitor_results_schema};
use crate::functions::args::string_arg;
use crate::ml::metric::evaluate;
use crate::monitoring::monitors::{MonitorOptions, Monitors, ResultRow, data_query};
use crate::monitoring::options::DriftOptions;
use crate::query::deferred::DeferredTable;
use crate::scoring::resolver::RegistryResolver;
use crate::tracking::state::tags;
use crate::tracking::{NewRun, RunRecord, Tracking};

const USAGE: &str = "run_monitor(monitor VARCHAR)";

/// The `run_monitor` table function.
#[derive(Debug)]
pub struct RunMonitor {
    monitors: Monitors,
    resolver: Arc<RegistryResolver>,
    tracking: Tracking,
}

impl RunMonitor {
    /// `run_monitor` over a database's monitors, models and tracking log.
    pub fn new(monitors: Monitors, resolver: Arc<RegistryResolver>, tracking: Tracking) -> Self {
        Self {
            monitors,
            resolver,
            tracking,
        }
    }
}

impl TableFunctionImpl for RunMonitor {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if exprs.len() != 1 {
            return plan_err!(
                "run_monitor takes 1 argument, got {}; expected {USAGE}",
                exprs.len()
            );
        }
        let Some(name) = string_arg(exprs, 0) else {
            return plan_err!(
                "argument 1 must name a monitor as a string literal; expected {USAGE}"
            );
        };
        let Some(state) = args.session().as_any().downcast_ref::<SessionState>() else {
            return plan_err!("run_monitor can only be called from a Firn/DataFusion session");
        };
        let state = state.clone();
        let (monitors, resolver, tracking) = (
            self.monitors.clone(),
            Arc::clone(&self.resolver),
            self.tracking.clone(),
        );
        let work = Arc::new(move |_rows: Vec<RecordBatch>| {
            let (state, monitors, resolver, tracking, name) = (
                state.clone(),
                monitors.clone(),
                Arc::clone(&resolver),
                tracking.clone(),
                name.clone(),
            );
            Box::pin(async move {
                let rows = run(&state, &monitors, &resolver, &tracking, &name).await?;
                Ok(vec![monitor_results_batch(&rows)?])
            }) as _
        });
        Ok(Arc::new(DeferredTable::new(
            "run_monitor",
            monitor_results_schema(),
            None,
            work,
        )))
    }
}

fn external(e: crate::error::Error) -> DataFusionError {
    DataFusionError::from(e)
}

/// Days since the Unix epoch of `date`.
fn epoch_days(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(date);
    i32::try_from((date - epoch).num_days()).unwrap_or(i32::MAX)
}

/// One run of monitor `name`: its rows, stored and logged.
async fn run(
    state: &SessionState,
    monitors: &Monitors,
    resolver: &RegistryResolver,
    tracking: &Tracking,
    name: &str,
) -> Result<Vec<ResultRow>> {
    let monitor = monitors.get(name).await.map_err(external)?;
    let name = monitor.name.clone();
    let options = MonitorOptions::parse(&monitor.options).map_err(external)?;
    let model = resolver
        .preload(&monitor.reference())
        .await
        .map_err(external)?;
    let reference = model.model.reference.clone();
    let Some(profile) = model.manifest.profile.clone() else {
        return plan_err!(
            "RUN MONITOR {name}: model '{reference}' has no training profile: it was made before \
             Firn recorded one; train it again with CREATE MODEL to monitor it"
        );
    };
    let data = &monitor.data;
    crate::query::shape::check_shape(&data_query(data))?;
    let plan = state
        .create_logical_plan(&data_query(data))
        .await
        .map_err(|e| {
            DataFusionError::Plan(format!(
                "RUN MONITOR {name}: cannot read the data '{data}': {e}"
            ))
        })?;
    let schema = Arc::clone(plan.schema().inner());
    check_columns(&schema, &model, None, &format!("RUN MONITOR {name}"))?;
    let batches = DataFrame::new(state.clone(), plan).collect().await?;
    let scored = score(&batches, &schema, &model)?;
    if scored.batch.num_rows() == 0 {
        return exec_err!(
            "RUN MONITOR {name}: the data '{data}' has no rows; there is nothing to monitor"
        );
    }

    let drift = drift_rows(
        state,
        &model,
        &profile,
        &scored,
        &DriftOptions {
            psi_threshold: options.psi_threshold,
        },
    )
    .await?;
    let metrics = match &monitor.label {
        Some(label) => match column_index(&scored.batch.schema(), label) {
            Some(index) => metrics_by_period(
                &name,
                &scored.batch,
                (label, index),
                monitor.timestamp.as_deref(),
                &scored.predictions,
                &model,
                &options,
            )?,
            None => vec![],
        },
        None => vec![],
    };

    let run_at = monitors.now();
    let run_at_millis = run_at.timestamp_millis();
    let version = model.manifest.version.clone();
    let mut rows: Vec<ResultRow> = drift
        .iter()
        .map(|d| ResultRow {
            monitor: name.clone(),
            run_at: run_at_millis,
            model: monitor.model.clone(),
            model_version: version.clone(),
            period: None,
            kind: "drift".to_string(),
            name: d.feature.clone(),
            value: d.psi,
            flagged: d.flagged,
        })
        .collect();
    rows.extend(metrics.iter().map(|(period, metric, value)| ResultRow {
        monitor: name.clone(),
        run_at: run_at_millis,
        model: monitor.model.clone(),
        model_version: version.clone(),
        period: *period,
        kind: "metric".to_string(),
        name: (*metric).to_string(),
        value: Some(*value).filter(|v| v.is_finite()),
        flagged: false,
    }));

    let experiment = format!("monitor.{name}");
    let run = NewRun::new(
        &experiment,
        &run_at.format("%Y-%m-%d_%H-%M-%S%.3f").to_string(),
    )
    .map_err(external)?;
    tracking.check_new_run(&run).await.map_err(external)?;
    let run_id = Tracking::new_run_id();
    monitors
        .append_results(&name, &run_id, rows.clone())
        .await
        .map_err(external)?;
    let mut logged: Vec<(String, f64)> = drift
        .iter()
        .filter_map(|d| d.psi.map(|psi| (format!("psi.{}", d.feature), psi)))
        .collect();
    logged.push((
        "flagged_features".to_string(),
        drift.iter().filter(|d| d.flagged).count() as f64,
    ));
    logged.push(("rows".to_string(), scored.batch.num_rows() as f64));
    let mut params = vec![
        ("model".to_string(), monitor.model.clone()),
        ("model_version".to_string(), version.clone()),
        ("data".to_string(), monitor.data.clone()),
        (
            "period".to_string(),
            format!("{:?}", options.period).to_lowercase(),
        ),
        (
            "psi_threshold".to_string(),
            options.psi_threshold.to_string(),
        ),
    ];
    if let Some(label) = &monitor.label {
        params.push(("label".to_string(), label.clone()));
    }
    if let Some(timestamp) = &monitor.timestamp {
        params.push(("timestamp".to_string(), timestamp.clone()));
    }
    tracking
        .record(&[RunRecord {
            run_id,
            experiment: run.experiment.clone(),
            name: run.name.clone(),
            params,
            metrics: logged,
            tags: vec![
                (tags::MODEL.into(), monitor.model.clone()),
                (tags::MODEL_VERSION.into(), version),
                (tags::SOURCE.into(), "RUN MONITOR".into()),
            ],
            status: "FINISHED".into(),
            started_at: None,
        }])
        .await
        .map_err(external)?;
    Ok(rows)
}

/// `(period, metric, value)` for the labelled rows of `batch`, grouped by the
/// period of the timestamp column (one group with no period without one).
/// Rows whose label (or timestamp) is NULL are left out: their labels have not
/// arrived yet.
fn metrics_by_period(
    monitor: &str,
    batch: &RecordBatch,
    (label, index): (&str, usize),
    timestamp: Option<&str>,
    predictions: &[f64],
    model: &crate::scoring::resolver::ResolvedModel,
    options: &MonitorOptions,
) -> Result<Vec<(Option<i32>, &'static str, f64)>> {
    let objective = model.model.ensemble.objective();
    // The decision threshold the version's held-out metrics used.
    let threshold = model.manifest.split.map_or(0.5, |s| s.threshold);
    let column = batch.column(index);
    if !(column.data_type().is_numeric() || column.data_type() == &DataType::Boolean) {
        return plan_err!(
            "RUN MONITOR {monitor}: label column '{label}' is {}; expected a number or boolean",
            column.data_type()
        );
    }
    let labels = cast(column, &DataType::Float64)?;
    let labels = labels.as_primitive::<Float64Type>();
    let periods = match timestamp {
        None => None,
        Some(name) => {
            let Some(i) = column_index(&batch.schema(), name) else {
                return plan_err!(
                    "RUN MONITOR {monitor}: the data has no timestamp column '{name}'"
                );
            };
            let dates = cast(batch.column(i), &DataType::Date32).map_err(|e| {
                DataFusionError::Plan(format!(
                    "RUN MONITOR {monitor}: timestamp column '{name}' is {}, which is not a date or \
                     timestamp ({e})",
                    batch.column(i).data_type()
                ))
            })?;
            Some(dates)
        }
    };
    let mut groups: BTreeMap<Option<i32>, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for (row, &prediction) in predictions.iter().enumerate().take(batch.num_rows()) {
        if labels.is_null(row) {
            continue;
        }
        let value = labels.value(row);
        if objective == Objective::BinaryLogistic && value != 0.0 && value != 1.0 {
            return exec_err!(
                "RUN MONITOR {monitor}: label column '{label}' has the value {value} at row {}; \
                 a classifier's labels are 0 or 1",
                row + 1
            );
        }
        if !value.is_finite() {
            return exec_err!(
                "RUN MONITOR {monitor}: label column '{label}' is not finite at row {}",
                row + 1
            );
        }
        let period = match &periods {
            None => None,
            Some(dates) => {
                let dates = dates.as_primitive::<Date32Type>();
                if dates.is_null(row) {
                    continue;
                }
                let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
                let date = epoch + chrono::Duration::days(i64::from(dates.value(row)));
                Some(epoch_days(options.period.start(date)))
            }
        };
        let group = groups.entry(period).or_default();
        group.0.push(prediction);
        group.1.push(value);
    }
    let mut rows = Vec::new();
    for (period, (predicted, actual)) in groups {
        rows.push((period, "rows", predicted.len() as f64));
        for (metric, value) in evaluate(objective, &predicted, &actual, threshold)? {
            rows.push((period, metric, value));
        }
    }
    Ok(rows)
}
