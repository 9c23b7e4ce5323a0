//! `firn.run_params` and `firn.run_metrics`: every logged parameter and metric
//! value. Both take `INSERT`, which logs values computed by any query:
//!
//! ```sql
//! INSERT INTO firn.run_metrics (experiment, run, metric, value)
//! SELECT 'churn', 'manual', 'f1', f1_score(p, is_churned) FROM scored;
//! ```
//!
//! One `INSERT` is one commit of the tracking log: all its rows or none.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Array, AsArray, Float64Array, Int64Array, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, SchemaRef};
use datafusion::common::{Result, exec_err};

use super::SystemTable;
use super::columns::timestamp_field;
use super::runs::{text, ts};
use crate::tracking::state::Run;
use crate::tracking::{NewRun, Tracking};

/// The text column `name` of an inserted batch (cast to text).
fn text_column(batch: &RecordBatch, name: &str, table: &str) -> Result<Vec<Option<String>>> {
    let Some(column) = batch.column_by_name(name) else {
        return exec_err!("INSERT INTO firn.{table} needs column {name}");
    };
    let column = cast(column, &DataType::Utf8)?;
    let column = column.as_string::<i32>();
    Ok((0..column.len())
        .map(|i| (!column.is_null(i)).then(|| column.value(i).to_string()))
        .collect())
}

/// The text column `name` of an inserted batch; a NULL is an error naming its row.
fn required(batch: &RecordBatch, name: &str, table: &str) -> Result<Vec<String>> {
    text_column(batch, name, table)?
        .into_iter()
        .enumerate()
        .map(|(row, v)| match v {
            Some(v) => Ok(v),
            None => exec_err!(
                "INSERT INTO firn.{table}: {name} is NULL in row {}",
                row + 1
            ),
        })
        .collect()
}

/// The runs an inserted batch names (its `experiment` and `run` columns), in
/// first-seen order, each with the indices of its rows.
fn rows_by_run(batch: &RecordBatch, table: &str) -> Result<Vec<(NewRun, Vec<usize>)>> {
    let experiments = required(batch, "experiment", table)?;
    let runs = required(batch, "run", table)?;
    let mut grouped: Vec<(NewRun, Vec<usize>)> = Vec::new();
    for (row, (experiment, run)) in experiments.iter().zip(&runs).enumerate() {
        let run = NewRun::new(experiment, run)?;
        match grouped.iter_mut().find(|(r, _)| *r == run) {
            Some((_, rows)) => rows.push(row),
            None => grouped.push((run, vec![row])),
        }
    }
    Ok(grouped)
}

/// Parameters and metrics to log, by run (see [`Tracking::log`]).
type Entries = Vec<(
    NewRun,
    Vec<(String, String)>,
    Vec<(String, f64, Option<i64>)>,
)>;

/// `firn.run_params`: one row per parameter of a run; `INSERT` logs parameters.
#[derive(Debug)]
pub struct RunParamsTable {
    tracking: Tracking,
}

impl RunParamsTable {
    /// The parameters of `tracking`'s runs.
    pub fn new(tracking: Tracking) -> Self {
        Self { tracking }
    }
}

#[async_trait]
impl SystemTable for RunParamsTable {
    fn name(&self) -> &'static str {
        "run_params"
    }

    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            // Nullable so that an INSERT with a NULL gets Firn's message naming the row.
            Field::new("run_id", DataType::Utf8, true),
            Field::new("experiment", DataType::Utf8, true),
            Field::new("run", DataType::Utf8, true),
            Field::new("param", DataType::Utf8, true),
            Field::new("value", DataType::Utf8, true),
        ]))
    }

    async fn batches(&self) -> Result<Vec<RecordBatch>> {
        let state = self.tracking.refresh().await?;
        let rows: Vec<(&Run, &String, &String)> = state
            .runs
            .iter()
            .flat_map(|r| r.params.iter().map(move |(k, v)| (r, k, v)))
            .collect();
        Ok(vec![RecordBatch::try_new(
            self.schema(),
            vec![
                text(rows.iter().map(|(r, _, _)| Some(r.run_id.as_str()))),
                text(rows.iter().map(|(r, _, _)| Some(r.experiment.as_str()))),
                text(rows.iter().map(|(r, _, _)| Some(r.name.as_str()))),
                text(rows.iter().map(|(_, k, _)| Some(k.as_str()))),
                text(rows.iter().map(|(_, _, v)| Some(v.as_str()))),
            ],
        )?])
    }

    fn accepts_inserts(&self) -> bool {
        true
    }

    async fn insert(&self, batches: Vec<RecordBatch>) -> Result<u64> {
        let table = "run_params";
        let mut entries: Entries = Vec::new();
        for batch in &batches {
            let params = required(batch, "param", table)?;
            let values = required(batch, "value", table)?;
            for (run, rows) in rows_by_run(batch, table)? {
                let logged = rows
                    .iter()
                    .map(|&i| (params[i].clone(), values[i].clone()))
                    .collect();
                entries.push((run, logged, vec![]));
            }
        }
        self.tracking.log(&entries).await?;
        Ok(batches.iter().map(|b| b.num_rows() as u64).sum())
    }
}

