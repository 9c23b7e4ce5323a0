//! The settings a cluster's processes must agree on. A client's session
//! settings travel with every job to the scheduler and into every task, but
//! Ballista drops keys no registered extension claims, so the scheduler and
//! the executors build their configurations here too.

use std::any::Any;

use ballista_core::extension::SessionConfigExt;
use datafusion::common::config::{ConfigEntry, ConfigExtension, ConfigOptions, ExtensionOptions};
use datafusion::common::{Result, config_err};
use datafusion::prelude::SessionConfig;

/// Where the cluster's processes find the database a query reads.
///
/// Written by hand rather than with `extensions_options!`: that macro lists its
/// entries without the `firn_cluster.` prefix, and Ballista ships a client's
/// settings as the keys `entries()` gives, so the receiving side could not
/// place them.
#[derive(Debug, Clone, Default)]
pub struct ClusterSettings {
    /// The database's URL (`file:///…/` or `s3://bucket/prefix/`): executors
    /// read its models (read-only) from here. Empty: the query reads no model.
    pub database_url: String,
}

const DATABASE_URL: &str = "database_url";

impl ExtensionOptions for ClusterSettings {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn cloned(&self) -> Box<dyn ExtensionOptions> {
        Box::new(self.clone())
    }

    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        match key {
            DATABASE_URL => {
                self.database_url = value.to_string();
                Ok(())
            }
            _ => config_err!(
                "unknown setting '{}.{key}'; expected {DATABASE_URL}",
                Self::PREFIX
            ),
        }
    }

    fn entries(&self) -> Vec<ConfigEntry> {
        vec![ConfigEntry {
            key: format!("{}.{DATABASE_URL}", Self::PREFIX),
            value: Some(self.database_url.clone()),
            description: "the URL of the database whose models executors read",
        }]
    }
}

impl ConfigExtension for ClusterSettings {
    const PREFIX: &'static str = "firn_cluster";
}

/// The database URL a query's settings name, if any.
pub(crate) fn database_url(options: &ConfigOptions) -> Option<&str> {
    options
        .extensions
        .get::<ClusterSettings>()
        .map(|s| s.database_url.as_str())
        .filter(|url| !url.is_empty())
}

/// A configuration the scheduler and executors start from: Ballista's
/// (restricted) defaults plus the settings tasks need. (A client's `firn.*`
/// session settings, such as its statement timeout, matter only to the client.)
pub(crate) fn cluster_config() -> SessionConfig {
    SessionConfig::new_with_ballista().with_option_extension(ClusterSettings::default())
}

/// A client session's configuration for cluster mode: Ballista's restrictions
/// (no round-robin repartitioning, no dynamic filters, …, which would hang or
/// serialise a plan split into stages) and the database URL.
pub(crate) fn client_config(config: SessionConfig, database_url: &str) -> SessionConfig {
    let settings = ClusterSettings {
        database_url: database_url.to_string(),
    };
    config
        .upgrade_for_ballista()
        .with_option_extension(settings)
}
