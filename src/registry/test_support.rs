//! Shared helpers of the registry's tests: small trained models and a registry
//! on each kind of storage.

use std::sync::Arc;

use chrono::{TimeDelta, TimeZone, Utc};
use datafusion::error::DataFusionError;
use firnml_udfs::model::TreeEnsemble;
use tempfile::TempDir;

use super::{NewVersion, Registry, SteppingClock};
use crate::Database;
use crate::error::Error;
use crate::ml::forust::ForustTrainer;
use crate::ml::forust::tests::synthetic;
use crate::ml::{GbdtParams, Trainer};

/// A registry on one kind of storage; the temporary directory lives as long as it.
pub(super) struct Backend {
    pub(super) label: &'static str,
    pub(super) registry: Registry,
    pub(super) dir: Option<TempDir>,
}

/// A clock starting at 2025-01-01T00:00:00Z, one second per reading.
pub(super) fn clock() -> Arc<SteppingClock> {
    let start = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    Arc::new(SteppingClock::new(start, TimeDelta::seconds(1)))
}

/// The registry of `db` with a fresh deterministic clock.
pub(super) fn registry_of(db: &Database) -> Registry {
    Registry::with_clock(Arc::clone(db.registry().store()), clock())
}

/// A registry in memory and one in a temporary directory.
pub(super) async fn backends() -> Vec<Backend> {
    let memory = Database::in_memory().await.expect("in-memory database");
    let dir = tempfile::tempdir().expect("temp dir");
    let local = Database::open(dir.path().to_string_lossy())
        .await
        .expect("local database");
    vec![
        Backend {
            label: "memory",
            registry: registry_of(&memory),
            dir: None,
        },
        Backend {
            label: "local",
            registry: registry_of(&local),
            dir: Some(dir),
        },
    ]
}

/// A small model; different seeds give different models.
pub(super) fn model(seed: u64) -> TreeEnsemble {
    let params = GbdtParams {
        n_estimators: 2 + seed as usize,
        max_depth: 3,
        seed,
        threads: 1,
        ..GbdtParams::default()
    };
    ForustTrainer
        .fit(&synthetic(200, seed), &params)
        .expect("trains")
}

/// A new version with a little of everything recorded.
pub(super) fn new_version(name: &str, version: &str) -> NewVersion {
    NewVersion {
        comment: Some("baseline".into()),
        params: vec![("max_depth".into(), "3".into())],
        metrics: vec![("auc".into(), 0.875)],
        training_data_fingerprint: "rows=200;seed=1".into(),
        trainer: ForustTrainer.name().into(),
        lineage: vec!["table:customers".into()],
        run_id: Some("run-1".into()),
        ..NewVersion::new(name, version)
    }
}

/// The message of a user's mistake: a planning error, or a missing, existing or
/// badly named object (panics on anything else).
pub(super) fn plan_message(err: Error) -> String {
    match err {
        Error::DataFusion(DataFusionError::Plan(message))
        | Error::NotFound { message, .. }
        | Error::AlreadyExists { message, .. }
        | Error::InvalidName { message, .. } => message,
        other => panic!("expected a planning error, got {other:?}"),
    }
}

/// Publishes versions `versions` of model `name` (all the same small model).
pub(super) async fn publish_versions(reg: &Registry, name: &str, versions: &[&str]) {
    for v in versions {
        reg.publish(&model(1), new_version(name, v))
            .await
            .expect("publishes");
    }
}
