//! Firn's SQL functions that need the database (table functions over its tables).
//! Pure Arrow kernels live in the `firnml-udfs` crate.

mod args;
pub mod check_training_set;
mod churn_labels;
mod compare_runs;
mod confusion_matrix;
mod cross_validate;
pub mod deferred;
mod evaluate;
mod explain_predict;
mod feature_importance;
pub mod feature_view;
pub mod key_check_exec;
pub mod leakage_report;
mod model_admin_calls;
mod model_data;
mod model_nodes;
pub mod model_resolver;
mod roc_curve;
mod tracking_calls;
mod train_model;
mod train_test_split;
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
    model_functions(ctx, db);
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

/// The model, tracking and registry table functions.
fn model_functions(ctx: &SessionContext, db: &Database) {
    let resolver = db.model_resolver();
    ctx.register_udtf(
        "evaluate",
        Arc::new(evaluate::Evaluate::new(Arc::clone(&resolver))),
    );
    ctx.register_udtf(
        "confusion_matrix",
        Arc::new(confusion_matrix::ConfusionMatrixFunction::new(Arc::clone(
            &resolver,
        ))),
    );
    ctx.register_udtf(
        "roc_curve",
        Arc::new(roc_curve::RocCurve::new(Arc::clone(&resolver))),
    );
    ctx.register_udtf(
        "explain_predict",
        Arc::new(explain_predict::ExplainPredict::new(Arc::clone(&resolver))),
    );
    ctx.register_udtf(
        "feature_importance",
        Arc::new(feature_importance::FeatureImportanceFunction::new(
            Arc::clone(&resolver),
        )),
    );
    ctx.register_udtf(
        "cross_validate",
        Arc::new(cross_validate::CrossValidate::new(Arc::clone(&resolver))),
    );
    ctx.register_udtf(
        "model_nodes",
        Arc::new(model_nodes::ModelNodes::new(resolver)),
    );
    let tracking = db.tracking();
    for kind in tracking_calls::TrackingCallKind::ALL {
        ctx.register_udtf(
            kind.name(),
            Arc::new(tracking_calls::TrackingCall::new(kind, tracking.clone())),
        );
    }
    for kind in model_admin_calls::ModelAdminKind::ALL {
        ctx.register_udtf(
            kind.name(),
            Arc::new(model_admin_calls::ModelAdminCall::new(kind, db.registry())),
        );
    }
    ctx.register_udtf(
        "train_test_split",
        Arc::new(train_test_split::TrainTestSplit),
    );
    ctx.register_udtf(
        "train_model",
        Arc::new(train_model::TrainModel::new(db.clone())),
    );
    ctx.register_udtf(
        "compare_runs",
        Arc::new(compare_runs::CompareRuns::new(tracking.clone())),
    );
}
