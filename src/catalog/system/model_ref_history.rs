//! `firn.model_ref_history`: every interval in which a model's default version
//! or an alias pointed at a version (see [`crate::registry::ref_history`]).

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;

use super::SystemTable;
use super::columns::{timestamp_field, timestamps};
use crate::registry::{RefInterval, Registry};

/// The `firn.model_ref_history` table.
#[derive(Debug)]
pub struct ModelRefHistoryTable {
    registry: Registry,
}

impl ModelRefHistoryTable {
    /// The pointer history of `registry`'s models.
    pub fn new(registry: Registry) -> Self {
        Self { registry }
    }
}

/// The table's columns (also `model_version_at`'s).
pub fn ref_history_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("model", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("version", DataType::Utf8, false),
        timestamp_field("set_at"),
        timestamp_field("replaced_at"),
        Field::new("comment", DataType::Utf8, true),
    ]))
}

/// `intervals` as one batch of [`ref_history_schema`].
pub fn ref_history_batch(intervals: &[RefInterval]) -> Result<RecordBatch> {
    let text = |f: &dyn Fn(&RefInterval) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from(
            intervals.iter().map(f).collect::<Vec<_>>(),
        ))
    };
    let columns: Vec<ArrayRef> = vec![
        text(&|i| Some(&i.model)),
        text(&|i| Some(i.kind)),
        text(&|i| Some(&i.name)),
        text(&|i| Some(&i.version)),
        timestamps(intervals.iter().map(|i| Some(i.set_at.as_str()))),
        timestamps(intervals.iter().map(|i| i.replaced_at.as_deref())),
        text(&|i| i.comment.as_deref()),
    ];
    Ok(RecordBatch::try_new(ref_history_schema(), columns)?)
}

#[async_trait]
impl SystemTable for ModelRefHistoryTable {
    fn name(&self) -> &'static str {
        "model_ref_history"
    }

    fn schema(&self) -> SchemaRef {
        ref_history_schema()
    }

    async fn batches(&self) -> Result<Vec<RecordBatch>> {
        let mut intervals = Vec::new();
        for model in self.registry.list_models().await? {
            if model.versions == 0 {
                continue; // damaged: firn.models says how
            }
            intervals.extend(self.registry.ref_history(&model.name).await?);
        }
        Ok(vec![ref_history_batch(&intervals)?])
    }
}
