//! The feature store: entities, versioned feature views and the lineage that
//! ties training sets and models back to them — all kept in the database.
//!
//! ```text
//! <db>/catalog/entities/<entity>.json                              CREATE ENTITY
//! <db>/catalog/feature_views/<view>/<version>/_log/<seq>.json      CREATE / REPLACE / DROP of a version
//! <db>/catalog/feature_views/<view>/<version>/data/<uuid>.parquet  snapshot of a MATERIALIZED version
//! <db>/catalog/table_lineage/<table>.json                          views a table was built from, last leakage check
//! ```
//!
//! Every JSON file carries a `format_version`. A version appears when its
//! revision file is published with put-if-absent, after its snapshot is
//! written; of two writers of one version exactly one wins and the other gets
//! `feature view 'x' version 'v1' already exists`. See [`create`] for the
//! checks a new version passes, [`catalog`] for how sessions see changes.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> firnml::Result<()> {
//! let db = firnml::Database::in_memory().await?;
//! db.sql("CREATE TABLE c AS SELECT 'a' AS id, 1 AS visits; \
//!         CREATE ENTITY customer KEYS (id); \
//!         CREATE FEATURE VIEW f VERSION v1 ENTITY customer AS SELECT id, visits FROM c").await?;
//! let views = db.sql("SELECT * FROM firn.feature_views WHERE feature_view = 'f'").await?;
//! assert_eq!(views[0].num_rows(), 1);
//! # Ok(()) }
//! ```

pub mod catalog;
pub mod check;
pub mod create;
pub mod definition;
mod drop;
pub mod entity;
pub mod key_check_exec;
mod layout;
pub mod leakage_report;
pub mod lineage;
pub mod names;
pub mod snapshot;
pub mod training_set;
pub mod unique;
pub mod view_table;

use std::sync::{Arc, RwLock};

use crate::error::{Error, ObjectKind, Result, corrupt, listing, plan_error};
use crate::storage::clock::{Clock, SystemClock};
use crate::storage::store::DatabaseStore;

pub use catalog::Catalog;
pub use create::NewFeatureView;
pub use definition::{ColumnRole, ViewColumn, ViewVersion};
pub use entity::NewEntity;
pub use lineage::TableLineage;
pub use names::ViewRef;

/// The feature store of one database. Share it behind an `Arc`.
#[derive(Debug)]
pub struct FeatureStore {
    store: Arc<DatabaseStore>,
    clock: Arc<dyn Clock>,
    catalog: RwLock<Arc<Catalog>>,
}

impl FeatureStore {
    /// The feature store kept in `store`, read now.
    pub async fn open(store: Arc<DatabaseStore>) -> Result<Self> {
        Self::open_with_clock(store, Arc::new(SystemClock)).await
    }

    /// Like [`FeatureStore::open`], timestamping with `clock`.
    pub async fn open_with_clock(store: Arc<DatabaseStore>, clock: Arc<dyn Clock>) -> Result<Self> {
        let catalog = Catalog::load(&store, &Catalog::default()).await?;
        Ok(Self {
            store,
            clock,
            catalog: RwLock::new(Arc::new(catalog)),
        })
    }

    /// The catalog as last read (what table functions plan against).
    pub fn catalog(&self) -> Arc<Catalog> {
        Arc::clone(&self.catalog.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Reads the catalog from storage again and returns it.
    pub async fn refresh(&self) -> Result<Arc<Catalog>> {
        let previous = self.catalog();
        let catalog = Arc::new(Catalog::load(&self.store, &previous).await?);
        *self.catalog.write().unwrap_or_else(|e| e.into_inner()) = Arc::clone(&catalog);
        Ok(catalog)
    }

    /// The storage the feature store lives in.
    pub fn store(&self) -> &Arc<DatabaseStore> {
        &self.store
    }

    /// "Now" as stored (RFC 3339, UTC, milliseconds).
    fn now(&self) -> String {
        self.clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

/// The error for a view or version the catalog does not have, listing what it has.
pub fn unknown_view(catalog: &Catalog, name: &str, version: Option<&str>) -> Error {
    if let Some(damaged) = catalog.damaged_versions(name, version).first() {
        return Error::Corrupt {
            path: layout::version_dir(&damaged.name, &damaged.version),
            reason: format!(
                "feature view {damaged} cannot be read; DROP FEATURE VIEW {} VERSION {} removes it",
                damaged.name, damaged.version
            ),
        };
    }
    let versions = catalog.versions_of(name);
    match version {
        Some(version) if !versions.is_empty() => Error::not_found(
            ObjectKind::FeatureViewVersion,
            format!("{name}:{version}"),
            format!(
                "feature view '{name}' has no version '{version}'; versions: {}",
                listing(versions.iter().map(|v| v.version.as_str()))
            ),
        ),
        _ => Error::not_found(
            ObjectKind::FeatureView,
            name,
            format!(
                "feature view '{name}' does not exist; feature views: {}",
                listing(catalog.view_names())
            ),
        ),
    }
}
