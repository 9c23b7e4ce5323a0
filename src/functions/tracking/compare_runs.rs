//! `compare_runs(experiment [, metric])`: an experiment's runs side by side —
//! one row per run with its status, the model version it produced, then one
//! column per parameter (`params.<name>`, text) and per metric
//! (`metrics.<name>`, the latest value), named as MLflow's `search_runs` names
//! them. Rows are in start order, or best first by `metric` when given (higher
//! is better, except for losses and errors: log_loss, rmse, mae, mse).

use std::collections::BTreeSet;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::{MemTable, TableProvider};

use crate::catalog::system::columns::timestamp_field;
use crate::functions::args::string_arg;
use crate::tracking::state::tags;
use crate::tracking::{Tracking, experiment_name};

const USAGE: &str = "compare_runs(experiment VARCHAR [, metric VARCHAR])";

/// Metrics where lower is better.
const LOWER_IS_BETTER: &[&str] = &["log_loss", "logloss", "rmse", "mae", "mse", "loss"];

/// The `compare_runs` table function.
#[derive(Debug)]
pub struct CompareRuns {
    tracking: Tracking,
}

impl CompareRuns {
    /// `compare_runs` over `tracking`'s runs (as refreshed before the statement is planned).
    pub fn new(tracking: Tracking) -> Self {
        Self { tracking }
    }
}

impl TableFunctionImpl for CompareRuns {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if exprs.is_empty() || exprs.len() > 2 {
            return plan_err!(
                "compare_runs takes 1 or 2 arguments, got {}; expected {USAGE}",
                exprs.len()
            );
        }
        let Some(experiment) = string_arg(exprs, 0) else {
            return plan_err!(
                "argument 1 of compare_runs must be the experiment's name as a string; expected {USAGE}"
            );
        };
        let experiment = experiment_name(&experiment)?;
        let order_by = match exprs.len() {
            2 => match string_arg(exprs, 1) {
                Some(metric) => Some(metric.to_ascii_lowercase()),
                None => {
                    return plan_err!(
                        "argument 2 of compare_runs must be a metric's name; expected {USAGE}"
                    );
                }
            },
            _ => None,
        };
        let state = self.tracking.cached();
        if !state.experiments.contains_key(&experiment) {
            let known: Vec<&str> = state.experiments.keys().map(String::as_str).collect();
            return plan_err!(
                "compare_runs: there is no experiment '{experiment}'; experiments: {}",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            );
        }
        let mut runs: Vec<_> = state.runs_of(&experiment).collect();
        let params: BTreeSet<&String> = runs.iter().flat_map(|r| r.params.keys()).collect();
        let latest: Vec<_> = runs.iter().map(|r| r.latest_metrics()).collect();
        let metrics: BTreeSet<String> = latest.iter().flat_map(|m| m.keys().cloned()).collect();
        let mut order: Vec<usize> = (0..runs.len()).collect();
        if let Some(metric) = &order_by {
            if !metrics.contains(metric) {
                return plan_err!(
                    "compare_runs: no run of '{experiment}' logged metric '{metric}'; metrics: {}",
                    metrics.iter().cloned().collect::<Vec<_>>().join(", ")
                );
            }
            let lower = LOWER_IS_BETTER.contains(&metric.as_str());
            let key = |i: usize| latest[i].get(metric).copied();
            order.sort_by(|&a, &b| match (key(a), key(b)) {
                (Some(x), Some(y)) if lower => x.total_cmp(&y),
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            });
        }
        let latest: Vec<_> = order.iter().map(|&i| latest[i].clone()).collect();
        runs = order.iter().map(|&i| runs[i]).collect();
        let parent = |run: &crate::tracking::Run| {
            run.tag(tags::PARENT_RUN)
                .and_then(|id| state.runs.iter().find(|r| r.run_id == id))
                .map(|r| r.name.clone())
        };
        let mut fields = vec![
            Field::new("run", DataType::Utf8, false),
            Field::new("status", DataType::Utf8, false),
            Field::new("model", DataType::Utf8, true),
            Field::new("model_version", DataType::Utf8, true),
            Field::new("parent_run", DataType::Utf8, true),
            timestamp_field("started_at"),
        ];
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                runs.iter().map(|r| r.name.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                runs.iter().map(|r| r.status.as_str()),
            )),
            Arc::new(StringArray::from(
                runs.iter().map(|r| r.tag(tags::MODEL)).collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                runs.iter()
                    .map(|r| r.tag(tags::MODEL_VERSION))
                    .collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                runs.iter().map(|r| parent(r)).collect::<Vec<_>>(),
            )),
            Arc::new(
                TimestampMillisecondArray::from_iter_values(runs.iter().map(|r| r.started_at))
                    .with_timezone("UTC"),
            ),
        ];
        for param in &params {
            fields.push(Field::new(format!("params.{param}"), DataType::Utf8, true));
            columns.push(Arc::new(StringArray::from(
                runs.iter()
                    .map(|r| r.params.get(*param).cloned())
                    .collect::<Vec<_>>(),
            )));
        }
        for metric in &metrics {
            fields.push(Field::new(
                format!("metrics.{metric}"),
                DataType::Float64,
                true,
            ));
            columns.push(Arc::new(Float64Array::from(
                latest
                    .iter()
                    .map(|m| m.get(metric).copied())
                    .collect::<Vec<_>>(),
            )));
        }
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(Arc::clone(&schema), columns)?;
        Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
    }
}
