//! `firn.table_lineage`: the feature views each table was built from, its
//! training-set keys and features, and the findings of its last leakage check.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;

use super::SystemTable;
use super::columns::{timestamp_field, timestamps};
use crate::feature_store::{FeatureStore, TableLineage};

/// The `firn.table_lineage` table.
#[derive(Debug)]
pub struct TableLineageTable {
    store: Arc<FeatureStore>,
}

impl TableLineageTable {
    /// The lineage records of `store`.
    pub fn new(store: Arc<FeatureStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl SystemTable for TableLineageTable {
    fn name(&self) -> &'static str {
        "table_lineage"
    }

    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("table_name", DataType::Utf8, false),
            Field::new("sources", DataType::Utf8, true),
            Field::new("keys", DataType::Utf8, true),
            Field::new("spine_timestamp", DataType::Utf8, true),
            Field::new("features", DataType::Utf8, true),
            timestamp_field("recorded_at"),
            timestamp_field("checked_at"),
            Field::new("checked_label", DataType::Utf8, true),
            Field::new("checked_rows", DataType::Int64, true),
            Field::new("leakage_warning", DataType::Utf8, true),
        ]))
    }

    async fn batches(&self) -> Result<Vec<RecordBatch>> {
        let catalog = self.store.refresh().await?;
        let records: Vec<&TableLineage> = catalog.table_lineages().collect();
        let text = |f: &dyn Fn(&TableLineage) -> Option<String>| -> ArrayRef {
            Arc::new(StringArray::from(
                records.iter().map(|r| f(r)).collect::<Vec<_>>(),
            ))
        };
        let joined = |items: &[String]| (!items.is_empty()).then(|| items.join(", "));
        let columns: Vec<ArrayRef> = vec![
            text(&|r| Some(r.table.clone())),
            text(&|r| joined(&r.sources)),
            text(&|r| r.training_set.as_ref().and_then(|t| joined(&t.keys))),
            text(&|r| {
                r.training_set
                    .as_ref()
                    .and_then(|t| t.spine_timestamp.clone())
            }),
            text(&|r| r.training_set.as_ref().and_then(|t| joined(&t.features))),
            timestamps(records.iter().map(|r| Some(r.recorded_at.as_str()))),
            timestamps(
                records
                    .iter()
                    .map(|r| r.check.as_ref().map(|c| c.checked_at.as_str())),
            ),
            text(&|r| r.check.as_ref().map(|c| c.label.clone())),
            Arc::new(Int64Array::from(
                records
                    .iter()
                    .map(|r| {
                        r.check
                            .as_ref()
                            .map(|c| i64::try_from(c.rows).unwrap_or(i64::MAX))
                    })
                    .collect::<Vec<_>>(),
            )),
            text(&|r| r.check.as_ref().and_then(|c| c.warning())),
        ];
        Ok(vec![RecordBatch::try_new(self.schema(), columns)?])
    }
}
