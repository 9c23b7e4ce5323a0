//! Firn's tree-ensemble model: the node table it is stored as, the feature
//! encoding shared by training and scoring, and the batch predictor.

pub mod ensemble;
pub mod features;
pub mod importance;
pub mod predict;
#[cfg(target_arch = "x86_64")]
mod predict_avx2;
#[cfg(target_arch = "x86_64")]
mod predict_avx512;
mod predict_binned;
mod predict_binning;
#[cfg(target_arch = "aarch64")]
mod predict_neon;
mod predict_path;
pub mod resolver;
pub mod shap;
pub mod sql;

pub use ensemble::{FeatureKind, FeatureSpec, NodeTable, Objective, TreeEnsemble};
pub use features::{encode_columns, learn_feature_specs};
pub use importance::{FeatureImportance, importance, mean_abs_shap};
pub use predict::{CompactForest, PredictPath};
pub use resolver::{ModelResolver, ScoringModel};
pub use shap::{ShapForest, expected_value, shap_values};
