//! The tracking system tables: `firn.experiments`, `firn.runs`,
//! `firn.run_params` and `firn.run_metrics`. The last two also take `INSERT`,
//! which logs values computed by any query:
//!
//! ```sql
//! INSERT INTO firn.run_metrics (experiment, run, metric, value)
//! SELECT 'churn', 'manual', 'f1', f1_score(p, is_churned) FROM scored;
//! ```

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, SchemaRef};
use datafusion::common::{Result, exec_err};

use super::state::{Run, tags};
use super::{NewRun, Tracking};
use crate::catalog::system::SystemTable;
use crate::catalog::system::columns::{
    number_map, number_map_type, text_map, text_map_type, timestamp_field,
};

fn ts(values: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(
        TimestampMillisecondArray::from(values.into_iter().collect::<Vec<_>>())
            .with_timezone("UTC"),
    )
}

fn text<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(StringArray::from(values.into_iter().collect::<Vec<_>>()))
}

/// `firn.experiments`: one row per experiment.
#[derive(Debug)]
pub struct ExperimentsTable {
    tracking: Tracking,
}

impl ExperimentsTable {
    /// The experiments of `tracking`.
    pub fn new(tracking: Tracking) -> Self {
        Self { tracking }
    }
}

#[async_trait]
impl SystemTable for ExperimentsTable {
    fn name(&self) -> &'static str {
        "experiments"
    }

    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("experiment", DataType::Utf8, false),
            Field::new("comment", DataType::Utf8, true),
            timestamp_field("created_at"),
            Field::new("runs", DataType::Int64, false),
            timestamp_field("last_run_at"),
        ]))
    }

    async fn batches(&self) -> Result<Vec<RecordBatch>> {
        let state = self.tracking.refresh().await?;
        let experiments: Vec<_> = state.experiments.values().collect();
        let runs = |name: &String| {
            state
                .runs
                .iter()
                .filter(|r| &r.experiment == name)
                .collect::<Vec<_>>()
        };
        Ok(vec![RecordBatch::try_new(
            self.schema(),
            vec![
                text(experiments.iter().map(|e| Some(e.name.as_str()))),
                text(experiments.iter().map(|e| e.comment.as_deref())),
                ts(experiments.iter().map(|e| Some(e.created_at))),
                Arc::new(Int64Array::from_iter_values(
                    experiments.iter().map(|e| runs(&e.name).len() as i64),
                )),
                ts(experiments
                    .iter()
                    .map(|e| runs(&e.name).iter().map(|r| r.started_at).max())),
            ],
        )?])
    }
}

/// `firn.runs`: one row per run, with its latest metrics and its parameters.
#[derive(Debug)]
pub struct RunsTable {
    tracking: Tracking,
}

impl RunsTable {
    /// The runs of `tracking`.
    pub fn new(tracking: Tracking) -> Self {
        Self { tracking }
    }
}

/// The name of run `run`'s parent, if it has one.
fn parent_name<'a>(runs: &'a [Run], run: &Run) -> Option<&'a str> {
    let parent = run.tag(tags::PARENT_RUN)?;
    runs.iter()
        .find(|r| r.run_id == parent)
        .map(|r| r.name.as_str())
}

#[async_trait]
impl SystemTable for RunsTable {
    fn name(&self) -> &'static str {
        "runs"
    }

    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("run_id", DataType::Utf8, false),
            Field::new("experiment", DataType::Utf8, false),
            Field::new("run", DataType::Utf8, false),
            Field::new("status", DataType::Utf8, false),
            timestamp_field("started_at"),
            timestamp_field("ended_at"),
            Field::new("parent_run", DataType::Utf8, true),
            Field::new("model", DataType::Utf8, true),
            Field::new("model_version", DataType::Utf8, true),
            Field::new("source", DataType::Utf8, true),
            Field::new("params", text_map_type(), true),
            Field::new("metrics", number_map_type(), true),
            Field::new("tags", text_map_type(), true),
        ]))
    }

    async fn batches(&self) -> Result<Vec<RecordBatch>> {
        let state = self.tracking.refresh().await?;
        let runs = &state.runs;
        let params: Vec<Vec<(String, String)>> = runs
            .iter()
            .map(|r| r.params.clone().into_iter().collect())
            .collect();
        let metrics: Vec<Vec<(String, f64)>> = runs
            .iter()
            .map(|r| r.latest_metrics().into_iter().collect())
            .collect();
        let tag_lists: Vec<Vec<(String, String)>> = runs
            .iter()
            .map(|r| r.tags.clone().into_iter().collect())
            .collect();
        Ok(vec![RecordBatch::try_new(
            self.schema(),
            vec![
                text(runs.iter().map(|r| Some(r.run_id.as_str()))),
                text(runs.iter().map(|r| Some(r.experiment.as_str()))),
                text(runs.iter().map(|r| Some(r.name.as_str()))),
                text(runs.iter().map(|r| Some(r.status.as_str()))),
                ts(runs.iter().map(|r| Some(r.started_at))),
                ts(runs.iter().map(|r| r.ended_at)),
                text(runs.iter().map(|r| parent_name(runs, r))),
                text(runs.iter().map(|r| r.tag(tags::MODEL))),
                text(runs.iter().map(|r| r.tag(tags::MODEL_VERSION))),
                text(runs.iter().map(|r| r.tag(tags::SOURCE))),
                text_map(params.iter().map(Vec::as_slice)),
                number_map(metrics.iter().map(Vec::as_slice)),
                text_map(tag_lists.iter().map(Vec::as_slice)),
            ],
        )?])
    }
}

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

