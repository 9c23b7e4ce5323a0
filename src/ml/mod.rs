//! Machine learning: training data, parameters, the training backend, and
//! (as they are built) cross-validation, search and explanations.

pub mod canonical;
pub mod cv;
pub mod dataset;
pub mod fingerprint;
pub mod forust;
pub mod gbdt;
pub mod metric;
pub mod model_file;
pub mod params;
pub mod parquet_pages;
pub mod progress;
pub mod rng;
pub mod search;
#[cfg(test)]
mod shap_oracle;
pub mod split;
pub mod trainer;
pub mod xgboost_json;

pub use dataset::Dataset;
pub use params::GbdtParams;
pub use trainer::{SharedData, Trainer, default_trainer, trainer_for};

pub(crate) use gbdt::pool::run_with_threads;
