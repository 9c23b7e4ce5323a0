//! How a cluster's executors find the models `predict(…)` names: read-only,
//! from the registry of the database the query's settings name
//! (`firn_cluster.database_url`, a location every node resolves the same way),
//! cached per process by the immutable `name@version` the client pinned when it
//! planned the query. Executors never write to the database.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use datafusion::common::{DataFusionError, Result as DfResult, exec_err};
use datafusion::config::ConfigOptions;
use firnml_udfs::model::{ModelResolver, ScoringModel};

use crate::cluster::settings;
use crate::cluster::shared_store::open_shared_store;
use crate::registry::{ModelRef, Registry};

/// Models read from the databases queries name, cached by `(database, name@version)`.
#[derive(Debug, Default)]
pub struct SharedRegistryModels {
    loaded: RwLock<HashMap<(String, String), Arc<ScoringModel>>>,
}

impl SharedRegistryModels {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn cached(&self, database: &str, reference: &str) -> Option<Arc<ScoringModel>> {
        self.loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(database.to_string(), reference.to_string()))
            .cloned()
    }

    /// Loads `reference` from the registry at `database`. Scoring functions are
    /// synchronous and run on the query's runtime, so the load runs on a thread
    /// of its own with a small runtime, once per version and process.
    fn load(&self, database: &str, reference: &str) -> DfResult<Arc<ScoringModel>> {
        let url = database.to_string();
        let name = reference.to_string();
        let loaded = std::thread::scope(|scope| {
            scope
                .spawn(move || -> crate::Result<ScoringModel> {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| {
                            crate::Error::io("cannot start a runtime to read a model", e)
                        })?;
                    runtime.block_on(async {
                        let registry = Registry::new(open_shared_store(&url)?);
                        let (manifest, ensemble) = registry.load(&ModelRef::parse(&name)?).await?;
                        Ok(ScoringModel::new(
                            format!("{}@{}", manifest.name, manifest.version),
                            ensemble,
                        ))
                    })
                })
                .join()
        });
        let model = match loaded {
            Ok(Ok(model)) => Arc::new(model),
            Ok(Err(e)) => {
                return exec_err!(
                    "model '{reference}' cannot be read from the registry of the database at {database} \
                     on this executor: {e}"
                );
            }
            Err(_) => {
                return exec_err!(
                    "model '{reference}' cannot be read from the registry of the database at {database}: \
                     the reader failed"
                );
            }
        };
        self.loaded
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                (database.to_string(), reference.to_string()),
                Arc::clone(&model),
            );
        Ok(model)
    }
}

impl ModelResolver for SharedRegistryModels {
    fn resolve(&self, reference: &str) -> DfResult<Arc<ScoringModel>> {
        Err(DataFusionError::Plan(format!(
            "model '{reference}' cannot be resolved here: a cluster process reads models only while a query runs"
        )))
    }

    fn resolve_with(&self, reference: &str, config: &ConfigOptions) -> DfResult<Arc<ScoringModel>> {
        let Some(database) = settings::database_url(config) else {
            return exec_err!(
                "model '{reference}': the query does not say which database's registry to read \
                 (firn_cluster.database_url is not set; run it from a Firn session in cluster mode)"
            );
        };
        match self.cached(database, reference) {
            Some(model) => Ok(model),
            None => self.load(database, reference),
        }
    }
}
