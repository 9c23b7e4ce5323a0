//! The tracking log's rows. Experiments, runs, parameters, metrics, tags and
//! status changes are all events in one append-only Parquet table, so one
//! logging call — however many values it records — is one atomic commit.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{
    DataType, Field, Float64Type, Int64Type, Schema, SchemaRef, TimestampMillisecondType,
};
use datafusion::common::{Result, exec_err};

use crate::storage::clock::timestamp_type;

/// What an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// An experiment was created (`text`: its comment).
    Experiment,
    /// A run was started (`key`: its name).
    Run,
    /// A run's status changed (`key`: the new status).
    Status,
    /// A parameter (`key` = `text`).
    Param,
    /// A metric value (`key`, `number`, `step`).
    Metric,
    /// A tag (`key` = `text`); Firn's own tags start with `firn.`.
    Tag,
}

impl EventKind {
    fn name(self) -> &'static str {
        match self {
            EventKind::Experiment => "experiment",
            EventKind::Run => "run",
            EventKind::Status => "status",
            EventKind::Param => "param",
            EventKind::Metric => "metric",
            EventKind::Tag => "tag",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "experiment" => EventKind::Experiment,
            "run" => EventKind::Run,
            "status" => EventKind::Status,
            "param" => EventKind::Param,
            "metric" => EventKind::Metric,
            "tag" => EventKind::Tag,
            _ => return None,
        })
    }
}

/// One row of the tracking log.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When it was logged, in milliseconds since the Unix epoch (UTC).
    pub at: i64,
    /// The experiment.
    pub experiment: String,
    /// The run, except for experiment events.
    pub run_id: Option<String>,
    /// What the event records.
    pub kind: EventKind,
    /// Name of the run, status, parameter, metric or tag.
    pub key: Option<String>,
    /// Text value (parameter, tag, experiment comment).
    pub text: Option<String>,
    /// Number value (metric).
    pub number: Option<f64>,
    /// Metric step.
    pub step: Option<i64>,
}

impl Event {
    /// An event with only its kind, experiment, run and time set.
    pub fn new(kind: EventKind, at: i64, experiment: &str, run_id: Option<&str>) -> Self {
        Self {
            at,
            experiment: experiment.to_string(),
            run_id: run_id.map(str::to_string),
            kind,
            key: None,
            text: None,
            number: None,
            step: None,
        }
    }

    /// The event with `key` set.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// The event with `text` set.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// The event with a metric value (and step) set.
    pub fn number(mut self, value: f64, step: Option<i64>) -> Self {
        self.number = Some(value);
        self.step = step;
        self
    }
}

/// The tracking log's Arrow schema (format version 1).
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("at", timestamp_type(), false),
        Field::new("experiment", DataType::Utf8, false),
        Field::new("run_id", DataType::Utf8, true),
        Field::new("kind", DataType::Utf8, false),
        Field::new("key", DataType::Utf8, true),
        Field::new("text", DataType::Utf8, true),
        Field::new("number", DataType::Float64, true),
        Field::new("step", DataType::Int64, true),
    ]))
}

/// `events` as one record batch.
pub fn to_batch(events: &[Event]) -> Result<RecordBatch> {
    let text = |f: &dyn Fn(&Event) -> Option<&str>| {
        StringArray::from(events.iter().map(f).collect::<Vec<_>>())
    };
    Ok(RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(
                TimestampMillisecondArray::from_iter_values(events.iter().map(|e| e.at))
                    .with_timezone("UTC"),
            ),
            Arc::new(text(&|e| Some(e.experiment.as_str()))),
            Arc::new(text(&|e| e.run_id.as_deref())),
            Arc::new(text(&|e| Some(e.kind.name()))),
            Arc::new(text(&|e| e.key.as_deref())),
            Arc::new(text(&|e| e.text.as_deref())),
            Arc::new(Float64Array::from(
                events.iter().map(|e| e.number).collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                events.iter().map(|e| e.step).collect::<Vec<_>>(),
            )),
        ],
    )?)
}

/// The events of a record batch read back from the log.
pub fn from_batch(batch: &RecordBatch) -> Result<Vec<Event>> {
    let expected = schema();
    if batch.num_columns() != expected.fields().len() {
        return exec_err!(
            "the tracking log has {} columns, expected {}",
            batch.num_columns(),
            expected.fields().len()
        );
    }
    let column = |i: usize| batch.column(i);
    let strings = |i: usize| -> Result<&StringArray> {
        column(i).as_string_opt::<i32>().ok_or_else(|| {
            datafusion::error::DataFusionError::Execution(format!(
                "tracking log column {i} is not text"
            ))
        })
    };
    let (Some(at), Some(number), Some(step)) = (
        column(0).as_primitive_opt::<TimestampMillisecondType>(),
        column(6).as_primitive_opt::<Float64Type>(),
        column(7).as_primitive_opt::<Int64Type>(),
    ) else {
        return exec_err!("the tracking log's columns have unexpected types");
    };
    let (experiment, run_id, kind, key, text) = (
        strings(1)?,
        strings(2)?,
        strings(3)?,
        strings(4)?,
        strings(5)?,
    );
    let opt = |a: &StringArray, i: usize| (!a.is_null(i)).then(|| a.value(i).to_string());
    let mut events = Vec::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        let Some(event_kind) = EventKind::from_name(kind.value(i)) else {
            return exec_err!(
                "the tracking log has an event of unknown kind '{}'",
                kind.value(i)
            );
        };
        events.push(Event {
            at: at.value(i),
            experiment: experiment.value(i).to_string(),
            run_id: opt(run_id, i),
            kind: event_kind,
            key: opt(key, i),
            text: opt(text, i),
            number: (!number.is_null(i)).then(|| number.value(i)),
            step: (!step.is_null(i)).then(|| step.value(i)),
        });
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_arrow() {
        let events = vec![
            Event::new(EventKind::Experiment, 1, "exp", None).text("a comment"),
            Event::new(EventKind::Run, 2, "exp", Some("r1")).key("baseline"),
            Event::new(EventKind::Param, 3, "exp", Some("r1"))
                .key("max_depth")
                .text("5"),
            Event::new(EventKind::Metric, 4, "exp", Some("r1"))
                .key("f1")
                .number(0.8, Some(2)),
            Event::new(EventKind::Status, 5, "exp", Some("r1")).key("FINISHED"),
        ];
        let batch = to_batch(&events).expect("batch");
        assert_eq!(batch.schema(), schema());
        assert_eq!(from_batch(&batch).expect("events"), events);
    }
}
