//! `check_training_set(source, ['view:version', …], 'label=col', [options])`: a
//! leakage report over a training set; see [`crate::feature_store::check`].

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::Result;
use datafusion::datasource::TableProvider;

use crate::feature_store::FeatureStore;
use crate::feature_store::check::check_training_set;

/// The `check_training_set` table function.
#[derive(Debug)]
pub struct CheckTrainingSetFunction {
    store: Arc<FeatureStore>,
}

impl CheckTrainingSetFunction {
    /// The function over `store`'s feature views.
    pub fn new(store: Arc<FeatureStore>) -> Self {
        Self { store }
    }
}

impl TableFunctionImpl for CheckTrainingSetFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        check_training_set(&self.store, args)
    }
}
