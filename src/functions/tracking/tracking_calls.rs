//! Logging from SQL without training, as MLflow's tracking API allows:
//!
//! ```sql
//! SELECT * FROM create_experiment('churn', 'churn models');   -- optional: logging creates it
//! SELECT * FROM start_run('churn', 'manual');                  -- optional: logging starts it
//! SELECT * FROM log_param('churn', 'manual', 'max_depth', 5);
//! SELECT * FROM log_metric('churn', 'manual', 'f1', 0.81 [, step]);
//! SELECT * FROM end_run('churn', 'manual' [, 'FINISHED']);
//! ```
//!
//! Each returns one row (`experiment`, `run`, `run_id`; `run`/`run_id` are NULL
//! for `create_experiment`) and does its logging when the query runs.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::datasource::TableProvider;
use datafusion::logical_expr::Expr;

use crate::query::deferred::DeferredTable;
use crate::tracking::{NewRun, Tracking, experiment_name};

/// Which logging call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackingCallKind {
    /// `create_experiment(name [, comment])`.
    CreateExperiment,
    /// `start_run(experiment, run)`.
    StartRun,
    /// `log_param(experiment, run, name, value)`.
    LogParam,
    /// `log_metric(experiment, run, name, value [, step])`.
    LogMetric,
    /// `end_run(experiment, run [, status])`.
    EndRun,
}

impl TrackingCallKind {
    /// Every call (the manifest lists each; a test checks the names).
    #[cfg(test)]
    pub const ALL: [TrackingCallKind; 5] = [
        TrackingCallKind::CreateExperiment,
        TrackingCallKind::StartRun,
        TrackingCallKind::LogParam,
        TrackingCallKind::LogMetric,
        TrackingCallKind::EndRun,
    ];

    /// The SQL name.
    pub fn name(self) -> &'static str {
        match self {
            TrackingCallKind::CreateExperiment => "create_experiment",
            TrackingCallKind::StartRun => "start_run",
            TrackingCallKind::LogParam => "log_param",
            TrackingCallKind::LogMetric => "log_metric",
            TrackingCallKind::EndRun => "end_run",
        }
    }

    fn usage(self) -> &'static str {
        match self {
            TrackingCallKind::CreateExperiment => {
                "create_experiment(name VARCHAR [, comment VARCHAR])"
            }
            TrackingCallKind::StartRun => "start_run(experiment VARCHAR, run VARCHAR)",
            TrackingCallKind::LogParam => {
                "log_param(experiment VARCHAR, run VARCHAR, name VARCHAR, value)"
            }
            TrackingCallKind::LogMetric => {
                "log_metric(experiment VARCHAR, run VARCHAR, name VARCHAR, value DOUBLE [, step BIGINT])"
            }
            TrackingCallKind::EndRun => {
                "end_run(experiment VARCHAR, run VARCHAR [, status VARCHAR])"
            }
        }
    }

    /// (required, optional) argument counts.
    fn arity(self) -> (usize, usize) {
        match self {
            TrackingCallKind::CreateExperiment => (1, 1),
            TrackingCallKind::StartRun => (2, 0),
            TrackingCallKind::LogParam => (4, 0),
            TrackingCallKind::LogMetric => (4, 1),
            TrackingCallKind::EndRun => (2, 1),
        }
    }
}

/// One of the logging table functions.
#[derive(Debug)]
pub struct TrackingCall {
    kind: TrackingCallKind,
    tracking: Tracking,
}

impl TrackingCall {
    /// The function `kind`, logging to `tracking`.
    pub fn new(kind: TrackingCallKind, tracking: Tracking) -> Self {
        Self { kind, tracking }
    }
}

fn output_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("experiment", DataType::Utf8, false),
        Field::new("run", DataType::Utf8, true),
        Field::new("run_id", DataType::Utf8, true),
    ]))
}

/// A constant argument as text (numbers and booleans too: parameters are text).
fn text(args: &[Expr], index: usize) -> Option<String> {
    match args.get(index) {
        Some(Expr::Literal(value, _)) if !value.is_null() => match value {
            ScalarValue::Utf8(Some(s))
            | ScalarValue::Utf8View(Some(s))
            | ScalarValue::LargeUtf8(Some(s)) => Some(s.clone()),
            other => Some(other.to_string()),
        },
        _ => None,
    }
}

