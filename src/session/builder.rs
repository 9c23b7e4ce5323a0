//! The one way a Firn session is made. The shell, the Flight SQL server, the
//! tests and the examples all get their sessions here, so every front end sees
//! the same functions, table factories and catalog.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::catalog::TableProviderFactory;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::SessionStateDefaults;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::catalog::case_fold::CaseFoldingFactory;
use crate::catalog::{DEFAULT_CATALOG, DEFAULT_SCHEMA};
use crate::database::Database;
use crate::functions;
use crate::ml::progress::{Progress, ProgressHandle};
use crate::session::Session;

/// Builds sessions over a database.
pub struct SessionBuilder {
    db: Database,
    config: SessionConfig,
}

impl SessionBuilder {
    /// A builder with Firn's defaults for `db`.
    pub fn new(db: Database) -> Self {
        let config = SessionConfig::new()
            .with_information_schema(true)
            .with_default_catalog_and_schema(DEFAULT_CATALOG, DEFAULT_SCHEMA)
            .with_create_default_catalog_and_schema(false);
        Self { db, config }
    }

    /// Replaces the DataFusion configuration (target partitions, batch size, …).
    /// Firn's catalog settings are applied on top of it.
    pub fn with_config(mut self, config: SessionConfig) -> Self {
        self.config = config
            .with_information_schema(true)
            .with_default_catalog_and_schema(DEFAULT_CATALOG, DEFAULT_SCHEMA)
            .with_create_default_catalog_and_schema(false);
        self
    }

    /// Reports the progress of training started in this session to `progress`
    /// (the interactive shell draws bars).
    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Self {
        self.config = self
            .config
            .with_extension(Arc::new(ProgressHandle(progress)));
        self
    }

    /// The session.
    pub fn build(self) -> Session {
        let state = SessionStateBuilder::new()
            .with_config(self.config)
            .with_runtime_env(self.db.runtime())
            .with_catalog_list(self.db.catalogs())
            .with_default_features()
            .with_table_factories(case_folding_factories())
            .build();
        let ctx = SessionContext::new_with_state(state);
        functions::register_all(&ctx, &self.db);
        Session::new(ctx, self.db)
    }
}

/// DataFusion's file-table factories, each wrapped to fold column names to lower case.
fn case_folding_factories() -> HashMap<String, Arc<dyn TableProviderFactory>> {
    SessionStateDefaults::default_table_factories()
        .into_iter()
        .map(|(format, inner)| (format, Arc::new(CaseFoldingFactory::new(inner)) as _))
        .collect()
}
