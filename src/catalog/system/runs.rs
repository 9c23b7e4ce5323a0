//! The tracking system tables `firn.experiments` and `firn.runs` (the logged
//! values themselves are in [`super::run_values`]).

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;

use super::SystemTable;
use super::columns::{number_map, number_map_type, text_map, text_map_type, timestamp_field};
use crate::tracking::Tracking;
use crate::tracking::state::{Run, tags};

pub(super) fn ts(values: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(
        TimestampMillisecondArray::from(values.into_iter().collect::<Vec<_>>())
            .with_timezone("UTC"),
    )
}

pub(super) fn text<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> ArrayRef {
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
