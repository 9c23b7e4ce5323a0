//! `feature_view('name'[, 'version'])`: the rows of one version of a feature
//! view (without a version: the newest one); see
//! [`FeatureViewTable`](crate::feature_store::view_table::FeatureViewTable).

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::TableProvider;

use crate::feature_store::names::{self, ViewRef};
use crate::feature_store::view_table::FeatureViewTable;
use crate::feature_store::{FeatureStore, unknown_view};
use crate::functions::args::Signature;

const SIGNATURE: Signature = Signature {
    name: "feature_view",
    params: &["name VARCHAR", "version VARCHAR"],
};

/// The `feature_view` table function.
#[derive(Debug)]
pub struct FeatureViewFunction {
    store: Arc<FeatureStore>,
}

impl FeatureViewFunction {
    /// The function over `store`'s feature views.
    pub fn new(store: Arc<FeatureStore>) -> Self {
        Self { store }
    }
}

impl TableFunctionImpl for FeatureViewFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if exprs.is_empty() || exprs.len() > 2 {
            return plan_err!(
                "feature_view takes 1 or 2 arguments, got {}; expected {} (without a version: the newest)",
                exprs.len(),
                SIGNATURE.display()
            );
        }
        let name = names::feature_view(&SIGNATURE.string(exprs, 0)?)?;
        let catalog = self.store.catalog();
        let version = match exprs.get(1) {
            Some(_) => {
                let version = names::version(&SIGNATURE.string(exprs, 1)?)?;
                let reference = ViewRef {
                    name: name.clone(),
                    version: version.clone(),
                };
                catalog
                    .view(&reference)
                    .cloned()
                    .ok_or_else(|| unknown_view(&catalog, &name, Some(&version)))?
            }
            None => catalog
                .versions_of(&name)
                .last()
                .map(|v| Arc::clone(v))
                .ok_or_else(|| unknown_view(&catalog, &name, None))?,
        };
        Ok(Arc::new(FeatureViewTable::open(
            &self.store,
            version,
            args.session(),
        )?))
    }
}
