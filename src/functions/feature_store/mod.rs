//! The feature store's table functions: argument shims over
//! [`crate::feature_store`], which owns the tables and execution plans.

mod check_training_set;
mod feature_view;
mod training_set;

use std::sync::Arc;

use super::manifest::{FunctionEntry, Needs};
use check_training_set::CheckTrainingSetFunction;
use feature_view::FeatureViewFunction;
use training_set::TrainingSetFunction;

const FUNCTIONS: &[FunctionEntry] = &[
    FunctionEntry::table("feature_view", Needs::FeatureStore, |s| {
        Arc::new(FeatureViewFunction::new(Arc::clone(&s.feature_store)))
    }),
    FunctionEntry::table("training_set", Needs::FeatureStore, |s| {
        Arc::new(TrainingSetFunction::new(Arc::clone(&s.feature_store)))
    }),
    FunctionEntry::table("check_training_set", Needs::FeatureStore, |s| {
        Arc::new(CheckTrainingSetFunction::new(Arc::clone(&s.feature_store)))
    }),
];

/// This family's functions.
pub(super) fn functions() -> &'static [FunctionEntry] {
    FUNCTIONS
}
