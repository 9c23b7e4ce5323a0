//! The one way a Firn session is made. The shell, the Flight SQL server, the
//! tests and the examples all get their sessions here, so every front end sees
//! the same functions, table factories and catalog.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use datafusion::catalog::TableProviderFactory;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::SessionStateDefaults;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::catalog::case_fold::CaseFoldingFactory;
use crate::catalog::{DEFAULT_CATALOG, DEFAULT_SCHEMA};
use crate::cluster::{ClusterQueryPlanner, ClusterTarget, client_config, logical_rules};
use crate::functions;
use crate::ml::progress::{Progress, ProgressHandle};
use crate::query::day_interval_rule::DayIntervalArithmetic;
use crate::services::Services;
use crate::session::Session;
use crate::session::file_access::FileAccess;
use crate::session::statement_timeout::{self, FirnSettings};

/// Above this ratio of groups to rows (after DataFusion's probe of the first
/// rows), a partition skips its partial aggregate (DataFusion's default: 0.8).
const PARTIAL_AGGREGATION_SKIP_RATIO: f64 = 0.1;

/// Builds sessions over a database (see [`crate::Database::session_builder`]).
pub struct SessionBuilder {
    services: Arc<Services>,
    config: SessionConfig,
    file_access: FileAccess,
    cluster: Option<Arc<ClusterTarget>>,
}

impl SessionBuilder {
    /// A builder with Firn's defaults over a database's services.
    pub(crate) fn new(services: Arc<Services>) -> Self {
        let mut config = SessionConfig::new();
        // A partial aggregate keeps, in every partition, nearly every group of
        // a GROUP BY with many groups per row (customer × month snapshots: one
        // group per 4 rows), so DataFusion's default — skip it only when 80 %
        // of the rows are groups — doubles the memory on 2 partitions and
        // multiplies it by the partition count on more. Skipping at 10 % sends
        // such rows straight to the final aggregate: `sql/02`'s snapshot at 1M
        // customers peaks at 1.7 GB instead of 2.7 GB, in the same time
        // (benches/RESULTS.md); GROUP BYs with few groups keep their partial step.
        config
            .options_mut()
            .execution
            .skip_partial_aggregation_probe_ratio_threshold = PARTIAL_AGGREGATION_SKIP_RATIO;
        let config = firn_config(config);
        Self {
            services,
            config,
            file_access: FileAccess::Unrestricted,
            cluster: None,
        }
    }

    /// Replaces the DataFusion configuration (target partitions, batch size, …).
    /// Firn's catalog settings are applied on top of it.
    pub fn with_config(mut self, config: SessionConfig) -> Self {
        let timeout = statement_timeout::in_options(self.config.options());
        self.config = firn_config(config);
        self.with_statement_timeout(timeout.unwrap_or_default())
    }

    /// Stops any statement of the session that runs longer than `timeout`
    /// (zero: no limit); `SET firn.statement_timeout_seconds = N` changes it.
    pub fn with_statement_timeout(mut self, timeout: Duration) -> Self {
        if let Some(settings) = self
            .config
            .options_mut()
            .extensions
            .get_mut::<FirnSettings>()
        {
            settings.statement_timeout_seconds = timeout.as_secs();
        }
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

    /// Limits the files the session may read and write (remote sessions); see [`FileAccess`].
    pub fn with_file_access(mut self, file_access: FileAccess) -> Self {
        self.file_access = file_access;
        self
    }

    /// Runs the session's queries on the Ballista cluster at `target`: planned
    /// here, the parts that read shared files executed there (see [`crate::cluster`]).
    pub fn with_cluster(mut self, target: Arc<ClusterTarget>) -> Self {
        self.cluster = Some(target);
        self
    }

    /// The session.
    pub fn build(self) -> Session {
        let (mut config, runtime) = self.file_access.apply(&self.services, self.config);
        if self.cluster.is_some() {
            config = client_config(config, self.services.store.base_url().as_str());
        }
        let mut state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_catalog_list(Arc::clone(&self.services.catalogs))
            .with_default_features()
            .with_table_factories(case_folding_factories())
            .with_optimizer_rule(Arc::new(DayIntervalArithmetic));
        if let Some(target) = self.cluster {
            state = state
                .with_query_planner(Arc::new(ClusterQueryPlanner::new(target)))
                .with_optimizer_rules(logical_rules());
        }
        let state = state.build();
        let ctx = SessionContext::new_with_state(state);
        functions::register_all(&ctx, &self.services);
        Session::new(ctx, self.services)
    }
}

/// DataFusion's file-table factories, each wrapped to fold column names to lower case.
fn case_folding_factories() -> HashMap<String, Arc<dyn TableProviderFactory>> {
    SessionStateDefaults::default_table_factories()
        .into_iter()
        .map(|(format, inner)| (format, Arc::new(CaseFoldingFactory::new(inner)) as _))
        .collect()
}

/// Firn's catalog settings and its own `firn.*` settings on top of `config`.
fn firn_config(config: SessionConfig) -> SessionConfig {
    let config = config
        .with_information_schema(true)
        .with_default_catalog_and_schema(DEFAULT_CATALOG, DEFAULT_SCHEMA)
        .with_create_default_catalog_and_schema(false);
    if config.options().extensions.get::<FirnSettings>().is_some() {
        config
    } else {
        config.with_option_extension(FirnSettings::default())
    }
}
