//! Model table functions: evaluation, explanation and inspection of registered
//! models (through the resolver's preloaded versions), and the function forms
//! of `CREATE MODEL`, `ALTER MODEL` and `DROP MODEL` (through modeling).

mod admin_calls;
mod confusion_matrix;
mod cross_validate;
pub(super) mod data;
mod describe_model;
mod drift_report;
pub(super) mod evaluate;
mod explain_predict;
mod feature_importance;
mod model_nodes;
mod model_signature;
mod model_version_at;
mod predict_table;
mod roc_curve;
mod run_monitor;
mod train_model;
mod verify_model;

use std::sync::Arc;

use super::manifest::{FunctionEntry, Needs};
use admin_calls::{ModelAdminCall, ModelAdminKind};

const FUNCTIONS: &[FunctionEntry] = &[
    FunctionEntry::table("evaluate", Needs::Model, |s| {
        Arc::new(evaluate::Evaluate::new(Arc::clone(&s.resolver)))
    }),
    FunctionEntry::table("confusion_matrix", Needs::Model, |s| {
        Arc::new(confusion_matrix::ConfusionMatrixFunction::new(Arc::clone(
            &s.resolver,
        )))
    }),
    FunctionEntry::table("roc_curve", Needs::Model, |s| {
        Arc::new(roc_curve::RocCurve::new(Arc::clone(&s.resolver)))
    }),
    FunctionEntry::table("explain_predict", Needs::Model, |s| {
        Arc::new(explain_predict::ExplainPredict::new(Arc::clone(
            &s.resolver,
        )))
    }),
    FunctionEntry::table("feature_importance", Needs::Model, |s| {
        Arc::new(feature_importance::FeatureImportanceFunction::new(
            Arc::clone(&s.resolver),
        ))
    }),
    FunctionEntry::table("cross_validate", Needs::Model, |s| {
        Arc::new(cross_validate::CrossValidate::new(Arc::clone(&s.resolver)))
    }),
    FunctionEntry::table("model_nodes", Needs::Model, |s| {
        Arc::new(model_nodes::ModelNodes::new(Arc::clone(&s.resolver)))
    }),
    FunctionEntry::table("describe_model", Needs::Model, |s| {
        Arc::new(describe_model::DescribeModel::new(Arc::clone(&s.resolver)))
    }),
    FunctionEntry::table("model_signature", Needs::Model, |s| {
        Arc::new(model_signature::ModelSignature::new(Arc::clone(
            &s.resolver,
        )))
    }),
    FunctionEntry::table("predict", Needs::Model, |s| {
        Arc::new(predict_table::PredictTable::new(Arc::clone(&s.resolver)))
    }),
    FunctionEntry::table("drift_report", Needs::Model, |s| {
        Arc::new(drift_report::DriftReport::new(Arc::clone(&s.resolver)))
    }),
    FunctionEntry::table("run_monitor", Needs::Monitor, |s| {
        Arc::new(run_monitor::RunMonitor::new(
            s.monitors.clone(),
            Arc::clone(&s.resolver),
            s.tracking.clone(),
        ))
    }),
    FunctionEntry::table("verify_model", Needs::Model, |s| {
        Arc::new(verify_model::VerifyModel::new(Arc::clone(&s.resolver)))
    }),
    FunctionEntry::table("model_version_at", Needs::Nothing, |s| {
        Arc::new(model_version_at::ModelVersionAt::new(s.registry.clone()))
    }),
    FunctionEntry::table("train_model", Needs::Nothing, |s| {
        Arc::new(train_model::TrainModel::new(s.modeling.clone()))
    }),
    FunctionEntry::table("set_default_version", Needs::Nothing, |s| {
        Arc::new(ModelAdminCall::new(
            ModelAdminKind::SetDefault,
            s.modeling.clone(),
        ))
    }),
    FunctionEntry::table("set_model_alias", Needs::Nothing, |s| {
        Arc::new(ModelAdminCall::new(
            ModelAdminKind::SetAlias,
            s.modeling.clone(),
        ))
    }),
    FunctionEntry::table("unset_model_alias", Needs::Nothing, |s| {
        Arc::new(ModelAdminCall::new(
            ModelAdminKind::UnsetAlias,
            s.modeling.clone(),
        ))
    }),
    FunctionEntry::table("set_model_comment", Needs::Nothing, |s| {
        Arc::new(ModelAdminCall::new(
            ModelAdminKind::SetComment,
            s.modeling.clone(),
        ))
    }),
    FunctionEntry::table("drop_model", Needs::Nothing, |s| {
        Arc::new(ModelAdminCall::new(
            ModelAdminKind::Drop,
            s.modeling.clone(),
        ))
    }),
];

/// This family's functions.
pub(super) fn functions() -> &'static [FunctionEntry] {
    FUNCTIONS
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_registry_change_is_in_the_manifest_under_its_own_name() {
        for kind in super::ModelAdminKind::ALL {
            assert!(super::functions().iter().any(|f| f.name == kind.name()));
        }
    }
}
