//! `train_model(name, data, option, value, …)`: `CREATE MODEL` as a table
//! function, for clients that can only send queries.
//!
//! ```sql
//! SELECT * FROM train_model('churn', 'SELECT * FROM training_dataset',
//!                           'type', 'gbdt_classifier', 'label', 'is_churned',
//!                           'exclude', 'customer_id', 'max_depth', 5, 'version', 'v3');
//! ```
//!
//! `data` is a query or a table name; the options are `CREATE MODEL`'s, as
//! name/value pairs, plus `version`. It runs the statement's own code and
//! returns the statement's row; training happens when the query runs.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::datasource::TableProvider;
use datafusion::logical_expr::Expr;

use crate::functions::args::string_arg;
use crate::functions::models::data::plan_data;
use crate::modeling::{ModelOptions, ModelRequest, Modeling, cv_metric, output_schema};
use crate::query::deferred::DeferredTable;

const USAGE: &str = "train_model(name VARCHAR, data VARCHAR, option VARCHAR, value, …)";

/// The `train_model` table function.
#[derive(Debug)]
pub struct TrainModel {
    modeling: Modeling,
}

impl TrainModel {
    /// `train_model` training and publishing through `modeling`.
    pub fn new(modeling: Modeling) -> Self {
        Self { modeling }
    }
}

/// An option's value as `OPTIONS (…)` would read it.
fn option_value(arg: &Expr) -> Option<String> {
    match arg {
        Expr::Literal(value, _) if !value.is_null() => Some(match value {
            ScalarValue::Utf8(Some(s))
            | ScalarValue::Utf8View(Some(s))
            | ScalarValue::LargeUtf8(Some(s)) => s.clone(),
            other => other.to_string(),
        }),
        _ => None,
    }
}

impl TableFunctionImpl for TrainModel {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if exprs.len() < 2 || exprs.len() % 2 != 0 {
            return plan_err!(
                "train_model takes a name, the data, then option/value pairs; got {} arguments; expected {USAGE}",
                exprs.len()
            );
        }
        let (Some(name), Some(data)) = (string_arg(exprs, 0), string_arg(exprs, 1)) else {
            return plan_err!(
                "the model's name and the data must be constant strings; expected {USAGE}"
            );
        };
        let mut version = None;
        let mut options: Vec<(String, String)> = Vec::new();
        for pair in exprs[2..].chunks(2) {
            let (Some(key), Some(value)) = (string_arg(pair, 0), option_value(&pair[1])) else {
                return plan_err!(
                    "train_model options are constant name/value pairs; expected {USAGE}"
                );
            };
            let key = key.trim().to_ascii_lowercase();
            if options.iter().any(|(k, _)| *k == key) || (key == "version" && version.is_some()) {
                return plan_err!("option {key} is given more than once");
            }
            if key == "version" {
                version = Some(value);
            } else {
                options.push((key, value));
            }
        }
        let (state, plan) = plan_data(args.session(), &data, "train_model")?;
        let columns: Vec<String> = plan
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        // The result's columns; the entity keys matter to training only.
        let parsed = ModelOptions::parse(&options, &columns, &[])?;
        let schema = output_schema(
            parsed.objective,
            cv_metric(&parsed),
            parsed.search.is_some(),
        );
        let request = ModelRequest {
            name,
            version,
            options,
            query: data,
        };
        let modeling = self.modeling.clone();
        let work = Arc::new(move |_rows: Vec<RecordBatch>| {
            let (modeling, state, request, plan) = (
                modeling.clone(),
                state.clone(),
                request.clone(),
                plan.clone(),
            );
            Box::pin(async move {
                let row = modeling.train_and_register(&state, request, plan).await?;
                Ok(vec![row])
            }) as _
        });
        Ok(Arc::new(DeferredTable::new(
            "train_model",
            schema,
            None,
            work,
        )))
    }
}
