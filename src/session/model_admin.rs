//! `ALTER MODEL` and `DROP MODEL`: changes to the registry's pointers and
//! versions. The table-function forms (`set_default_version(…)`, `drop_model(…)`
//! …) call these same functions.

use crate::error::Result;
use crate::registry::{Registry, names};
use crate::sql::{AlterModel, AlterModelAction, DropModel};

/// Applies an `ALTER MODEL`.
pub(crate) async fn alter_model(registry: &Registry, statement: &AlterModel) -> Result<()> {
    let name = &statement.name;
    match &statement.action {
        AlterModelAction::SetDefault { version } => {
            registry.set_default(name, version).await?;
        }
        AlterModelAction::SetAlias { version, alias } => {
            registry.set_alias(name, version, alias).await?;
        }
        AlterModelAction::SetComment { version, comment } => {
            registry.set_comment(name, version, comment).await?;
        }
        AlterModelAction::UnsetAlias { alias } => {
            registry.remove_alias(name, alias).await?;
        }
    }
    Ok(())
}

/// Applies a `DROP MODEL`; with `IF EXISTS` a missing model or version is no error.
pub(crate) async fn drop_model(registry: &Registry, statement: &DropModel) -> Result<()> {
    let name = names::model_name(&statement.name)?;
    if statement.if_exists {
        let exists = registry.list_models().await?.iter().any(|m| m.name == name);
        let version_exists = match (&statement.version, exists) {
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
    match &statement.version {
        Some(version) => registry.drop_version(&name, version).await,
        None => registry.drop_model(&name).await,
    }
}