fn required(values: &[Option<String>], name: &str, table: &str) -> Result<Vec<String>> {
    values
        .iter()
        .enumerate()
        .map(|(row, v)| match v {
            Some(v) => Ok(v.clone()),
            None => exec_err!(
                "INSERT INTO firn.{table}: {name} is NULL in row {}",
                row + 1
            ),
        })
        .collect()
}

/// Groups inserted values by run, keeping the first-seen order.
fn runs_of(experiments: &[String], runs: &[String]) -> Result<Vec<NewRun>> {
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut order = Vec::new();
    for (e, r) in experiments.iter().zip(runs) {
        let run = NewRun::new(e, r)?;
        if seen.insert((run.experiment.clone(), run.name.clone())) {
            order.push(run);
        }
    }
    Ok(order)
}

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
        let mut rows = 0u64;
        let mut entries: Vec<(
            NewRun,
            Vec<(String, String)>,
            Vec<(String, f64, Option<i64>)>,
        )> = Vec::new();
        for batch in &batches {
            let table = "run_params";
            let experiments = required(
                &text_column(batch, "experiment", table)?,
                "experiment",
                table,
            )?;
            let runs = required(&text_column(batch, "run", table)?, "run", table)?;
            let params = required(&text_column(batch, "param", table)?, "param", table)?;
            let values = required(&text_column(batch, "value", table)?, "value", table)?;
            let order = runs_of(&experiments, &runs)?;
            for run in order {
                let params: Vec<(String, String)> = (0..batch.num_rows())
                    .filter(|&i| NewRun::new(&experiments[i], &runs[i]).is_ok_and(|r| r == run))
                    .map(|i| (params[i].clone(), values[i].clone()))
                    .collect();
                entries.push((run, params, vec![]));
            }
            rows += batch.num_rows() as u64;
        }
        self.tracking.log(&entries).await?;
        Ok(rows)
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
        let rows: Vec<(&Run, &super::MetricValue)> = state
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
        let mut rows = 0u64;
        let mut entries: Vec<(
            NewRun,
            Vec<(String, String)>,
            Vec<(String, f64, Option<i64>)>,
        )> = Vec::new();
        for batch in &batches {
            let experiments = required(
                &text_column(batch, "experiment", table)?,
                "experiment",
                table,
            )?;
            let runs = required(&text_column(batch, "run", table)?, "run", table)?;
            let metrics = required(&text_column(batch, "metric", table)?, "metric", table)?;
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
            let order = runs_of(&experiments, &runs)?;
            for run in order {
                let mut logged = Vec::new();
                for i in 0..batch.num_rows() {
                    if NewRun::new(&experiments[i], &runs[i]).is_ok_and(|r| r == run) {
                        if values.is_null(i) {
                            return exec_err!(
                                "INSERT INTO firn.{table}: value is NULL in row {}",
                                i + 1
                            );
                        }
                        let step = steps.filter(|s| !s.is_null(i)).map(|s| s.value(i));
                        logged.push((metrics[i].clone(), values.value(i), step));
                    }
                }
                entries.push((run, vec![], logged));
            }
            rows += batch.num_rows() as u64;
        }
        self.tracking.log(&entries).await?;
        Ok(rows)
    }
}
