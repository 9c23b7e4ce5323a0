//! `describe_model('m[@v]')` and its statement `DESCRIBE MODEL m [VERSION v]`:
//! everything the registry knows of one version, as `(section, name, value)`
//! rows — BigQuery ML's `ML.FEATURE_INFO` and `ML.TRAINING_INFO` in one place:
//! `version` (model, version, created_at, comment, objective, label, trainer,
//! run_id, training_data_fingerprint), one `feature` row per feature in
//! `predict`'s order (kind and SQL type; categories), one `param` row per
//! training parameter, one `metric` row per held-out metric (CV results
//! included, `cv_*`), one `lineage` row per table or feature view the training
//! query read, and the `split` (test fraction, seed, stratified, threshold).

use std::sync::Arc;

use datafusion::arrow::array::{RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::{MemTable, TableProvider};

use crate::functions::args::model_arg;
use crate::registry::{Manifest, SignatureKind};
use crate::scoring::resolver::RegistryResolver;

const USAGE: &str = "describe_model(model VARCHAR)";

/// The `describe_model` table function.
#[derive(Debug)]
pub struct DescribeModel {
    resolver: Arc<RegistryResolver>,
}

impl DescribeModel {
    /// `describe_model` over the models `resolver` loads.
    pub fn new(resolver: Arc<RegistryResolver>) -> Self {
        Self { resolver }
    }
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("section", DataType::Utf8, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, true),
    ]))
}

/// The rows describing `manifest`, in display order.
fn rows(manifest: &Manifest) -> Vec<(&'static str, String, Option<String>)> {
    let mut rows = vec![];
    let mut version =
        |name: &str, value: Option<String>| rows.push(("version", name.to_string(), value));
    version("model", Some(manifest.name.clone()));
    version("version", Some(manifest.version.clone()));
    version("created_at", Some(manifest.created_at.clone()));
    version("comment", manifest.comment.clone());
    version("objective", Some(manifest.objective.clone()));
    version("label", manifest.label.clone());
    version("trainer", Some(manifest.trainer.clone()));
    version("run_id", manifest.run_id.clone());
    version(
        "training_data_fingerprint",
        Some(manifest.training_data_fingerprint.clone()),
    );
    for (position, feature) in manifest.signature.iter().enumerate() {
        let value = match feature.kind {
            SignatureKind::Numeric => format!("{}: numeric (DOUBLE)", position + 1),
            SignatureKind::Categorical => format!(
                "{}: categorical (VARCHAR) — {}",
                position + 1,
                feature.categories.join(", ")
            ),
        };
        rows.push(("feature", feature.name.clone(), Some(value)));
    }
    for (name, value) in &manifest.params {
        rows.push(("param", name.clone(), Some(value.clone())));
    }
    for (name, value) in &manifest.metrics {
        rows.push(("metric", name.clone(), Some(value.to_string())));
    }
    for source in &manifest.lineage {
        rows.push(("lineage", "reads".to_string(), Some(source.clone())));
    }
    if let Some(split) = &manifest.split {
        rows.push((
            "split",
            "test_fraction".into(),
            Some(split.test_fraction.to_string()),
        ));
        rows.push(("split", "seed".into(), Some(split.seed.to_string())));
        rows.push((
            "split",
            "stratified".into(),
            Some(split.stratified.to_string()),
        ));
        rows.push((
            "split",
            "threshold".into(),
            Some(split.threshold.to_string()),
        ));
    }
    rows
}

impl TableFunctionImpl for DescribeModel {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if exprs.len() != 1 {
            return plan_err!(
                "describe_model takes 1 argument, got {}; expected {USAGE}",
                exprs.len()
            );
        }
        let model = model_arg(&self.resolver, exprs, 0, USAGE)?;
        let rows = rows(&model.manifest);
        let columns = vec![
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))) as _,
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.1.as_str()),
            )) as _,
            Arc::new(StringArray::from_iter(rows.iter().map(|r| r.2.as_deref()))) as _,
        ];
        let batch = RecordBatch::try_new(schema(), columns)?;
        Ok(Arc::new(MemTable::try_new(schema(), vec![vec![batch]])?))
    }
}
