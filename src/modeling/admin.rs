//! Administering models: moving the registry's pointers (default version,
//! aliases, comments) and dropping models or versions. `ALTER MODEL`,
//! `DROP MODEL` and their function forms (`set_default_version(…)`,
//! `drop_model(…)`, …) all call these.

use super::Modeling;
use crate::error::Result;
use crate::registry::names;

/// One change to a model's mutable pointers. Versions themselves never change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ModelChange {
    /// Make `version` the default version.
    SetDefault {
        /// The new default version.
        version: String,
    },
    /// Point `alias` at `version` (moving it if it exists).
    SetAlias {
        /// The version the alias points at.
        version: String,
        /// The alias.
        alias: String,
    },
    /// Set the comment of `version` (an empty text removes it).
    SetComment {
        /// The version.
        version: String,
        /// The comment.
        comment: String,
    },
    /// Remove `alias`.
    UnsetAlias {
        /// The alias to remove.
        alias: String,
    },
}

impl Modeling {
    /// Applies `change` to model `name`.
    pub(crate) async fn alter_model(&self, name: &str, change: &ModelChange) -> Result<()> {
        let registry = &self.registry;
        match change {
            ModelChange::SetDefault { version } => {
                registry.set_default(name, version).await?;
            }
            ModelChange::SetAlias { version, alias } => {
                registry.set_alias(name, version, alias).await?;
            }
            ModelChange::SetComment { version, comment } => {
                registry.set_comment(name, version, comment).await?;
            }
            ModelChange::UnsetAlias { alias } => {
                registry.remove_alias(name, alias).await?;
            }
        }
        Ok(())
    }

    /// Drops model `name`, or only its `version`; with `if_exists` a missing
    /// model or version is no error.
    pub(crate) async fn drop_model(
        &self,
        name: &str,
        version: Option<&str>,
        if_exists: bool,
    ) -> Result<()> {
        let registry = &self.registry;
        let name = names::model_name(name)?;
        if if_exists {
            let exists = registry.list_models().await?.iter().any(|m| m.name == name);
            let version_exists = match (version, exists) {
                (_, false) => false,
                (None, true) => true,
                (Some(version), true) => {
                    let version = names::version(version)?;
                    registry
                        .list_versions(&name)
                        .await?
                        .iter()
                        .any(|m| m.version == version)
                }
            };
            if !version_exists {
                return Ok(());
            }
        }
        match version {
            Some(version) => registry.drop_version(&name, version).await,
            None => registry.drop_model(&name).await,
        }
    }
}
