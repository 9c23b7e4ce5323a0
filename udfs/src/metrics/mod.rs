//! Model evaluation metrics, as a library API and as SQL aggregate functions.
//!
//! The library functions take plain slices, so cross-validation can score its
//! folds without building Arrow arrays; the SQL aggregates in [`sql`] call the
//! same code, so `SELECT auc(score, label)` and [`roc_auc`] always agree.
//!
//! | idea | module |
//! |------|--------|
//! | confusion matrix: accuracy, precision, recall, F1 | [`confusion`] |
//! | ROC and precision-recall curves, ROC-AUC, average precision (PR-AUC) | [`ranking`] |
//! | log loss | [`logloss`] |
//! | RMSE, MAE, R² | [`regression`] |
//! | SQL aggregate functions | [`sql`] |
//!
//! Classification metrics take labels as `f64` that must be exactly `0` or `1`
//! (an error names any other value) and reject NaN scores. The conventions for
//! undefined values follow scikit-learn and are documented on each function.

#![warn(missing_docs)]

pub mod confusion;
#[cfg(test)]
mod fixtures;
mod input;
pub mod logloss;
pub mod ranking;
pub mod regression;
pub mod sql;

pub use confusion::ConfusionMatrix;
pub use logloss::{LOG_LOSS_EPS, log_loss};
pub use ranking::{PrPoint, RocPoint, pr_auc, pr_curve, roc_auc, roc_curve};
pub use regression::{RegressionStats, mae, r2, rmse};
