//! `firn.entities`: one row per entity of the feature store.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;

use super::SystemTable;
use super::columns::{timestamp_field, timestamps};
use crate::feature_store::FeatureStore;

/// The `firn.entities` table.
#[derive(Debug)]
pub struct EntitiesTable {
    store: Arc<FeatureStore>,
}

impl EntitiesTable {
    /// The entities of `store`.
    pub fn new(store: Arc<FeatureStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl SystemTable for EntitiesTable {
    fn name(&self) -> &'static str {
        "entities"
    }

    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("entity", DataType::Utf8, false),
            Field::new("keys", DataType::Utf8, false),
            Field::new("comment", DataType::Utf8, true),
            timestamp_field("created_at"),
            Field::new("feature_views", DataType::Utf8, true),
        ]))
    }

    async fn batches(&self) -> Result<Vec<RecordBatch>> {
        let catalog = self.store.refresh().await?;
        let entities: Vec<_> = catalog.entities().collect();
        let users = |name: &str| {
            let views: Vec<String> = catalog
                .views_of_entity(name)
                .iter()
                .map(ToString::to_string)
                .collect();
            (!views.is_empty()).then(|| views.join(", "))
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                entities.iter().map(|e| e.name.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                entities.iter().map(|e| e.keys.join(", ")),
            )),
            Arc::new(StringArray::from(
                entities
                    .iter()
                    .map(|e| e.comment.clone())
                    .collect::<Vec<_>>(),
            )),
            timestamps(entities.iter().map(|e| Some(e.created_at.as_str()))),
            Arc::new(StringArray::from(
                entities.iter().map(|e| users(&e.name)).collect::<Vec<_>>(),
            )),
        ];
        Ok(vec![RecordBatch::try_new(self.schema(), columns)?])
    }
}
