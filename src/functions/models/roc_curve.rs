//! `roc_curve(model, data [, label])`: the ROC curve of a classifier over a
//! query's rows — one row per distinct score, from the strictest threshold
//! down, with the recall (true-positive rate), false-positive rate and the
//! confusion counts at that threshold (BigQuery ML's `ML.ROC_CURVE` columns).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::TableProvider;
use firnml_udfs::metrics::roc_curve;

use crate::functions::args::string_arg;
use crate::functions::models::data::{
    Scored, classifier_only, count, label_name, labelled_scores_table, model_and_data,
};
use crate::scoring::resolver::RegistryResolver;

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

/// The curve's columns from the scored rows and their 0/1 labels.
fn curve_columns(scored: &Scored, truth: &[f64]) -> Result<Vec<ArrayRef>> {
    let positives = truth.iter().filter(|&&l| l == 1.0).count() as f64;
    let negatives = truth.len() as f64 - positives;
    let points = roc_curve(&scored.predictions, truth)?.unwrap_or_default();
    // The first point (+inf: nothing predicted positive) is not a usable threshold.
    let points: Vec<_> = points
        .into_iter()
        .filter(|p| p.threshold.is_finite())
        .collect();
    // Rates times class sizes are exact counts (well below 2^52 rows).
    let tp: Vec<i64> = points
        .iter()
        .map(|p| count((p.tpr * positives).round() as u64))
        .collect();
    let fp: Vec<i64> = points
        .iter()
        .map(|p| count((p.fpr * negatives).round() as u64))
        .collect();
    Ok(vec![
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
    ])
}

impl TableFunctionImpl for RocCurve {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        let (model, data) = model_and_data(&self.resolver, exprs, ("roc_curve", USAGE), (2, 3))?;
        classifier_only(&model, "roc_curve")?;
        let label = string_arg(exprs, 2);
        if exprs.len() == 3 && label.is_none() {
            return plan_err!("argument 3 must be the label column's name; expected {USAGE}");
        }
        let label = label_name(&model, label, "roc_curve")?;
        labelled_scores_table(
            args.session(),
            (model, data, label),
            "roc_curve",
            output_schema(),
            Arc::new(curve_columns),
        )
    }
}
