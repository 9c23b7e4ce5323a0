//! `roc_curve(model, data [, label])`: the ROC curve of a classifier over a
//! query's rows — one row per distinct score, from the strictest threshold
//! down, with the recall (true-positive rate), false-positive rate and the
//! confusion counts at that threshold (BigQuery ML's `ML.ROC_CURVE` columns).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::TableProvider;
use firnml_udfs::metrics::roc_curve;
use firnml_udfs::model::Objective;

use crate::functions::deferred::DeferredTable;
use crate::functions::model_data::{
    check_columns, count, label_name, labels, model_arg, plan_data, score, string_arg,
};
use crate::functions::model_resolver::RegistryResolver;

const USAGE: &str = "roc_curve(model VARCHAR, data VARCHAR [, label VARCHAR])";

/// The `roc_curve` table function.
#[derive(Debug)]
pub struct RocCurve {
    resolver: Arc<RegistryResolver>,
}

impl RocCurve {
    /// `roc_curve` over the models `resolver` loads.
    pub fn new(resolver: Arc<RegistryResolver>) -> Self {
        Self { resolver }
    }
}

fn output_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("threshold", DataType::Float64, false),
        Field::new("recall", DataType::Float64, false),
        Field::new("false_positive_rate", DataType::Float64, false),
        Field::new("true_positives", DataType::Int64, false),
        Field::new("false_positives", DataType::Int64, false),
        Field::new("true_negatives", DataType::Int64, false),
        Field::new("false_negatives", DataType::Int64, false),
    ]))
}

impl TableFunctionImpl for RocCurve {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if exprs.len() < 2 || exprs.len() > 3 {
            return plan_err!(
                "roc_curve takes 2 or 3 arguments, got {}; expected {USAGE}",
                exprs.len()
            );
        }
        let model = model_arg(&self.resolver, exprs, 0, USAGE)?;
        if model.model.ensemble.objective() != Objective::BinaryLogistic {
            return plan_err!(
                "roc_curve needs a classifier; '{}' is a regressor",
                model.model.reference
            );
        }
        let (Some(data), label) = (string_arg(exprs, 1), string_arg(exprs, 2)) else {
            return plan_err!(
                "argument 2 must be a query or table name as a string; expected {USAGE}"
            );
        };
        if exprs.len() == 3 && label.is_none() {
            return plan_err!("argument 3 must be the label column's name; expected {USAGE}");
        }
        let label = label_name(&model, label, "roc_curve")?;
        let (_, plan) = plan_data(args.session(), &data, "roc_curve")?;
        let input_schema: SchemaRef = Arc::clone(plan.schema().inner());
        check_columns(&input_schema, &model, Some(&label), "roc_curve")?;
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
                    "roc_curve",
                )?;
                let positives = truth.iter().filter(|&&l| l == 1.0).count() as f64;
                let negatives = truth.len() as f64 - positives;
                let points = roc_curve(&scored.predictions, &truth)?.unwrap_or_default();
                // The first point (+inf: nothing predicted positive) is not a usable threshold.
                let points: Vec<_> = points
                    .into_iter()
                    .filter(|p| p.threshold.is_finite())
                    .collect();
                let tp: Vec<i64> = points
                    .iter()
                    .map(|p| count((p.tpr * positives).round() as u64))
                    .collect();
                let fp: Vec<i64> = points
                    .iter()
                    .map(|p| count((p.fpr * negatives).round() as u64))
                    .collect();
                let columns: Vec<ArrayRef> = vec![
                    Arc::new(Float64Array::from_iter_values(
                        points.iter().map(|p| p.threshold),
                    )),
                    Arc::new(Float64Array::from_iter_values(points.iter().map(|p| p.tpr))),
                    Arc::new(Float64Array::from_iter_values(points.iter().map(|p| p.fpr))),
                    Arc::new(Int64Array::from(tp.clone())),
                    Arc::new(Int64Array::from(fp.clone())),
                    Arc::new(Int64Array::from_iter_values(
                        fp.iter().map(|f| negatives as i64 - f),
                    )),
                    Arc::new(Int64Array::from_iter_values(
                        tp.iter().map(|t| positives as i64 - t),
                    )),
                ];
                Ok(vec![RecordBatch::try_new(schema, columns)?])
            }) as _
        });
        Ok(Arc::new(DeferredTable::new(
            "roc_curve",
            schema,
            Some(plan),
            work,
        )))
    }
}
