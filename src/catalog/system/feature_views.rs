//! `firn.feature_views`: one row per live feature view version.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;

use super::SystemTable;
use super::columns::{timestamp_field, timestamps};
use crate::feature_store::{FeatureStore, ViewVersion};

/// The `firn.feature_views` table.
#[derive(Debug)]
pub struct FeatureViewsTable {
    store: Arc<FeatureStore>,
}

impl FeatureViewsTable {
    /// The feature views of `store`.
    pub fn new(store: Arc<FeatureStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl SystemTable for FeatureViewsTable {
    fn name(&self) -> &'static str {
        "feature_views"
    }

    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("feature_view", DataType::Utf8, false),
            Field::new("version", DataType::Utf8, false),
            Field::new("entity", DataType::Utf8, false),
            Field::new("keys", DataType::Utf8, false),
            Field::new("timestamp_column", DataType::Utf8, true),
            Field::new("materialized", DataType::Boolean, false),
            Field::new("features", DataType::Int64, false),
            Field::new("feature_names", DataType::Utf8, false),
            Field::new("rows", DataType::Int64, true),
            Field::new("comment", DataType::Utf8, true),
            timestamp_field("created_at"),
            Field::new("revision", DataType::Int64, false),
            Field::new("definition_hash", DataType::Utf8, false),
            Field::new("lineage", DataType::Utf8, true),
            Field::new("query", DataType::Utf8, false),
        ]))
    }

    async fn batches(&self) -> Result<Vec<RecordBatch>> {
        let catalog = self.store.refresh().await?;
        let views: Vec<&ViewVersion> = catalog.views().map(|v| v.as_ref()).collect();
        let text = |f: &dyn Fn(&ViewVersion) -> Option<String>| -> ArrayRef {
            Arc::new(StringArray::from(
                views.iter().map(|v| f(v)).collect::<Vec<_>>(),
            ))
        };
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let columns: Vec<ArrayRef> = vec![
            text(&|v| Some(v.name.clone())),
            text(&|v| Some(v.version.clone())),
            text(&|v| Some(v.entity.clone())),
            text(&|v| Some(v.keys.join(", "))),
            text(&|v| v.timestamp.clone()),
            Arc::new(BooleanArray::from(
                views.iter().map(|v| v.materialized).collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                views
                    .iter()
                    .map(|v| as_i64(v.features().count() as u64))
                    .collect::<Vec<_>>(),
            )),
            text(&|v| {
                Some(
                    v.features()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            }),
            Arc::new(Int64Array::from(
                views
                    .iter()
                    .map(|v| v.snapshot.as_ref().map(|s| as_i64(s.rows)))
                    .collect::<Vec<_>>(),
            )),
            text(&|v| v.comment.clone()),
            timestamps(views.iter().map(|v| Some(v.created_at.as_str()))),
            Arc::new(Int64Array::from(
                views.iter().map(|v| as_i64(v.revision)).collect::<Vec<_>>(),
            )),
            text(&|v| Some(v.definition_hash.clone())),
            text(&|v| (!v.lineage.is_empty()).then(|| v.lineage.join("; "))),
            text(&|v| Some(v.query.clone())),
        ];
        Ok(vec![RecordBatch::try_new(self.schema(), columns)?])
    }
}
