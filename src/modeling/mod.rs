//! Modeling: the use cases of models — train (with search and cross-
//! validation), publish, log the run, administer. Both front doors of SQL call
//! here: the statements (`CREATE MODEL`, `ALTER MODEL`, `DROP MODEL`) and their
//! function forms (`train_model(…)`, `set_default_version(…)`, `drop_model(…)`, …).
//!
//! [`Modeling`] holds the services a model's life touches: the registry it is
//! published in, the tracking log its run goes to, and the feature store whose
//! views its training data came from (for lineage).

mod admin;
mod cancel;
mod create;
mod options;
mod recovery;
mod run;
mod training;
mod verify;

use std::sync::Arc;

use crate::feature_store::FeatureStore;
use crate::registry::Registry;
use crate::tracking::Tracking;

pub(crate) use admin::ModelChange;
pub(crate) use create::{ModelRequest, cv_metric, output_schema};
pub(crate) use options::ModelOptions;
pub(crate) use verify::{schema as verify_schema, to_batch as verify_batch, verify};

/// Trains, publishes and administers models.
#[derive(Debug, Clone)]
pub(crate) struct Modeling {
    registry: Registry,
    tracking: Tracking,
    feature_store: Arc<FeatureStore>,
}

impl Modeling {
    /// Modeling over a database's registry, tracking log and feature store.
    pub(crate) fn new(
        registry: Registry,
        tracking: Tracking,
        feature_store: Arc<FeatureStore>,
    ) -> Self {
        Self {
            registry,
            tracking,
            feature_store,
        }
    }
}
