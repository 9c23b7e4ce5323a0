//! Scoring functions find models in the database's registry through this
//! resolver. Loading is async (object store) while DataFusion's function hooks
//! are not, so a session preloads every model a statement names before
//! planning it; the functions then read the cache.
//! Versions are immutable, so a loaded version is never stale; a reference
//! without a version is re-resolved on every statement, so a new default
//! version is picked up by the next query.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use datafusion::common::{Result as DfResult, plan_err};
use firnml_udfs::model::{ModelResolver, ScoringModel};

use crate::error::Result;
use crate::registry::{Manifest, ModelRef, Registry};

/// A model loaded for one reference: what scoring needs and what the registry says of it.
#[derive(Debug, Clone)]
pub struct ResolvedModel {
    /// The loaded model and its predictor.
    pub model: Arc<ScoringModel>,
    /// Its manifest (label, split, params, metrics …).
    pub manifest: Arc<Manifest>,
}

/// Resolves model references against a registry, caching loaded versions.
#[derive(Debug)]
pub struct RegistryResolver {
    registry: Registry,
    /// Reference as written → the model it resolved to at its last preload.
    resolved: RwLock<HashMap<String, ResolvedModel>>,
    /// `name@version` → loaded model.
    loaded: RwLock<HashMap<String, ResolvedModel>>,
}

impl RegistryResolver {
    /// A resolver over `registry`.
    pub fn new(registry: Registry) -> Self {
        Self {
            registry,
            resolved: RwLock::new(HashMap::new()),
            loaded: RwLock::new(HashMap::new()),
        }
    }

    /// Resolves `reference` now (reading the registry's pointers) and loads the
    /// version it names unless it is cached.
    pub async fn preload(&self, reference: &str) -> Result<ResolvedModel> {
        let model_ref = ModelRef::parse(reference)?;
        let (manifest, version) = self.registry.resolve(&model_ref).await?;
        let key = format!("{}@{version}", manifest.name);
        let cached = self
            .loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        let resolved = match cached {
            // Comments are mutable: keep the loaded model, take the fresh manifest.
            Some(cached) => ResolvedModel {
                model: cached.model,
                manifest: Arc::new(manifest),
            },
            None => {
                let (manifest, ensemble) = self
                    .registry
                    .load(&ModelRef::at(&manifest.name, &version)?)
                    .await?;
                let resolved = ResolvedModel {
                    model: Arc::new(ScoringModel::new(key.clone(), ensemble)),
                    manifest: Arc::new(manifest),
                };
                self.loaded
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, resolved.clone());
                resolved
            }
        };
        let mut references = self.resolved.write().unwrap_or_else(|e| e.into_inner());
        // Planning pins the reference to the version it names (`predict` rewrites
        // 'churn' to 'churn@v3'), and the pinned form must resolve too.
        references.insert(resolved.model.reference.clone(), resolved.clone());
        references.insert(reference.to_string(), resolved.clone());
        Ok(resolved)
    }

    /// The model `reference` resolved to at its last preload.
    pub fn resolved(&self, reference: &str) -> DfResult<ResolvedModel> {
        match self
            .resolved
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(reference)
        {
            Some(resolved) => Ok(resolved.clone()),
            None => plan_err!(
                "model '{reference}' was not loaded for this statement; name the model with a string literal \
                 as the first argument"
            ),
        }
    }
}

impl ModelResolver for RegistryResolver {
    fn resolve(&self, reference: &str) -> DfResult<Arc<ScoringModel>> {
        Ok(self.resolved(reference)?.model)
    }
}
