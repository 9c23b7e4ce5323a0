//! `training_set(spine, 'view:version', …, ['option=value', …])`: the spine's
//! rows, each with the features of one or more feature views; see
//! [`crate::feature_store::training_set`].

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::Result;
use datafusion::datasource::TableProvider;

use crate::feature_store::FeatureStore;
use crate::feature_store::training_set::TrainingSetTable;
use crate::feature_store::training_set::options::{TRAINING_SET_OPTIONS, parse_args};
use crate::feature_store::training_set::resolve::resolve;

/// How `training_set` is called, for error messages.
pub const USAGE: &str = "training_set(spine, 'view:version'[, 'view:version' …][, 'option=value' …]) \
     with options fill, fill_text, spine_timestamp, lookback, prefix, feature_timestamps";

/// The `training_set` table function.
#[derive(Debug)]
pub struct TrainingSetFunction {
    store: Arc<FeatureStore>,
}

impl TrainingSetFunction {
    /// The function over `store`'s feature views.
    pub fn new(store: Arc<FeatureStore>) -> Self {
        Self { store }
    }
}

impl TableFunctionImpl for TrainingSetFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let call = parse_args("training_set", USAGE, args.exprs(), &[TRAINING_SET_OPTIONS])?;
        let plan = resolve(&self.store, args.session(), &call, "training_set")?;
        Ok(Arc::new(TrainingSetTable::new(plan)))
    }
}
