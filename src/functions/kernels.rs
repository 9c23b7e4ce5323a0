//! The `firnml-udfs` crate's functions: scoring (`predict`, `predict_proba`,
//! `predict_label`, which read models through the resolver) and the metric
//! aggregates (pure Arrow compute).

use firnml_udfs::metrics::sql::{
    LogLoss, accuracy_score, auc, f1_score, pr_auc, precision_score, r2_score, recall_score, rmse,
};
use firnml_udfs::model::sql::{PredictKind, PredictUdf};

use super::manifest::{FunctionEntry, Needs};
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

const FUNCTIONS: &[FunctionEntry] = &[
    FunctionEntry::scalar("predict", Needs::Model, |resolver| {
        ScalarUDF::new_from_impl(PredictUdf::new(PredictKind::Predict, resolver))
    }),
    FunctionEntry::scalar("predict_proba", Needs::Model, |resolver| {
        ScalarUDF::new_from_impl(PredictUdf::new(PredictKind::Proba, resolver))
    }),
    FunctionEntry::scalar("predict_label", Needs::Model, |resolver| {
        ScalarUDF::new_from_impl(PredictUdf::new(PredictKind::Label, resolver))
    }),
    FunctionEntry::aggregate("auc", || AggregateUDF::from(auc())),
    FunctionEntry::aggregate("pr_auc", || AggregateUDF::from(pr_auc())),
    FunctionEntry::aggregate("log_loss", || AggregateUDF::from(LogLoss::new())),
    FunctionEntry::aggregate("accuracy_score", || AggregateUDF::from(accuracy_score())),
    FunctionEntry::aggregate("precision_score", || AggregateUDF::from(precision_score())),
    FunctionEntry::aggregate("recall_score", || AggregateUDF::from(recall_score())),
    FunctionEntry::aggregate("f1_score", || AggregateUDF::from(f1_score())),
    FunctionEntry::aggregate("rmse", || AggregateUDF::from(rmse())),
    FunctionEntry::aggregate("r2_score", || AggregateUDF::from(r2_score())),
];

/// This family's functions.
pub(super) fn functions() -> &'static [FunctionEntry] {
    FUNCTIONS
}
