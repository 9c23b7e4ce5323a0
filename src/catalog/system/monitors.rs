//! `firn.monitors` (one row per monitor, what `SHOW MONITORS` lists) and
//! `firn.monitor_results` (every row every `RUN MONITOR` appended).

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;

use super::SystemTable;
use super::columns::{timestamp_field, timestamps};
use crate::monitoring::monitors::{Monitors, ResultRow};

/// The `firn.monitors` table.
#[derive(Debug)]
pub struct MonitorsTable {
    monitors: Monitors,
}

impl MonitorsTable {
    /// The monitors of `monitors`.
    pub fn new(monitors: Monitors) -> Self {
        Self { monitors }
    }
}

#[async_trait]
impl SystemTable for MonitorsTable {
    fn name(&self) -> &'static str {
        "monitors"
    }

    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("monitor", DataType::Utf8, false),
            Field::new("model", DataType::Utf8, false),
            Field::new("alias", DataType::Utf8, true),
            Field::new("data", DataType::Utf8, false),
            Field::new("label", DataType::Utf8, true),
            Field::new("timestamp_column", DataType::Utf8, true),
            Field::new("options", DataType::Utf8, true),
            timestamp_field("created_at"),
        ]))
    }

    async fn batches(&self) -> Result<Vec<RecordBatch>> {
        let monitors = self.monitors.list().await?;
        let text = |f: fn(&crate::monitoring::monitors::MonitorDef) -> Option<String>| -> ArrayRef {
            Arc::new(StringArray::from(
                monitors.iter().map(f).collect::<Vec<_>>(),
            ))
        };
        let columns: Vec<ArrayRef> = vec![
            text(|m| Some(m.name.clone())),
            text(|m| Some(m.model.clone())),
            text(|m| m.alias.clone()),
            text(|m| Some(m.data.clone())),
            text(|m| m.label.clone()),
            text(|m| m.timestamp.clone()),
            text(|m| {
                (!m.options.is_empty()).then(|| {
                    m.options
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
            }),
            timestamps(monitors.iter().map(|m| Some(m.created_at.as_str()))),
        ];
        Ok(vec![RecordBatch::try_new(self.schema(), columns)?])
    }
}

/// The columns of `firn.monitor_results` (and of `RUN MONITOR`'s result).
pub fn monitor_results_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("monitor", DataType::Utf8, false),
        timestamp_field("run_at"),
        Field::new("model", DataType::Utf8, false),
        Field::new("model_version", DataType::Utf8, false),
        Field::new("period", DataType::Date32, true),
        Field::new("kind", DataType::Utf8, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("value", DataType::Float64, true),
        Field::new("flagged", DataType::Boolean, false),
    ]))
}

/// `rows` as one batch of [`monitor_results_schema`].
pub fn monitor_results_batch(rows: &[ResultRow]) -> Result<RecordBatch> {
    let text = |f: fn(&ResultRow) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    let columns: Vec<ArrayRef> = vec![
        text(|r| &r.monitor),
        Arc::new(
            TimestampMillisecondArray::from(rows.iter().map(|r| r.run_at).collect::<Vec<_>>())
                .with_timezone("UTC"),
        ),
        text(|r| &r.model),
        text(|r| &r.model_version),
        Arc::new(Date32Array::from(
            rows.iter().map(|r| r.period).collect::<Vec<_>>(),
        )),
        text(|r| &r.kind),
        text(|r| &r.name),
        Arc::new(Float64Array::from(
            rows.iter().map(|r| r.value).collect::<Vec<_>>(),
        )),
        Arc::new(BooleanArray::from(
            rows.iter().map(|r| r.flagged).collect::<Vec<_>>(),
        )),
    ];
    Ok(RecordBatch::try_new(monitor_results_schema(), columns)?)
}

/// The `firn.monitor_results` table.
#[derive(Debug)]
pub struct MonitorResultsTable {
    monitors: Monitors,
}

impl MonitorResultsTable {
    /// The results of `monitors`.
    pub fn new(monitors: Monitors) -> Self {
        Self { monitors }
    }
}

#[async_trait]
impl SystemTable for MonitorResultsTable {
    fn name(&self) -> &'static str {
        "monitor_results"
    }

    fn schema(&self) -> SchemaRef {
        monitor_results_schema()
    }

    async fn batches(&self) -> Result<Vec<RecordBatch>> {
        let rows = self.monitors.results().await?;
        Ok(vec![monitor_results_batch(&rows)?])
    }
}
