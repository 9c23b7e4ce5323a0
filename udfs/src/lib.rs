//! Firn's pure Arrow compute functions: no I/O, no catalog access. Metric
//! aggregates, label helpers and scoring kernels join here as they are built.

pub mod metrics;
pub mod model;

use datafusion::prelude::SessionContext;

/// Registers every function of this crate on `ctx`.
pub fn register_all(ctx: &SessionContext) {
    metrics::sql::register_all(ctx);
}
