//! `evaluate(model, data [, threshold] [, label])`: a model's metrics over a
//! query's rows (or a table's) — one row with the row count and every metric
//! a held-out evaluation reports: for a classifier accuracy, precision,
//! recall, f1, roc_auc, pr_auc, log_loss and the confusion counts tp, fp, tn,
//! fn at the threshold (default: the one the model was evaluated with at
//! training, else 0.5); for a regressor rmse, mae and r2. The label column is
//! the one the model was trained on unless named.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::TableProvider;
use firnml_udfs::model::Objective;

use crate::functions::args::{number_arg, string_arg};
use crate::functions::models::data::{
    Scored, count, label_name, labelled_scores_table, model_and_data,
};
use crate::ml::metric::evaluate;
use crate::scoring::resolver::RegistryResolver;

const USAGE: &str = "evaluate(model VARCHAR, data VARCHAR [, threshold DOUBLE] [, label VARCHAR])";

/// The optional trailing arguments of the evaluation functions: a number is
/// the threshold, a string the label column.
pub(crate) fn options(
    args: &[datafusion::logical_expr::Expr],
    from: usize,
    usage: &str,
) -> Result<(Option<f64>, Option<String>)> {
    let (mut threshold, mut label) = (None, None);
    for index in from..args.len() {
        if let Some(t) = number_arg(args, index) {
            if !(0.0..=1.0).contains(&t) || threshold.is_some() {
                return plan_err!(
                    "argument {} must be one threshold in [0, 1]; expected {usage}",
                    index + 1
                );
            }
            threshold = Some(t);
        } else if let Some(name) = string_arg(args, index) {
            if label.is_some() {
                return plan_err!(
                    "argument {} repeats the label column; expected {usage}",
                    index + 1
                );
            }
            label = Some(name);
        } else {
            return plan_err!(
                "argument {} must be a constant threshold or label column name; expected {usage}",
                index + 1
            );
        }
    }
    Ok((threshold, label))
}

/// The `evaluate` table function.
#[derive(Debug)]
pub struct Evaluate {
    resolver: Arc<RegistryResolver>,
}

impl Evaluate {
    /// `evaluate` over the models `resolver` loads.
    pub fn new(resolver: Arc<RegistryResolver>) -> Self {
        Self { resolver }
    }
}

fn output_schema(objective: Objective) -> SchemaRef {
    let mut fields = vec![Field::new("rows", DataType::Int64, false)];
    match objective {
        Objective::BinaryLogistic => {
            fields.push(Field::new("threshold", DataType::Float64, false));
            for name in [
                "accuracy",
                "precision",
                "recall",
                "f1",
                "roc_auc",
                "pr_auc",
                "log_loss",
            ] {
                fields.push(Field::new(name, DataType::Float64, true));
            }
            for name in ["tp", "fp", "tn", "fn"] {
                fields.push(Field::new(name, DataType::Int64, false));
            }
        }
        Objective::SquaredError => {
            for name in ["rmse", "mae", "r2"] {
                fields.push(Field::new(name, DataType::Float64, true));
            }
        }
    }
    Arc::new(Schema::new(fields))
}

impl TableFunctionImpl for Evaluate {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        let (model, data) = model_and_data(&self.resolver, exprs, ("evaluate", USAGE), (2, 4))?;
        let (threshold, label) = options(exprs, 2, USAGE)?;
        let objective = model.model.ensemble.objective();
        if objective == Objective::SquaredError && threshold.is_some() {
            return plan_err!(
                "evaluate: a threshold applies to classifiers; '{}' is a regressor",
                model.model.reference
            );
        }
        let threshold = threshold
            .or_else(|| model.manifest.split.map(|s| s.threshold))
            .unwrap_or(0.5);
        let label = label_name(&model, label, "evaluate")?;
        let schema = output_schema(objective);
        let fields = Arc::clone(&schema);
        let compute = Arc::new(move |scored: &Scored, truth: &[f64]| {
            let metrics = evaluate(objective, &scored.predictions, truth, threshold)?;
            let mut columns: Vec<ArrayRef> =
                vec![Arc::new(Int64Array::from(vec![count(truth.len() as u64)]))];
            if objective == Objective::BinaryLogistic {
                columns.push(Arc::new(Float64Array::from(vec![threshold])));
            }
            for field in fields.fields().iter().skip(columns.len()) {
                let value = metrics
                    .iter()
                    .find(|(n, _)| *n == field.name())
                    .map(|(_, v)| *v);
                columns.push(match field.data_type() {
                    DataType::Int64 => {
                        Arc::new(Int64Array::from(vec![value.map_or(0, |v| v as i64)]))
                    }
                    _ => Arc::new(Float64Array::from(vec![value.filter(|v| v.is_finite())])),
                });
            }
            Ok(columns)
        });
        labelled_scores_table(
            args.session(),
            (model, data, label),
            "evaluate",
            schema,
            compute,
        )
    }
}
