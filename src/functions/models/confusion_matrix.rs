//! `confusion_matrix(model, data [, threshold] [, label])`: a classifier's
//! confusion matrix over a query's rows as two rows — actual label 0 and 1 —
//! with the count of rows predicted 0 and predicted 1 (a row is predicted 1
//! when its probability is at least the threshold; default: the one the model
//! was evaluated with at training, else 0.5).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int32Array, Int64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::Result;
use datafusion::datasource::TableProvider;
use firnml_udfs::metrics::ConfusionMatrix;

use crate::functions::models::data::{
    Scored, classifier_only, count, label_name, labelled_scores_table, model_and_data,
};
use crate::functions::models::evaluate::options;
use crate::scoring::resolver::RegistryResolver;

const USAGE: &str =
    "confusion_matrix(model VARCHAR, data VARCHAR [, threshold DOUBLE] [, label VARCHAR])";

/// The `confusion_matrix` table function.
#[derive(Debug)]
pub struct ConfusionMatrixFunction {
    resolver: Arc<RegistryResolver>,
}

impl ConfusionMatrixFunction {
    /// `confusion_matrix` over the models `resolver` loads.
    pub fn new(resolver: Arc<RegistryResolver>) -> Self {
        Self { resolver }
    }
}

fn output_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("actual", DataType::Int32, false),
        Field::new("predicted_0", DataType::Int64, false),
        Field::new("predicted_1", DataType::Int64, false),
    ]))
}

impl TableFunctionImpl for ConfusionMatrixFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        let (model, data) =
            model_and_data(&self.resolver, exprs, ("confusion_matrix", USAGE), (2, 4))?;
        classifier_only(&model, "confusion_matrix")?;
        let (threshold, label) = options(exprs, 2, USAGE)?;
        let threshold = threshold
            .or_else(|| model.manifest.split.map(|s| s.threshold))
            .unwrap_or(0.5);
        let label = label_name(&model, label, "confusion_matrix")?;
        let compute = Arc::new(move |scored: &Scored, truth: &[f64]| {
            let m = ConfusionMatrix::from_scores(&scored.predictions, truth, threshold)?;
            Ok(vec![
                Arc::new(Int32Array::from(vec![0, 1])) as ArrayRef,
                Arc::new(Int64Array::from(vec![count(m.tn), count(m.fn_)])),
                Arc::new(Int64Array::from(vec![count(m.fp), count(m.tp)])),
            ])
        });
        labelled_scores_table(
            args.session(),
            (model, data, label),
            "confusion_matrix",
            output_schema(),
            compute,
        )
    }
}
