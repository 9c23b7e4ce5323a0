//! Firn's SQL functions that need the database (table functions over its tables).
//! Pure Arrow kernels live in the `firnml-udfs` crate.

mod args;
mod churn_labels;
pub mod deferred;
pub mod model_resolver;

use std::sync::Arc;

use datafusion::prelude::SessionContext;

use crate::database::Database;

pub use churn_labels::ChurnLabels;

/// Registers every Firn function on `ctx`.
pub fn register_all(ctx: &SessionContext, db: &Database) {
    firnml_udfs::register_all(ctx);
    for udf in firnml_udfs::model::sql::functions(db.model_resolver()) {
        ctx.register_udf(udf.as_ref().clone());
    }
    ctx.register_udtf("churn_labels", Arc::new(ChurnLabels::new()));
}
