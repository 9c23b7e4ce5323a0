//! `firn.models`: one row per registered model.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;

use super::SystemTable;
use super::columns::{timestamp_field, timestamps};
use crate::registry::Registry;

/// The `firn.models` table.
#[derive(Debug)]
pub struct ModelsTable {
    registry: Registry,
}

impl ModelsTable {
    /// The models of `registry`.
    pub fn new(registry: Registry) -> Self {
        Self { registry }
    }
}

/// `alias=version, …` sorted by alias, or NULL without aliases.
pub(super) fn alias_list<'a>(
    aliases: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> Option<String> {
    let text: Vec<String> = aliases
        .into_iter()
        .map(|(a, v)| format!("{a}={v}"))
        .collect();
    (!text.is_empty()).then(|| text.join(", "))
}

#[async_trait]
impl SystemTable for ModelsTable {
    fn name(&self) -> &'static str {
        "models"
    }

    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("model", DataType::Utf8, false),
            Field::new("default_version", DataType::Utf8, true),
            Field::new("versions", DataType::Int64, false),
            Field::new("aliases", DataType::Utf8, true),
            Field::new("latest_version", DataType::Utf8, true),
            timestamp_field("latest_created_at"),
            Field::new("problem", DataType::Utf8, true),
        ]))
    }

    async fn batches(&self) -> Result<Vec<RecordBatch>> {
        let mut names = Vec::new();
        let mut defaults = Vec::new();
        let mut counts = Vec::new();
        let mut aliases = Vec::new();
        let mut latest = Vec::new();
        let mut latest_at = Vec::new();
        let mut problems = Vec::new();
        for summary in self.registry.list_models().await? {
            if summary.versions == 0 {
                // Damaged beyond listing its versions: the name and the problem.
                latest.push(None);
                latest_at.push(None);
                aliases.push(None);
                counts.push(0);
                defaults.push(None);
                names.push(summary.name);
                problems.push(summary.problem);
                continue;
            }
            let versions = self.registry.list_versions(&summary.name).await?;
            let pointers = self.registry.pointers(&summary.name).await?;
            // Versions are ordered by created_at, so the last one is the newest.
            let newest = versions.last();
            latest.push(newest.map(|m| m.version.clone()));
            latest_at.push(newest.map(|m| m.created_at.clone()));
            aliases.push(alias_list(&pointers.aliases));
            counts.push(i64::try_from(versions.len()).unwrap_or(i64::MAX));
            defaults.push(summary.default_version);
            names.push(summary.name);
            problems.push(summary.problem);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(names)),
            Arc::new(StringArray::from(defaults)),
            Arc::new(Int64Array::from(counts)),
            Arc::new(StringArray::from(aliases)),
            Arc::new(StringArray::from(latest)),
            timestamps(latest_at.iter().map(Option::as_deref)),
            Arc::new(StringArray::from(problems)),
        ];
        Ok(vec![RecordBatch::try_new(self.schema(), columns)?])
    }
}
