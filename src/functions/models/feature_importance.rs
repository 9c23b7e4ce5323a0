//! `feature_importance(model [, data])`: how much each feature matters — the
//! split statistics XGBoost reports (`gain`, `weight`, `cover`, `total_gain`,
//! `total_cover`) and, when data is given (a query or table name), the mean
//! absolute SHAP value over its rows (`mean_abs_shap`; NULL without data).
//! Ordered by mean |SHAP| when there is data, else by gain.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::TableProvider;
use firnml_udfs::model::{importance, mean_abs_shap};

use crate::functions::args::{model_arg, string_arg};
use crate::functions::models::data::{check_columns, count, plan_data, score};
use crate::query::deferred::DeferredTable;
use crate::scoring::resolver::RegistryResolver;

const USAGE: &str = "feature_importance(model VARCHAR [, data VARCHAR])";

/// The `feature_importance` table function.
#[derive(Debug)]
pub struct FeatureImportanceFunction {
    resolver: Arc<RegistryResolver>,
}

impl FeatureImportanceFunction {
    /// `feature_importance` over the models `resolver` loads.
    pub fn new(resolver: Arc<RegistryResolver>) -> Self {
        Self { resolver }
    }
}

fn output_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("feature", DataType::Utf8, false),
        Field::new("gain", DataType::Float64, false),
        Field::new("weight", DataType::Int64, false),
        Field::new("cover", DataType::Float64, false),
        Field::new("total_gain", DataType::Float64, false),
        Field::new("total_cover", DataType::Float64, false),
        Field::new("mean_abs_shap", DataType::Float64, true),
    ]))
}

impl TableFunctionImpl for FeatureImportanceFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if exprs.is_empty() || exprs.len() > 2 {
            return plan_err!(
                "feature_importance takes 1 or 2 arguments, got {}; expected {USAGE}",
                exprs.len()
            );
        }
        let model = model_arg(&self.resolver, exprs, 0, USAGE)?;
        let input = match exprs.len() {
            2 => {
                let Some(data) = string_arg(exprs, 1) else {
                    return plan_err!(
                        "argument 2 must be a query or table name as a string; expected {USAGE}"
                    );
                };
                let (_, plan) = plan_data(args.session(), &data, "feature_importance")?;
                check_columns(plan.schema().inner(), &model, None, "feature_importance")?;
                Some(plan)
            }
            _ => None,
        };
        let input_schema = input.as_ref().map(|p| Arc::clone(p.schema().inner()));
        let schema = output_schema();
        let out_schema = Arc::clone(&schema);
        let work = Arc::new(move |batches: Vec<RecordBatch>| {
            let (model, schema, input_schema) =
                (model.clone(), Arc::clone(&out_schema), input_schema.clone());
            Box::pin(async move {
                let ensemble = &model.model.ensemble;
                let mut stats = importance(ensemble);
                let shap: Option<Vec<f64>> = match &input_schema {
                    Some(input_schema) => {
                        let scored = score(&batches, input_schema, &model)?;
                        let slices: Vec<&[f64]> = scored.columns.iter().map(|c| &c[..]).collect();
                        Some(mean_abs_shap(ensemble, &slices))
                    }
                    None => None,
                };
                let mut order: Vec<usize> = (0..stats.len()).collect();
                match &shap {
                    Some(s) => order.sort_by(|&a, &b| s[b].total_cmp(&s[a]).then(a.cmp(&b))),
                    None => order
                        .sort_by(|&a, &b| stats[b].gain.total_cmp(&stats[a].gain).then(a.cmp(&b))),
                }
                let rows: Vec<_> = order
                    .iter()
                    .map(|&i| {
                        (
                            std::mem::take(&mut stats[i].feature),
                            stats[i].clone(),
                            shap.as_ref().map(|s| s[i]),
                        )
                    })
                    .collect();
                let columns: Vec<ArrayRef> = vec![
                    Arc::new(StringArray::from_iter_values(
                        rows.iter().map(|r| r.0.as_str()),
                    )),
                    Arc::new(Float64Array::from_iter_values(
                        rows.iter().map(|r| r.1.gain),
                    )),
                    Arc::new(Int64Array::from_iter_values(
                        rows.iter().map(|r| count(r.1.weight)),
                    )),
                    Arc::new(Float64Array::from_iter_values(
                        rows.iter().map(|r| r.1.cover),
                    )),
                    Arc::new(Float64Array::from_iter_values(
                        rows.iter().map(|r| r.1.total_gain),
                    )),
                    Arc::new(Float64Array::from_iter_values(
                        rows.iter().map(|r| r.1.total_cover),
                    )),
                    Arc::new(Float64Array::from(
                        rows.iter().map(|r| r.2).collect::<Vec<_>>(),
                    )),
                ];
                Ok(vec![RecordBatch::try_new(schema, columns)?])
            }) as _
        });
        Ok(Arc::new(DeferredTable::new(
            "feature_importance",
            schema,
            input,
            work,
        )))
    }
}
