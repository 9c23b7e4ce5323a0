//! Firn's SQL functions that need the database (table functions over its tables).
//! Pure Arrow kernels live in the `firnml-udfs` crate.

mod args;
pub mod check_training_set;
mod churn_labels;
pub mod deferred;
pub mod feature_view;
pub mod key_check_exec;
pub mod leakage_report;
pub mod model_resolver;
pub mod training_set;

use std::sync::Arc;

use datafusion::prelude::SessionContext;

use crate::database::Database;

pub use churn_labels::ChurnLabels;

/// The feature store's table functions.
pub const FEATURE_STORE_FUNCTIONS: &[&str] =
    &["feature_view", "training_set", "check_training_set"];

/// Whether `statement` calls one of [`FEATURE_STORE_FUNCTIONS`] (then the session
/// re-reads the feature store's catalog before planning it).
pub fn uses_feature_store(statement: &datafusion::sql::parser::Statement) -> bool {
    use datafusion::sql::parser::Statement as DFStatement;
    use datafusion::sql::sqlparser::ast::{ObjectName, visit_relations};
    use std::ops::ControlFlow;
    let visit = |statement: &datafusion::sql::sqlparser::ast::Statement| {
        visit_relations(statement, |name: &ObjectName| {
            let called = name
                .0
                .last()
                .and_then(|part| part.as_ident())
                .is_some_and(|ident| {
                    FEATURE_STORE_FUNCTIONS
                        .iter()
                        .any(|f| ident.value.eq_ignore_ascii_case(f))
                });
            if called {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .is_break()
    };
    match statement {
        DFStatement::Statement(inner) => visit(inner),
        DFStatement::Explain(explain) => uses_feature_store(&explain.statement),
        _ => false,
    }
}

/// Registers every Firn function on `ctx`.
pub fn register_all(ctx: &SessionContext, db: &Database) {
    firnml_udfs::register_all(ctx);
    for udf in firnml_udfs::model::sql::functions(db.model_resolver()) {
        ctx.register_udf(udf.as_ref().clone());
    }
    ctx.register_udtf("churn_labels", Arc::new(ChurnLabels::new()));
    feature_store_functions(ctx, db);
}

/// The feature store's table functions: `feature_view`, `training_set`, `check_training_set`.
fn feature_store_functions(ctx: &SessionContext, db: &Database) {
    let store = db.feature_store();
    ctx.register_udtf(
        "feature_view",
        Arc::new(feature_view::FeatureViewFunction::new(Arc::clone(&store))),
    );
    ctx.register_udtf(
        "training_set",
        Arc::new(training_set::TrainingSetFunction::new(Arc::clone(&store))),
    );
    ctx.register_udtf(
        "check_training_set",
        Arc::new(check_training_set::CheckTrainingSetFunction::new(store)),
    );
}
