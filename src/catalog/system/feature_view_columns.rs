//! `firn.feature_view_columns`: one row per column of every live feature view
//! version — its type, its role (key, timestamp, feature) and its description.
//! `DESCRIBE FEATURE VIEW` reads it.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;

use super::SystemTable;
use crate::feature_store::{FeatureStore, ViewColumn};

/// The `firn.feature_view_columns` table.
#[derive(Debug)]
pub struct FeatureViewColumnsTable {
    store: Arc<FeatureStore>,
}

impl FeatureViewColumnsTable {
    /// The columns of `store`'s feature views.
    pub fn new(store: Arc<FeatureStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl SystemTable for FeatureViewColumnsTable {
    fn name(&self) -> &'static str {
        "feature_view_columns"
    }

    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("feature_view", DataType::Utf8, false),
            Field::new("version", DataType::Utf8, false),
            Field::new("ordinal", DataType::Int64, false),
            Field::new("column_name", DataType::Utf8, false),
            Field::new("data_type", DataType::Utf8, false),
            Field::new("role", DataType::Utf8, false),
            Field::new("description", DataType::Utf8, true),
        ]))
    }

    async fn batches(&self) -> Result<Vec<RecordBatch>> {
        let catalog = self.store.refresh().await?;
        let rows: Vec<(&str, &str, i64, &ViewColumn)> = catalog
            .views()
            .flat_map(|v| {
                v.columns
                    .iter()
                    .enumerate()
                    .map(move |(i, c)| (v.name.as_str(), v.version.as_str(), i as i64 + 1, c))
            })
            .collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.2))),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.3.name.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.3.data_type.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.3.role.name()),
            )),
            Arc::new(StringArray::from(
                rows.iter()
                    .map(|r| r.3.description.clone())
                    .collect::<Vec<_>>(),
            )),
        ];
        Ok(vec![RecordBatch::try_new(self.schema(), columns)?])
    }
}
