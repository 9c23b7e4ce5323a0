//! `firn.model_versions`: one row per published model version, with its
//! pointers, signature, parameters, metrics and provenance.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;

use super::SystemTable;
use super::columns::{
    number_map, number_map_type, text_map, text_map_type, timestamp_field, timestamps,
};
use crate::registry::{Manifest, Registry, SignatureKind};

/// The `firn.model_versions` table.
#[derive(Debug)]
pub struct ModelVersionsTable {
    registry: Registry,
}

impl ModelVersionsTable {
    /// The versions of every model of `registry`.
    pub fn new(registry: Registry) -> Self {
        Self { registry }
    }
}

/// `name TYPE, …` of a version's features, as `predict` expects them.
fn feature_list(manifest: &Manifest) -> String {
    manifest
        .signature
        .iter()
        .map(|f| match f.kind {
            SignatureKind::Numeric => format!("{} DOUBLE", f.name),
            SignatureKind::Categorical => format!("{} VARCHAR", f.name),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait]
impl SystemTable for ModelVersionsTable {
    fn name(&self) -> &'static str {
        "model_versions"
    }

    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("model", DataType::Utf8, false),
            Field::new("version", DataType::Utf8, false),
            Field::new("is_default", DataType::Boolean, false),
            Field::new("aliases", DataType::Utf8, true),
            timestamp_field("created_at"),
            Field::new("comment", DataType::Utf8, true),
            Field::new("objective", DataType::Utf8, false),
            Field::new("label", DataType::Utf8, true),
            Field::new("features", DataType::Utf8, false),
            Field::new("params", text_map_type(), true),
            Field::new("metrics", number_map_type(), true),
            Field::new("trainer", DataType::Utf8, false),
            Field::new("training_data_fingerprint", DataType::Utf8, false),
            Field::new("run_id", DataType::Utf8, true),
            Field::new("lineage", DataType::Utf8, true),
        ]))
    }

    async fn batches(&self) -> Result<Vec<RecordBatch>> {
        let mut rows: Vec<(Manifest, bool, Option<String>)> = Vec::new();
        for summary in self.registry.list_models().await? {
            if summary.versions == 0 {
                continue; // damaged: `firn.models` says how
            }
            let pointers = self.registry.pointers(&summary.name).await?;
            for manifest in self.registry.list_versions(&summary.name).await? {
                let is_default = pointers.default.as_deref() == Some(manifest.version.as_str());
                let aliases = pointers.aliases_of(&manifest.version);
                let aliases = (!aliases.is_empty()).then(|| aliases.join(", "));
                rows.push((manifest, is_default, aliases));
            }
        }
        let text = |f: &dyn Fn(&Manifest) -> Option<String>| -> ArrayRef {
            Arc::new(StringArray::from(
                rows.iter().map(|(m, _, _)| f(m)).collect::<Vec<_>>(),
            ))
        };
        let columns: Vec<ArrayRef> = vec![
            text(&|m| Some(m.name.clone())),
            text(&|m| Some(m.version.clone())),
            Arc::new(BooleanArray::from(
                rows.iter().map(|(_, d, _)| *d).collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                rows.iter().map(|(_, _, a)| a.clone()).collect::<Vec<_>>(),
            )),
            timestamps(rows.iter().map(|(m, _, _)| Some(m.created_at.as_str()))),
            text(&|m| m.comment.clone()),
            text(&|m| Some(m.objective.clone())),
            text(&|m| m.label.clone()),
            text(&|m| Some(feature_list(m))),
            text_map(rows.iter().map(|(m, _, _)| m.params.as_slice())),
            number_map(rows.iter().map(|(m, _, _)| m.metrics.as_slice())),
            text(&|m| Some(m.trainer.clone())),
            text(&|m| Some(m.training_data_fingerprint.clone())),
            text(&|m| m.run_id.clone()),
            text(&|m| (!m.lineage.is_empty()).then(|| m.lineage.join("; "))),
        ];
        Ok(vec![RecordBatch::try_new(self.schema(), columns)?])
    }
}