/// `firn.run_metrics`: every logged metric value; `INSERT` logs metrics.
#[derive(Debug)]
pub struct RunMetricsTable {
    tracking: Tracking,
}

impl RunMetricsTable {
    /// The metric values of `tracking`'s runs.
    pub fn new(tracking: Tracking) -> Self {
        Self { tracking }
    }
}

#[async_trait]
impl SystemTable for RunMetricsTable {
    fn name(&self) -> &'static str {
        "run_metrics"
    }

    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            // Nullable so that an INSERT with a NULL gets Firn's message naming the row.
            Field::new("run_id", DataType::Utf8, true),
            Field::new("experiment", DataType::Utf8, true),
            Field::new("run", DataType::Utf8, true),
            Field::new("metric", DataType::Utf8, true),
            Field::new("value", DataType::Float64, true),
            Field::new("step", DataType::Int64, true),
            timestamp_field("logged_at"),
        ]))
    }

    async fn batches(&self) -> Result<Vec<RecordBatch>> {
        let state = self.tracking.refresh().await?;
        let rows: Vec<(&Run, &crate::tracking::MetricValue)> = state
            .runs
            .iter()
            .flat_map(|r| r.metrics.iter().map(move |m| (r, m)))
            .collect();
        Ok(vec![RecordBatch::try_new(
            self.schema(),
            vec![
                text(rows.iter().map(|(r, _)| Some(r.run_id.as_str()))),
                text(rows.iter().map(|(r, _)| Some(r.experiment.as_str()))),
                text(rows.iter().map(|(r, _)| Some(r.name.as_str()))),
                text(rows.iter().map(|(_, m)| Some(m.name.as_str()))),
                Arc::new(Float64Array::from_iter_values(
                    rows.iter().map(|(_, m)| m.value),
                )),
                Arc::new(Int64Array::from_iter_values(
                    rows.iter().map(|(_, m)| m.step),
                )),
                ts(rows.iter().map(|(_, m)| Some(m.at))),
            ],
        )?])
    }

    fn accepts_inserts(&self) -> bool {
        true
    }

    async fn insert(&self, batches: Vec<RecordBatch>) -> Result<u64> {
        let table = "run_metrics";
        let mut entries: Entries = Vec::new();
        for batch in &batches {
            let metrics = required(batch, "metric", table)?;
            let Some(values) = batch.column_by_name("value") else {
                return exec_err!("INSERT INTO firn.{table} needs column value");
            };
            let values = cast(values, &DataType::Float64)?;
            let values = values.as_primitive::<Float64Type>();
            let steps = match batch.column_by_name("step") {
                Some(steps) => Some(cast(steps, &DataType::Int64)?),
                None => None,
            };
            let steps = steps.as_ref().map(|s| s.as_primitive::<Int64Type>());
            for (run, rows) in rows_by_run(batch, table)? {
                let mut logged = Vec::with_capacity(rows.len());
                for i in rows {
                    if values.is_null(i) {
                        return exec_err!(
                            "INSERT INTO firn.{table}: value is NULL in row {}",
                            i + 1
                        );
                    }
                    let step = steps.filter(|s| !s.is_null(i)).map(|s| s.value(i));
                    logged.push((metrics[i].clone(), values.value(i), step));
                }
                entries.push((run, vec![], logged));
            }
        }
        self.tracking.log(&entries).await?;
        Ok(batches.iter().map(|b| b.num_rows() as u64).sum())
    }
}