/// A constant number argument.
fn number(args: &[Expr], index: usize) -> Option<f64> {
    match args.get(index) {
        Some(Expr::Literal(value, _)) if value.data_type().is_numeric() => {
            match value.cast_to(&DataType::Float64) {
                Ok(ScalarValue::Float64(Some(v))) => Some(v),
                _ => None,
            }
        }
        _ => None,
    }
}

impl TableFunctionImpl for TrackingCall {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        let (name, usage) = (self.kind.name(), self.kind.usage());
        let (required, optional) = self.kind.arity();
        if exprs.len() < required || exprs.len() > required + optional {
            return plan_err!(
                "{name} takes {required}{} arguments, got {}; expected {usage}",
                if optional > 0 {
                    format!(" to {}", required + optional)
                } else {
                    String::new()
                },
                exprs.len()
            );
        }
        let mut texts = Vec::new();
        for index in 0..exprs.len() {
            let is_value = matches!(
                (self.kind, index),
                (TrackingCallKind::LogMetric, 3 | 4) | (TrackingCallKind::LogParam, 3)
            );
            match text(exprs, index) {
                Some(t) => texts.push(t),
                None if is_value => texts.push(String::new()),
                None => {
                    return plan_err!(
                        "argument {} of {name} must be a constant string; expected {usage}",
                        index + 1
                    );
                }
            }
        }
        // Check names now, so a typo fails at planning rather than after other work.
        let run = match self.kind {
            TrackingCallKind::CreateExperiment => {
                experiment_name(&texts[0])?;
                None
            }
            _ => Some(NewRun::new(&texts[0], &texts[1])?),
        };
        let metric = match self.kind {
            TrackingCallKind::LogMetric => {
                let Some(value) = number(exprs, 3) else {
                    return plan_err!(
                        "argument 4 of log_metric must be a constant number; expected {usage}"
                    );
                };
                let step = match exprs.len() {
                    5 => match number(exprs, 4) {
                        Some(s) if s.fract() == 0.0 && s.abs() < 9.0e15 => Some(s as i64),
                        _ => {
                            return plan_err!(
                                "argument 5 of log_metric (step) must be an integer; expected {usage}"
                            );
                        }
                    },
                    _ => None,
                };
                Some((texts[2].clone(), value, step))
            }
            _ => None,
        };
        if self.kind == TrackingCallKind::LogParam && text(exprs, 3).is_none() {
            return plan_err!("argument 4 of log_param must be a constant value; expected {usage}");
        }
        let (kind, tracking, schema) = (self.kind, self.tracking.clone(), output_schema());
        let out_schema = Arc::clone(&schema);
        let work = Arc::new(move |_rows: Vec<RecordBatch>| {
            let (tracking, texts, run, metric, schema) = (
                tracking.clone(),
                texts.clone(),
                run.clone(),
                metric.clone(),
                Arc::clone(&out_schema),
            );
            Box::pin(async move {
                let (experiment, run_name, run_id) = match (kind, &run) {
                    (TrackingCallKind::CreateExperiment, _) => {
                        let comment = texts.get(1).map(String::as_str);
                        (
                            tracking
                                .create_experiment(&texts[0], comment, false)
                                .await?,
                            None,
                            None,
                        )
                    }
                    (_, Some(run)) => {
                        let id = match kind {
                            TrackingCallKind::StartRun => tracking.start_run(run).await?,
                            TrackingCallKind::LogParam => {
                                tracking
                                    .log_params(run, &[(texts[2].clone(), texts[3].clone())])
                                    .await?
                            }
                            TrackingCallKind::LogMetric => {
                                let metrics: Vec<_> = metric.into_iter().collect();
                                tracking.log_metrics(run, &metrics).await?
                            }
                            _ => {
                                let status = texts.get(2).map_or("FINISHED", String::as_str);
                                tracking.end_run(run, status).await?
                            }
                        };
                        (run.experiment.clone(), Some(run.name.clone()), Some(id))
                    }
                    (_, None) => return plan_err!("{} needs a run", kind.name()),
                };
                let columns: Vec<ArrayRef> = vec![
                    Arc::new(StringArray::from(vec![experiment])),
                    Arc::new(StringArray::from(vec![run_name])),
                    Arc::new(StringArray::from(vec![run_id])),
                ];
                Ok(vec![RecordBatch::try_new(schema, columns)?])
            }) as _
        });
        Ok(Arc::new(DeferredTable::new(
            kind.name(),
            schema,
            None,
            work,
        )))
    }
}
