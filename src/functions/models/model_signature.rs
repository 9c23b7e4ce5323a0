//! `model_signature('m[@v]')`: the features a model version expects, in the
//! order `predict(…)` takes them — one row per feature with its position, name,
//! kind, the SQL type to pass and, for a categorical feature, the categories
//! seen in training. A BI tool or a notebook asks this before scoring.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::{MemTable, TableProvider};

use crate::functions::args::model_arg;
use crate::registry::SignatureKind;
use crate::scoring::resolver::RegistryResolver;

const USAGE: &str = "model_signature(model VARCHAR)";

/// The `model_signature` table function.
#[derive(Debug)]
pub struct ModelSignature {
    resolver: Arc<RegistryResolver>,
}

impl ModelSignature {
    /// `model_signature` over the models `resolver` loads.
    pub fn new(resolver: Arc<RegistryResolver>) -> Self {
        Self { resolver }
    }
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("model", DataType::Utf8, false),
        Field::new("version", DataType::Utf8, false),
        Field::new("position", DataType::Int64, false),
        Field::new("feature", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("sql_type", DataType::Utf8, false),
        Field::new("categories", DataType::Utf8, true),
    ]))
}

impl TableFunctionImpl for ModelSignature {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if exprs.len() != 1 {
            return plan_err!(
                "model_signature takes 1 argument, got {}; expected {USAGE}",
                exprs.len()
            );
        }
        let model = model_arg(&self.resolver, exprs, 0, USAGE)?;
        let manifest = &model.manifest;
        let features = &manifest.signature;
        let (kinds, types): (Vec<&str>, Vec<&str>) = features
            .iter()
            .map(|f| match f.kind {
                SignatureKind::Numeric => ("numeric", "DOUBLE"),
                SignatureKind::Categorical => ("categorical", "VARCHAR"),
            })
            .unzip();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec![
                manifest.name.as_str();
                features.len()
            ])),
            Arc::new(StringArray::from(vec![
                manifest.version.as_str();
                features.len()
            ])),
            Arc::new(Int64Array::from_iter_values(
                (1..=features.len()).map(|p| p as i64),
            )),
            Arc::new(StringArray::from_iter_values(
                features.iter().map(|f| f.name.as_str()),
            )),
            Arc::new(StringArray::from(kinds)),
            Arc::new(StringArray::from(types)),
            Arc::new(StringArray::from_iter(features.iter().map(|f| {
                (f.kind == SignatureKind::Categorical).then(|| f.categories.join(", "))
            }))),
        ];
        let batch = RecordBatch::try_new(schema(), columns)?;
        Ok(Arc::new(MemTable::try_new(schema(), vec![vec![batch]])?))
    }
}
