//! Scoring single rows from Rust, for services that embed Firn: a [`Scorer`]
//! holds one registered model ready to score (its predictor, its TreeSHAP
//! tables, its feature encoding), so a prediction is a few microseconds and
//! touches no storage. [`Scorer::refresh`] follows the registry: when the
//! reference's version changes (a new default version, an alias moved), the
//! next prediction uses the new one.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> firnml::Result<()> {
//! # let db = firnml::Database::in_memory().await?;
//! # db.sql("CREATE TABLE t AS SELECT CAST(v AS DOUBLE) AS x, CAST(v % 2 AS INT) AS y FROM generate_series(1, 200) AS s(v)").await?;
//! # db.sql("CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'y', n_estimators 5, test_fraction 0) AS SELECT * FROM t").await?;
//! let scorer = db.scorer("m").await?;                   // the default version, loaded once
//! let p = scorer.predict(&[4.0.into()])?;               // features in the model's order
//! assert!((0.0..=1.0).contains(&p.value));
//! let why = scorer.explain(&[4.0.into()], 3)?;          // the strongest SHAP contributions
//! assert_eq!(why.contributions[0].feature, "x");
//! # Ok(()) }
//! ```

pub(crate) mod resolver;
mod row;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use firnml_udfs::model::CompactForest;
use firnml_udfs::model::{Objective, ShapForest, TreeEnsemble};
use serde::Serialize;

use crate::error::Result;
use crate::registry::{ModelRef, Registry};

pub use row::FeatureValue;
use row::RowEncoder;

/// One model version prepared for single-row scoring.
#[derive(Debug)]
struct Loaded {
    name: String,
    version: String,
    objective: Objective,
    forest: CompactForest,
    shap: ShapForest,
    encoder: RowEncoder,
}

impl Loaded {
    fn new(name: String, version: String, model: &TreeEnsemble) -> Self {
        Self {
            name,
            version,
            objective: model.objective(),
            forest: CompactForest::new(model),
            shap: ShapForest::new(model),
            encoder: RowEncoder::new(model.features()),
        }
    }

    fn score(&self, encoded: &[f64]) -> Prediction {
        let columns: Vec<&[f64]> = encoded.iter().map(std::slice::from_ref).collect();
        let mut margin = [0.0];
        self.forest.predict_margin_into(&columns, &mut margin);
        Prediction {
            model: self.name.clone(),
            version: self.version.clone(),
            value: self.objective.transform(margin[0]),
            margin: margin[0],
        }
    }

    fn explain(&self, encoded: &[f64], top: usize) -> Explanation {
        let columns: Vec<&[f64]> = encoded.iter().map(std::slice::from_ref).collect();
        let values = self.shap.shap_values(&columns);
        let specs = self.encoder.specs();
        let mut contributions: Vec<Contribution> = specs
            .iter()
            .zip(&values)
            .map(|(spec, &shap)| Contribution {
                feature: spec.name.clone(),
                shap,
            })
            .collect();
        contributions.sort_by(|a, b| b.shap.abs().total_cmp(&a.shap.abs()));
        contributions.truncate(top);
        Explanation {
            prediction: self.score(encoded),
            expected_value: self.shap.expected_value(),
            contributions,
        }
    }
}

/// A prediction for one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The model's name.
    pub model: String,
    /// The version that scored the row.
    pub version: String,
    /// The probability of the positive class (classifier) or the predicted value (regressor).
    pub value: f64,
    /// The raw margin (log-odds for a classifier).
    pub margin: f64,
}

/// One feature's SHAP contribution to a prediction's margin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    /// The feature.
    pub feature: String,
    /// Its contribution (margin space; positive pushes towards the positive class).
    pub shap: f64,
}

/// A prediction with the contributions that explain it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The prediction.
    pub prediction: Prediction,
    /// The margin of an "average" row; it plus all contributions is the margin.
    pub expected_value: f64,
    /// The strongest contributions, largest absolute value first.
    pub contributions: Vec<Contribution>,
}

/// A registered model ready to score single rows (see the [module docs](self)).
#[derive(Debug)]
pub struct Scorer {
    registry: Registry,
    reference: ModelRef,
    current: RwLock<Arc<Loaded>>,
}

impl Scorer {
    /// Loads the version `reference` (`name`, `name@version` or `name@alias`) names.
    pub async fn load(registry: Registry, reference: &str) -> Result<Self> {
        let reference = ModelRef::parse(reference)?;
        let loaded = load(&registry, &reference).await?;
        Ok(Self {
            registry,
            reference,
            current: RwLock::new(Arc::new(loaded)),
        })
    }

    fn current(&self) -> Arc<Loaded> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The version in use.
    pub fn version(&self) -> String {
        self.current().version.clone()
    }

    /// The reference the scorer follows, e.g. `churn` or `churn@champion`.
    pub fn reference(&self) -> String {
        self.reference.to_string()
    }

    /// The model's feature names, in order.
    pub fn features(&self) -> Vec<String> {
        self.current()
            .encoder
            .specs()
            .iter()
            .map(|s| s.name.clone())
            .collect()
    }

    /// Re-reads the registry's pointers; when the reference now names another
    /// version, loads it and uses it from the next prediction on. Returns the
    /// new version when it changed.
    pub async fn refresh(&self) -> Result<Option<String>> {
        let (_, version) = self.registry.resolve(&self.reference).await?;
        if version == self.current().version {
            return Ok(None);
        }
        let loaded = load(
            &self.registry,
            &ModelRef::at(&self.reference.name, &version)?,
        )
        .await?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded);
        Ok(Some(version))
    }

    /// Scores one row given in the model's feature order.
    pub fn predict(&self, row: &[FeatureValue]) -> Result<Prediction> {
        let model = self.current();
        let mut encoded = Vec::with_capacity(row.len());
        model.encoder.encode(row, &mut encoded)?;
        Ok(model.score(&encoded))
    }

    /// Scores one row given by feature name (other names are ignored).
    pub fn predict_named(&self, row: &HashMap<String, FeatureValue>) -> Result<Prediction> {
        let model = self.current();
        let mut encoded = Vec::new();
        model.encoder.encode_named(row, &mut encoded)?;
        Ok(model.score(&encoded))
    }

    /// Scores one row (model order) and explains it with its `top` strongest SHAP contributions.
    pub fn explain(&self, row: &[FeatureValue], top: usize) -> Result<Explanation> {
        let model = self.current();
        let mut encoded = Vec::new();
        model.encoder.encode(row, &mut encoded)?;
        Ok(model.explain(&encoded, top))
    }

    /// [`Scorer::explain`] for a row given by feature name.
    pub fn explain_named(
        &self,
        row: &HashMap<String, FeatureValue>,
        top: usize,
    ) -> Result<Explanation> {
        let model = self.current();
        let mut encoded = Vec::new();
        model.encoder.encode_named(row, &mut encoded)?;
        Ok(model.explain(&encoded, top))
    }
}

async fn load(registry: &Registry, reference: &ModelRef) -> Result<Loaded> {
    let (manifest, model) = registry.load(reference).await?;
    Ok(Loaded::new(manifest.name, manifest.version, &model))
}

#[cfg(test)]
mod tests;
