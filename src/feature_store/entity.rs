//! Entities: what feature rows are about (a customer, a product…), named by
//! their join keys. Stored one JSON file each under `catalog/entities/`.
//!
//! An entity can be replaced (`CREATE OR REPLACE ENTITY`), but not so that the
//! keys of a feature view that uses it change, and it cannot be dropped while a
//! feature view uses it.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::names::{self, ViewRef};
use super::{FeatureStore, corrupt, layout, listing, plan_error};
use crate::error::{Error, ObjectKind, Result};
use crate::storage::store::PutOutcome;

/// Version of the entity file format this build writes and reads.
pub const ENTITY_FORMAT_VERSION: u32 = 1;

/// One entity, as stored in `catalog/entities/<name>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// Format of this file ([`ENTITY_FORMAT_VERSION`]).
    pub format_version: u32,
    /// The entity's name (lower case).
    pub name: String,
    /// Its join keys, in order.
    pub keys: Vec<String>,
    /// A free-text comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
}

/// What `CREATE ENTITY` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntity {
    /// The entity's name.
    pub name: String,
    /// Its join keys (column names).
    pub keys: Vec<String>,
    /// A comment.
    pub comment: Option<String>,
    /// `IF NOT EXISTS`: an existing entity is kept as it is.
    pub if_not_exists: bool,
    /// `OR REPLACE`: an existing entity is replaced.
    pub or_replace: bool,
}

/// Decodes an entity file, checking its format version and name.
pub(super) fn decode(bytes: &[u8], path: &str, name: &str) -> Result<Entity> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| corrupt(path, format!("not valid JSON: {e}")))?;
    let format_version = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| corrupt(path, "not an entity file (no format_version)"))?;
    if format_version > u64::from(ENTITY_FORMAT_VERSION) {
        return Err(corrupt(
            path,
            format!(
                "written by a newer Firn (entity format {format_version}, this build reads up to {ENTITY_FORMAT_VERSION})"
            ),
        ));
    }
    let entity: Entity = serde_json::from_value(value)
        .map_err(|e| corrupt(path, format!("not a valid entity: {e}")))?;
    if entity.name != name {
        return Err(corrupt(
            path,
            format!("file describes entity '{}'", entity.name),
        ));
    }
    Ok(entity)
}

/// Checks the key list: at least one, no duplicates (ignoring case), no empty names.
fn check_keys(entity: &str, keys: &[String]) -> Result<()> {
    if keys.is_empty() {
        return Err(plan_error(format!(
            "entity '{entity}' needs at least one key column: KEYS (col, …)"
        )));
    }
    for (i, key) in keys.iter().enumerate() {
        if key.is_empty() {
            return Err(plan_error(format!(
                "entity '{entity}': key column names may not be empty"
            )));
        }
        if keys[..i].iter().any(|k| k.eq_ignore_ascii_case(key)) {
            return Err(plan_error(format!(
                "entity '{entity}': key column '{key}' is listed twice"
            )));
        }
    }
    Ok(())
}

impl FeatureStore {
    /// `CREATE [OR REPLACE] ENTITY [IF NOT EXISTS] name KEYS (…) [COMMENT '…']`.
    pub async fn create_entity(&self, new: NewEntity) -> Result<()> {
        let name = names::entity(&new.name)?;
        check_keys(&name, &new.keys)?;
        if new.if_not_exists && new.or_replace {
            return Err(plan_error(
                "'IF NOT EXISTS' cannot be combined with 'OR REPLACE'",
            ));
        }
        let catalog = self.refresh().await?;
        let entity = Entity {
            format_version: ENTITY_FORMAT_VERSION,
            name: name.clone(),
            keys: new.keys,
            comment: new.comment.filter(|c| !c.is_empty()),
            created_at: self.now(),
        };
        let path = self.store.path(&layout::entity_path(&name));
        let json = serde_json::to_vec_pretty(&entity)
            .map_err(|e| corrupt(&layout::entity_path(&name), format!("cannot encode: {e}")))?;
        match catalog.entity(&name) {
            Some(_) if new.if_not_exists => return Ok(()),
            Some(existing) if new.or_replace => {
                let users = catalog.views_of_entity(&name);
                if existing.keys != entity.keys && !users.is_empty() {
                    return Err(plan_error(format!(
                        "entity '{name}' is used by feature view {}; its keys ({}) cannot change while it is",
                        listing(users.iter().map(ViewRef::to_string)),
                        existing.keys.join(", ")
                    )));
                }
                self.store.put(&path, Bytes::from(json)).await?;
            }
            Some(_) => {
                return Err(Error::already_exists(
                    ObjectKind::Entity,
                    name.as_str(),
                    format!(
                        "entity '{name}' already exists; use CREATE OR REPLACE ENTITY to replace it"
                    ),
                ));
            }
            None => {
                if self.store.put_if_absent(&path, Bytes::from(json)).await?
                    == PutOutcome::AlreadyExists
                {
                    return Err(Error::already_exists(
                        ObjectKind::Entity,
                        name.as_str(),
                        format!("entity '{name}' already exists"),
                    ));
                }
            }
        }
        self.refresh().await?;
        Ok(())
    }

    /// `DROP ENTITY [IF EXISTS] name`: refused while a feature view uses it.
    pub async fn drop_entity(&self, name: &str, if_exists: bool) -> Result<()> {
        let name = names::entity(name)?;
        let catalog = self.refresh().await?;
        if catalog.entity_is_damaged(&name) {
            // Unreadable, so no view can be using it knowingly: remove the file.
            self.store
                .delete(&self.store.path(&layout::entity_path(&name)))
                .await?;
            self.refresh().await?;
            return Ok(());
        }
        if catalog.entity(&name).is_none() {
            if if_exists {
                return Ok(());
            }
            return Err(Error::not_found(
                ObjectKind::Entity,
                name.as_str(),
                format!(
                    "entity '{name}' does not exist; entities: {}",
                    listing(catalog.entities().map(|e| e.name.as_str()))
                ),
            ));
        }
        let users = catalog.views_of_entity(&name);
        if !users.is_empty() {
            return Err(plan_error(format!(
                "cannot drop entity '{name}': feature view {} uses it; drop {} first",
                listing(users.iter().map(ViewRef::to_string)),
                if users.len() == 1 { "it" } else { "them" }
            )));
        }
        self.store
            .delete(&self.store.path(&layout::entity_path(&name)))
            .await?;
        self.refresh().await?;
        Ok(())
    }
}
