//! `confusion_matrix(model, data [, threshold] [, label])`: a classifier's
//! confusion matrix over a query's rows as two rows — actual label 0 and 1 —
//! with the count of rows predicted 0 and predicted 1 (a row is predicted 1
//! when its probability is at least the threshold; default: the one the model
//! was evaluated with at training, else 0.5).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int32Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::TableProvider;
use firnml_udfs::metrics::ConfusionMatrix;
use firnml_udfs::model::Objective;

use crate::functions::deferred::DeferredTable;
use crate::functions::evaluate::options;
use crate::functions::model_data::{
    check_columns, count, label_name, labels, model_arg, plan_data, score, string_arg,
};
use crate::functions::model_resolver::RegistryResolver;

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
        if exprs.len() < 2 || exprs.len() > 4 {
            return plan_err!(
                "confusion_matrix takes 2 to 4 arguments, got {}; expected {USAGE}",
                exprs.len()
            );
        }
        let model = model_arg(&self.resolver, exprs, 0, USAGE)?;
        if model.model.ensemble.objective() != Objective::BinaryLogistic {
            return plan_err!(
                "confusion_matrix needs a classifier; '{}' is a regressor",
                model.model.reference
            );
        }
        let Some(data) = string_arg(exprs, 1) else {
            return plan_err!(
                "argument 2 must be a query or table name as a string; expected {USAGE}"
            );
        };
        let (threshold, label) = options(exprs, 2, USAGE)?;
        let threshold = threshold
            .or_else(|| model.manifest.split.map(|s| s.threshold))
            .unwrap_or(0.5);
        let label = label_name(&model, label, "confusion_matrix")?;
        let (_, plan) = plan_data(args.session(), &data, "confusion_matrix")?;
        let input_schema: SchemaRef = Arc::clone(plan.schema().inner());
        check_columns(&input_schema, &model, Some(&label), "confusion_matrix")?;
        let schema = output_schema();
        let out_schema = Arc::clone(&schema);
        let work = Arc::new(move |batches: Vec<RecordBatch>| {
            let (model, label, schema, input_schema) = (
                model.clone(),
                label.clone(),
                Arc::clone(&out_schema),
                Arc::clone(&input_schema),
            );
            Box::pin(async move {
                let scored = score(&batches, &input_schema, &model)?;
                let truth = labels(
                    &scored.batch,
                    &label,
                    Objective::BinaryLogistic,
                    "confusion_matrix",
                )?;
                let m = ConfusionMatrix::from_scores(&scored.predictions, &truth, threshold)?;
                let columns: Vec<ArrayRef> = vec![
                    Arc::new(Int32Array::from(vec![0, 1])),
                    Arc::new(Int64Array::from(vec![count(m.tn), count(m.fn_)])),
                    Arc::new(Int64Array::from(vec![count(m.fp), count(m.tp)])),
                ];
                Ok(vec![RecordBatch::try_new(schema, columns)?])
            }) as _
        });
        Ok(Arc::new(DeferredTable::new(
            "confusion_matrix",
            schema,
            Some(plan),
            work,
        )))
    }
}
