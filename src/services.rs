//! The services one database offers its sessions and SQL functions: storage,
//! the SQL catalog, the model registry and its resolver, tracking, the feature
//! store and modeling. [`crate::Database`] is the public face over one
//! `Services`; sessions and functions receive the services, never the facade.

use std::sync::{Arc, Mutex};

use datafusion::catalog::{
    CatalogProvider, CatalogProviderList, MemoryCatalogProvider, MemoryCatalogProviderList,
};
use datafusion::execution::runtime_env::RuntimeEnv;

use crate::catalog::schema::FirnSchema;
use crate::catalog::system::{SYSTEM_SCHEMA, system_schema};
use crate::catalog::{DEFAULT_CATALOG, DEFAULT_SCHEMA};
use crate::error::Result;
use crate::feature_store::FeatureStore;
use crate::modeling::Modeling;
use crate::monitoring::monitors::Monitors;
use crate::registry::Registry;
use crate::scoring::resolver::RegistryResolver;
use crate::storage::clock::Clock;
use crate::storage::store::DatabaseStore;
use crate::tracking::Tracking;

/// Everything an open database holds, shared by all its sessions.
#[derive(Debug)]
pub(crate) struct Services {
    /// The object store the database lives in.
    pub store: Arc<DatabaseStore>,
    /// The `public` schema of persistent tables.
    pub schema: Arc<FirnSchema>,
    /// The catalogs every session sees (`firn.public`, `firn.firn`).
    pub catalogs: Arc<dyn CatalogProviderList>,
    /// Object stores and the memory pool shared by all queries.
    pub runtime: Arc<RuntimeEnv>,
    /// The model registry.
    pub registry: Registry,
    /// The loaded-model cache scoring functions read.
    pub resolver: Arc<RegistryResolver>,
    /// Experiments and runs.
    pub tracking: Tracking,
    /// Entities, feature views and lineage.
    pub feature_store: Arc<FeatureStore>,
    /// Training and administering models.
    pub modeling: Modeling,
    /// Monitors and their results.
    pub monitors: Monitors,
    /// Problems found while opening (definitions that could not be restored).
    warnings: Mutex<Vec<String>>,
}

impl Services {
    /// Opens the services of the database in `store` (its marker already checked).
    pub(crate) async fn open(
        store: Arc<DatabaseStore>,
        runtime: Arc<RuntimeEnv>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let schema = Arc::new(FirnSchema::open(Arc::clone(&store)).await?);
        let catalog = MemoryCatalogProvider::new();
        catalog.register_schema(DEFAULT_SCHEMA, Arc::clone(&schema) as _)?;
        let registry = Registry::with_clock(Arc::clone(&store), Arc::clone(&clock));
        let tracking = Tracking::new(Arc::clone(&store), Arc::clone(&clock));
        let feature_store = Arc::new(FeatureStore::open(Arc::clone(&store)).await?);
        let monitors = Monitors::new(Arc::clone(&store), Arc::clone(&clock));
        catalog.register_schema(
            SYSTEM_SCHEMA,
            Arc::new(system_schema(
                &registry,
                &tracking,
                &feature_store,
                &monitors,
            )),
        )?;
        let catalogs = Arc::new(MemoryCatalogProviderList::new());
        catalogs.register_catalog(DEFAULT_CATALOG.to_string(), Arc::new(catalog));
        if store.local_dir().is_none() {
            runtime.register_object_store(&store.store_url(), Arc::clone(store.object_store()));
        }
        let services = Self {
            resolver: Arc::new(RegistryResolver::new(registry.clone())),
            modeling: Modeling::new(
                registry.clone(),
                tracking.clone(),
                Arc::clone(&feature_store),
            ),
            monitors,
            store,
            schema,
            catalogs,
            runtime,
            registry,
            tracking,
            feature_store,
            warnings: Mutex::new(Vec::new()),
        };
        for damage in services.feature_store.catalog().damage() {
            services.warn(damage);
        }
        for (name, why) in services.schema.damaged_tables() {
            services.warn(format!(
                "table '{name}' is damaged and was not opened: {why}; DROP TABLE {name} removes it"
            ));
        }
        Ok(services)
    }

    /// Records a problem found while opening.
    pub(crate) fn warn(&self, message: String) {
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message);
    }

    /// The problems found while opening.
    pub(crate) fn warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
