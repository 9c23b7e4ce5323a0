//! Firn's own training interface. A backend turns a [`Dataset`] and
//! [`GbdtParams`] into Firn's model format; nothing above this trait knows
//! which library trained the trees.

use datafusion::common::Result;
use firnml_udfs::model::TreeEnsemble;

use crate::ml::dataset::Dataset;
use crate::ml::params::GbdtParams;

/// A gradient-boosted-tree training backend.
pub trait Trainer: Send + Sync {
    /// The backend's name, recorded with each model.
    fn name(&self) -> &'static str;

    /// Trains on `data`; the result is in Firn's node-table format.
    fn fit(&self, data: &Dataset, params: &GbdtParams) -> Result<TreeEnsemble>;
}

/// The trainer Firn uses unless told otherwise.
pub fn default_trainer() -> &'static dyn Trainer {
    &crate::ml::forust::ForustTrainer
}

/// Per-row weights: `scale_pos_weight` for positive rows of a classifier, 1 elsewhere.
pub fn sample_weights(data: &Dataset, params: &GbdtParams) -> Vec<f64> {
    match params.objective {
        firnml_udfs::model::Objective::BinaryLogistic if params.scale_pos_weight != 1.0 => data
            .labels
            .iter()
            .map(|&y| {
                if y == 1.0 {
                    params.scale_pos_weight
                } else {
                    1.0
                }
            })
            .collect(),
        _ => vec![1.0; data.rows()],
    }
}
