//! `SELECT * FROM predict('m[@v]', 'table or query' [, threshold])`: scoring a
//! whole table by name, as BigQuery ML's `ML.PREDICT(MODEL m, TABLE t)` does.
//! The data's columns pass through; the model's features are found among them
//! by name (exact, else the one match ignoring case), with the same checks as
//! the scalar form; added are `prediction` (the probability for a classifier,
//! the value for a regressor), `predicted_label` for a classifier (1 when the
//! probability is at least the threshold, default 0.5) and `model_version`,
//! the version that scored the rows (`'m@v3'`, pinned when the query is planned).
//!
//! The result is a plain projection over the data's plan calling the scalar
//! `predict` and `predict_label`, so it runs wherever they run (a cluster too).

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Column, Result, plan_datafusion_err, plan_err};
use datafusion::datasource::{TableProvider, ViewTable};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, lit};
use firnml_udfs::model::Objective;

use crate::functions::args::number_arg;
use crate::functions::models::data::{check_columns, column_index, model_and_data, plan_data};
use crate::scoring::resolver::RegistryResolver;

const USAGE: &str = "predict(model VARCHAR, data VARCHAR [, threshold DOUBLE])";

/// The columns the table form adds.
const ADDED: [&str; 3] = ["prediction", "predicted_label", "model_version"];

/// The table form of `predict`.
#[derive(Debug)]
pub struct PredictTable {
    resolver: Arc<RegistryResolver>,
}

impl PredictTable {
    /// `predict(…)` as a table function over the models `resolver` loads.
    pub fn new(resolver: Arc<RegistryResolver>) -> Self {
        Self { resolver }
    }
}

impl TableFunctionImpl for PredictTable {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        let (model, data) = model_and_data(&self.resolver, exprs, ("predict", USAGE), (2, 3))?;
        let classifier = model.model.ensemble.objective() == Objective::BinaryLogistic;
        let threshold = match (exprs.len(), number_arg(exprs, 2)) {
            (2, _) => 0.5,
            (_, Some(t)) if (0.0..=1.0).contains(&t) && classifier => t,
            (_, Some(_)) if !classifier => {
                return plan_err!(
                    "predict: '{}' is a regressor, so it takes no threshold; expected predict(model VARCHAR, data VARCHAR)",
                    model.model.reference
                );
            }
            _ => return plan_err!("argument 3 must be a threshold in [0, 1]; expected {USAGE}"),
        };
        let (state, plan) = plan_data(args.session(), &data, "predict")?;
        let schema = Arc::clone(plan.schema().inner());
        check_columns(&schema, &model, None, "predict")?;
        for added in ADDED {
            if column_index(&schema, added).is_some() {
                return plan_err!(
                    "predict: the data already has a column '{added}', which the table form adds; \
                     rename it in the query (… AS {added}_in) or call the scalar predict('{}', …)",
                    model.model.reference
                );
            }
        }
        let reference = model.model.reference.clone();
        let mut call = vec![lit(reference.clone())];
        for feature in model.model.ensemble.features() {
            let index = column_index(&schema, &feature.name).ok_or_else(|| {
                plan_datafusion_err!("predict: the data has no column '{}'", feature.name)
            })?;
            call.push(Expr::Column(Column::from(
                plan.schema().qualified_field(index),
            )));
        }
        let mut columns: Vec<Expr> = (0..schema.fields().len())
            .map(|i| Expr::Column(Column::from(plan.schema().qualified_field(i))))
            .collect();
        columns.push(state.udf("predict")?.call(call.clone()).alias(ADDED[0]));
        if classifier {
            call.push(lit(threshold));
            columns.push(state.udf("predict_label")?.call(call).alias(ADDED[1]));
        }
        columns.push(lit(reference).alias(ADDED[2]));
        let scored = LogicalPlanBuilder::from(plan).project(columns)?.build()?;
        Ok(Arc::new(ViewTable::new(scored, None)))
    }
}
