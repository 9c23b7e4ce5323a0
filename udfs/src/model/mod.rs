//! Firn's tree-ensemble model: the node table it is stored as, the feature
//! encoding shared by training and scoring, and the batch predictor.

pub mod ensemble;
pub mod features;
pub mod importance;
pub mod predict;
mod predict_binned;
pub mod resolver;
pub mod shap;
pub mod sql;

pub use ensemble::{FeatureKind, FeatureSpec, NodeTable, Objective, TreeEnsemble};
pub use features::{encode_columns, learn_feature_specs};
pub use importance::{FeatureImportance, importance, mean_abs_shap};
pub use predict::CompactForest;
pub use resolver::{ModelResolver, ScoringModel};
pub use shap::{ShapForest, expected_value, shap_values};
