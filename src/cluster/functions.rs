//! Firn's scalar and aggregate functions on the scheduler (which decodes each
//! job's plan) and the executors (which decode and run its tasks), made from
//! the same function manifest a session registers. Functions travel by name;
//! the process's own instance runs, scoring with models read from the shared
//! registry ([`SharedRegistryModels`]).

use std::sync::Arc;

use ballista_core::registry::BallistaFunctionRegistry;
use datafusion::common::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::prelude::SessionConfig;
use firnml_udfs::model::ModelResolver;

use crate::cluster::shared_models::SharedRegistryModels;
use crate::cluster::shared_store::runtime_for;
use crate::functions::row_functions;

/// The default functions plus Firn's, for an executor.
pub(crate) fn executor_registry(models: &Arc<SharedRegistryModels>) -> BallistaFunctionRegistry {
    let resolver: Arc<dyn ModelResolver> = Arc::clone(models) as _;
    let (scalars, aggregates) = row_functions(&resolver);
    let mut registry = BallistaFunctionRegistry::default();
    for udf in scalars {
        registry
            .scalar_functions
            .insert(udf.name().to_string(), udf);
    }
    for udaf in aggregates {
        registry
            .aggregate_functions
            .insert(udaf.name().to_string(), udaf);
    }
    registry
}

/// The scheduler's session: Ballista's defaults plus Firn's functions.
pub(crate) fn scheduler_state(
    config: SessionConfig,
    models: &Arc<SharedRegistryModels>,
) -> Result<SessionState> {
    let resolver: Arc<dyn ModelResolver> = Arc::clone(models) as _;
    let (scalars, aggregates) = row_functions(&resolver);
    let runtime = runtime_for(&config, None)?;
    let mut state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .with_runtime_env(runtime)
        .with_optimizer_rules(ballista_core::optimizer::ballista_default_optimizer_rules())
        .build();
    for udf in scalars {
        state.register_udf(udf)?;
    }
    for udaf in aggregates {
        state.register_udaf(udaf)?;
    }
    Ok(state)
}
