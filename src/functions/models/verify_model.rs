//! `verify_model('m[@v]')` and its statement `VERIFY MODEL m[@v]`: re-runs the
//! version's training query, compares the data's fingerprint, re-trains with the
//! recorded parameters and seed and reports one row per check (see
//! [`crate::modeling::verify`]). The work happens when the query runs; nothing
//! is published or logged.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::TableProvider;
use datafusion::execution::session_state::SessionState;

use crate::functions::args::model_arg;
use crate::modeling::{verify, verify_batch, verify_schema};
use crate::query::deferred::DeferredTable;
use crate::scoring::resolver::RegistryResolver;

const USAGE: &str = "verify_model(model VARCHAR)";

/// The `verify_model` table function.
#[derive(Debug)]
pub struct VerifyModel {
    resolver: Arc<RegistryResolver>,
}

impl VerifyModel {
    /// `verify_model` over the models `resolver` loads.
    pub fn new(resolver: Arc<RegistryResolver>) -> Self {
        Self { resolver }
    }
}

impl TableFunctionImpl for VerifyModel {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if exprs.len() != 1 {
            return plan_err!(
                "verify_model takes 1 argument, got {}; expected {USAGE}",
                exprs.len()
            );
        }
        let model = model_arg(&self.resolver, exprs, 0, USAGE)?;
        let Some(state) = args.session().as_any().downcast_ref::<SessionState>() else {
            return plan_err!("verify_model can only be called from a Firn/DataFusion session");
        };
        let state = state.clone();
        let work = Arc::new(move |_rows: Vec<RecordBatch>| {
            let (model, state) = (model.clone(), state.clone());
            Box::pin(async move {
                let checks = verify(&state, &model.manifest, &model.model.ensemble).await?;
                Ok(vec![verify_batch(&checks)?])
            }) as _
        });
        Ok(Arc::new(DeferredTable::new(
            "verify_model",
            verify_schema(),
            None,
            work,
        )))
    }
}
