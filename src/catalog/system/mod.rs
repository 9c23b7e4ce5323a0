//! The `firn` schema: read-only system tables that show Firn's own objects —
//! models and their versions, experiments and runs, … — as SQL tables.
//!
//! A system table computes its rows from the database's storage when a query
//! scans it, so every session (and every process on the same database) sees
//! the current state. Statements such as `SHOW MODELS` are queries over them.

pub mod columns;
mod entities;
mod feature_view_columns;
mod feature_views;
mod functions;
mod model_ref_history;
mod model_versions;
mod models;
mod monitors;
mod provider;
mod run_values;
mod runs;
mod table_lineage;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::SchemaProvider;
use datafusion::common::{Result, exec_err};
use datafusion::datasource::TableProvider;

use crate::feature_store::FeatureStore;
use crate::monitoring::monitors::Monitors;
use crate::registry::Registry;
use crate::tracking::Tracking;

pub use entities::EntitiesTable;
pub use feature_view_columns::FeatureViewColumnsTable;
pub use feature_views::FeatureViewsTable;
pub use functions::FunctionsTable;
pub use model_ref_history::{ModelRefHistoryTable, ref_history_batch, ref_history_schema};
pub use model_versions::ModelVersionsTable;
pub use models::ModelsTable;
pub use monitors::{
    MonitorResultsTable, MonitorsTable, monitor_results_batch, monitor_results_schema,
};
pub use provider::SystemTableProvider;
pub use run_values::{RunMetricsTable, RunParamsTable};
pub use runs::{ExperimentsTable, RunsTable};
pub use table_lineage::TableLineageTable;

/// The schema that holds the system tables: `SELECT * FROM firn.models`.
pub const SYSTEM_SCHEMA: &str = "firn";

/// The system tables every database has (more join as Firn grows).
pub fn system_schema(
    registry: &Registry,
    tracking: &Tracking,
    features: &Arc<FeatureStore>,
    monitors: &Monitors,
) -> SystemSchema {
    SystemSchema::new()
        .with_table(Arc::new(ModelsTable::new(registry.clone())))
        .with_table(Arc::new(ModelVersionsTable::new(registry.clone())))
        .with_table(Arc::new(ModelRefHistoryTable::new(registry.clone())))
        .with_table(Arc::new(ExperimentsTable::new(tracking.clone())))
        .with_table(Arc::new(RunsTable::new(tracking.clone())))
        .with_table(Arc::new(RunParamsTable::new(tracking.clone())))
        .with_table(Arc::new(RunMetricsTable::new(tracking.clone())))
        .with_table(Arc::new(EntitiesTable::new(Arc::clone(features))))
        .with_table(Arc::new(FeatureViewsTable::new(Arc::clone(features))))
        .with_table(Arc::new(FeatureViewColumnsTable::new(Arc::clone(features))))
        .with_table(Arc::new(TableLineageTable::new(Arc::clone(features))))
        .with_table(Arc::new(MonitorsTable::new(monitors.clone())))
        .with_table(Arc::new(MonitorResultsTable::new(monitors.clone())))
        .with_table(Arc::new(FunctionsTable))
}

/// One system table: a fixed schema and rows computed on demand.
#[async_trait]
pub trait SystemTable: Debug + Send + Sync {
    /// The table's name inside the `firn` schema.
    fn name(&self) -> &'static str;
    /// The table's columns.
    fn schema(&self) -> SchemaRef;
    /// The table's current rows.
    async fn batches(&self) -> Result<Vec<RecordBatch>>;

    /// Whether `INSERT INTO firn.<name>` is allowed.
    fn accepts_inserts(&self) -> bool {
        false
    }

    /// Takes the rows of an `INSERT` (all of them, in one call); returns how many it took.
    async fn insert(&self, _batches: Vec<RecordBatch>) -> Result<u64> {
        exec_err!("{SYSTEM_SCHEMA}.{} is read-only", self.name())
    }
}

/// The `firn` schema: a fixed set of system tables.
#[derive(Debug, Default)]
pub struct SystemSchema {
    tables: BTreeMap<String, Arc<dyn TableProvider>>,
}

impl SystemSchema {
    /// An empty schema; add tables with [`SystemSchema::with_table`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `table`.
    pub fn with_table(mut self, table: Arc<dyn SystemTable>) -> Self {
        self.tables.insert(
            table.name().to_string(),
            Arc::new(SystemTableProvider::new(table)),
        );
        self
    }
}

#[async_trait]
impl SchemaProvider for SystemSchema {
    fn table_names(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        Ok(self.tables.get(name).cloned())
    }

    fn register_table(
        &self,
        name: String,
        _table: Arc<dyn TableProvider>,
    ) -> Result<Option<Arc<dyn TableProvider>>> {
        exec_err!(
            "the {SYSTEM_SCHEMA} schema holds Firn's system tables; cannot create '{name}' in it"
        )
    }

    fn deregister_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        exec_err!("'{SYSTEM_SCHEMA}.{name}' is a system table and cannot be dropped")
    }

    fn table_exist(&self, name: &str) -> bool {
        self.tables.contains_key(name)
    }
}
