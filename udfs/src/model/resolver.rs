//! How scoring functions find models: a `ModelResolver` maps a reference
//! (`name`, `name@version`, `name@alias`) to a model ready to score. The
//! database implements it over its registry and caches loaded models, so a
//! query resolves each model once, not once per batch.

use std::fmt::Debug;
use std::sync::Arc;

use datafusion::common::Result;
use datafusion::config::ConfigOptions;

use crate::model::ensemble::TreeEnsemble;
use crate::model::predict::CompactForest;

/// A model loaded for scoring: the validated ensemble and its flattened predictor.
#[derive(Debug)]
pub struct ScoringModel {
    /// The resolved reference, e.g. `churn@v2`.
    pub reference: String,
    /// The model.
    pub ensemble: TreeEnsemble,
    /// Its predictor.
    pub forest: CompactForest,
}

impl ScoringModel {
    /// Prepares `ensemble` for scoring under the name `reference`.
    pub fn new(reference: impl Into<String>, ensemble: TreeEnsemble) -> Self {
        let forest = CompactForest::new(&ensemble);
        Self {
            reference: reference.into(),
            ensemble,
            forest,
        }
    }

    /// The expected arguments, for error messages: `name TYPE, …`.
    pub fn signature_text(&self) -> String {
        self.ensemble
            .features()
            .iter()
            .map(|f| match &f.kind {
                crate::model::FeatureKind::Numeric => format!("{} DOUBLE", f.name),
                crate::model::FeatureKind::Categorical { .. } => format!("{} VARCHAR", f.name),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Finds models by reference.
pub trait ModelResolver: Debug + Send + Sync {
    /// The model `reference` names; an unknown model, version or alias is a planning error.
    fn resolve(&self, reference: &str) -> Result<Arc<ScoringModel>>;

    /// The model `reference` names for a query running with `config`. A
    /// cluster's executors find the database to read models from in the
    /// query's settings; a session's resolver needs nothing more than `resolve`.
    fn resolve_with(&self, reference: &str, _config: &ConfigOptions) -> Result<Arc<ScoringModel>> {
        self.resolve(reference)
    }
}
