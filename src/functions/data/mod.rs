//! Functions over a database's tables: churn labels and splits.

mod churn_labels;
mod train_test_split;

use std::sync::Arc;

use super::manifest::{FunctionEntry, Needs};
use churn_labels::ChurnLabels;
use train_test_split::TrainTestSplit;

const FUNCTIONS: &[FunctionEntry] = &[
    FunctionEntry::table("churn_labels", Needs::Nothing, |_| {
        Arc::new(ChurnLabels::new())
    }),
    FunctionEntry::table("train_test_split", Needs::Nothing, |_| {
        Arc::new(TrainTestSplit)
    }),
];

/// This family's functions.
pub(super) fn functions() -> &'static [FunctionEntry] {
    FUNCTIONS
}
