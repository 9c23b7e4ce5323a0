//! `explain_predict(model, data [, top_k])`: why the model scores each row as
//! it does — exact TreeSHAP contributions in long format, one row per input
//! row and feature, the largest contribution first.
//!
//! Columns: the data's own columns that are not features of the model (so a
//! key such as `customer_id` identifies the row), `row_number` (1-based, in the
//! data's order), `prediction` (probability for a classifier, value for a
//! regressor), `base_value` (the margin of an average row), `rank` (1 = the
//! largest |shap| of the row), `feature`, `value` (the input as text) and
//! `shap`. Contributions are in margin space (log-odds for a classifier): a
//! row's `base_value` plus the sum of its `shap` values is its margin.
//! `top_k` keeps each row's `top_k` largest contributions.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray, UInt32Array,
};
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::TableProvider;
use firnml_udfs::model::ShapForest;

use crate::functions::args::number_arg;
use crate::functions::models::data::{
    check_columns, column_index, display_values, model_and_data, plan_data, score,
};
use crate::query::deferred::DeferredTable;
use crate::scoring::resolver::RegistryResolver;

const USAGE: &str = "explain_predict(model VARCHAR, data VARCHAR [, top_k INT])";

/// The `explain_predict` table function.
#[derive(Debug)]
pub struct ExplainPredict {
    resolver: Arc<RegistryResolver>,
}

impl ExplainPredict {
    /// `explain_predict` over the models `resolver` loads.
    pub fn new(resolver: Arc<RegistryResolver>) -> Self {
        Self { resolver }
    }
}

impl TableFunctionImpl for ExplainPredict {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        let (model, data) =
            model_and_data(&self.resolver, exprs, ("explain_predict", USAGE), (2, 3))?;
        let features = model.model.ensemble.features().len();
        let top_k = match exprs.len() {
            3 => match number_arg(exprs, 2) {
                Some(k) if k >= 1.0 && k.fract() == 0.0 => (k as usize).min(features),
                _ => {
                    return plan_err!(
                        "argument 3 (top_k) must be a positive integer; expected {USAGE}"
                    );
                }
            },
            _ => features,
        };
        let (_, plan) = plan_data(args.session(), &data, "explain_predict")?;
        let input_schema: SchemaRef = Arc::clone(plan.schema().inner());
        check_columns(&input_schema, &model, None, "explain_predict")?;
        // The data's columns that are not features identify the rows.
        let feature_columns: Vec<usize> = model
            .model
            .ensemble
            .features()
            .iter()
            .filter_map(|spec| column_index(&input_schema, &spec.name))
            .collect();
        let keys: Vec<usize> = (0..input_schema.fields().len())
            .filter(|i| !feature_columns.contains(i))
            .collect();
        let mut fields: Vec<Field> = keys
            .iter()
            .map(|&i| input_schema.field(i).clone().with_nullable(true))
            .collect();
        for name in [
            "row_number",
            "prediction",
            "base_value",
            "rank",
            "feature",
            "value",
            "shap",
        ] {
            if fields.iter().any(|f| f.name() == name) {
                return plan_err!(
                    "explain_predict: the data has a column '{name}', which the output uses; rename it"
                );
            }
        }
        fields.extend([
            Field::new("row_number", DataType::Int64, false),
            Field::new("prediction", DataType::Float64, false),
            Field::new("base_value", DataType::Float64, false),
            Field::new("rank", DataType::Int32, false),
            Field::new("feature", DataType::Utf8, false),
            Field::new("value", DataType::Utf8, true),
            Field::new("shap", DataType::Float64, false),
        ]);
        let schema = Arc::new(Schema::new(fields));
        let out_schema = Arc::clone(&schema);
        let work = Arc::new(move |batches: Vec<RecordBatch>| {
            let (model, schema, input_schema, keys) = (
                model.clone(),
                Arc::clone(&out_schema),
                Arc::clone(&input_schema),
                keys.clone(),
            );
            Box::pin(async move {
                let scored = score(&batches, &input_schema, &model)?;
                let forest = ShapForest::new(&model.model.ensemble);
                let slices: Vec<&[f64]> = scored.columns.iter().map(|c| &c[..]).collect();
                let shap = forest.shap_values(&slices);
                let width = features + 1;
                let names: Vec<&str> = model
                    .model
                    .ensemble
                    .features()
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect();
                let values: Vec<Vec<Option<String>>> = scored
                    .inputs
                    .iter()
                    .map(display_values)
                    .collect::<Result<_>>()?;
                let rows = scored.batch.num_rows();
                let mut source_row = Vec::with_capacity(rows * top_k);
                let (mut ranks, mut feature, mut value, mut contribution) =
                    (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                for row in 0..rows {
                    let contributions = &shap[row * width..row * width + features];
                    let mut order: Vec<usize> = (0..features).collect();
                    // Largest |shap| first; ties keep the model's feature order.
                    order.sort_by(|&a, &b| {
                        contributions[b]
                            .abs()
                            .total_cmp(&contributions[a].abs())
                            .then(a.cmp(&b))
                    });
                    for (rank, &f) in order.iter().take(top_k).enumerate() {
                        source_row.push(row as u32);
                        ranks.push(rank as i32 + 1);
                        feature.push(names[f]);
                        value.push(values[f][row].clone());
                        contribution.push(contributions[f]);
                    }
                }
                let indices = UInt32Array::from(source_row);
                let mut columns: Vec<ArrayRef> = keys
                    .iter()
                    .map(|&k| take(scored.batch.column(k), &indices, None))
                    .collect::<std::result::Result<_, _>>()?;
                let at = |row: &u32| *row as usize;
                columns.push(Arc::new(Int64Array::from_iter_values(
                    indices.values().iter().map(|r| at(r) as i64 + 1),
                )));
                columns.push(Arc::new(Float64Array::from_iter_values(
                    indices.values().iter().map(|r| scored.predictions[at(r)]),
                )));
                columns.push(Arc::new(Float64Array::from_iter_values(
                    indices.values().iter().map(|_| forest.expected_value()),
                )));
                columns.push(Arc::new(Int32Array::from(ranks)));
                columns.push(Arc::new(StringArray::from(feature)));
                columns.push(Arc::new(StringArray::from(value)));
                columns.push(Arc::new(Float64Array::from(contribution)));
                Ok(vec![RecordBatch::try_new(schema, columns)?])
            }) as _
        });
        Ok(Arc::new(DeferredTable::new(
            "explain_predict",
            schema,
            Some(plan),
            work,
        )))
    }
}
