//! `model_nodes('m@v')`: a model version's node table, one row per tree node
//! (`tree_id, node_id, feature, threshold, default_left, left, right,
//! leaf_value, gain, cover`) — exactly what its Parquet file stores.

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::{MemTable, TableProvider};

use crate::functions::args::model_arg;
use crate::ml::model_file::{node_schema, to_record_batch};
use crate::scoring::resolver::RegistryResolver;

const USAGE: &str = "model_nodes(model VARCHAR)";

/// The `model_nodes` table function.
#[derive(Debug)]
pub struct ModelNodes {
    resolver: Arc<RegistryResolver>,
}

impl ModelNodes {
    /// `model_nodes` over the models `resolver` loads.
    pub fn new(resolver: Arc<RegistryResolver>) -> Self {
        Self { resolver }
    }
}

impl TableFunctionImpl for ModelNodes {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if exprs.len() != 1 {
            return plan_err!(
                "model_nodes takes 1 argument, got {}; expected {USAGE}",
                exprs.len()
            );
        }
        let model = model_arg(&self.resolver, exprs, 0, USAGE)?;
        let batch = to_record_batch(&model.model.ensemble)?;
        Ok(Arc::new(MemTable::try_new(
            node_schema(),
            vec![vec![batch]],
        )?))
    }
}
