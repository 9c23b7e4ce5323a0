//! Persisted definitions of external tables and views.
//!
//! Their data lives elsewhere (files, other tables), so Firn stores only the
//! statement that created them under `catalog/relations/<name>.json` and replays
//! it when the database is opened.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::schema::validate_table_name;
use crate::error::{Error, Result};
use crate::storage::store::DatabaseStore;

const RELATIONS_DIR: &str = "catalog/relations";
/// 1: external tables as DataFusion printed them (options and columns lost);
/// 2: external tables in full ([`super::external_table::definition_text`]).
const DEFINITION_FORMAT_VERSION: u32 = 2;

/// What kind of relation a definition creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    /// `CREATE EXTERNAL TABLE`.
    ExternalTable,
    /// `CREATE VIEW`.
    View,
}

/// A stored `CREATE EXTERNAL TABLE` or `CREATE VIEW` statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationDefinition {
    /// Format of this file.
    pub format_version: u32,
    /// The relation's name.
    pub name: String,
    /// External table or view.
    pub kind: RelationKind,
    /// The statement to replay (paths already absolute).
    pub sql: String,
    /// Creation time in nanoseconds since the Unix epoch; replay order.
    pub created_at_ns: i64,
}

impl RelationDefinition {
    /// A definition created now.
    pub fn new(name: &str, kind: RelationKind, sql: String) -> Self {
        Self {
            format_version: DEFINITION_FORMAT_VERSION,
            name: name.to_string(),
            kind,
            sql,
            created_at_ns: chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX),
        }
    }
}

fn file_name(name: &str) -> String {
    format!("{RELATIONS_DIR}/{name}.json")
}

/// Stores (or replaces) a definition.
pub async fn save(store: &DatabaseStore, definition: &RelationDefinition) -> Result<()> {
    validate_table_name(&definition.name)?;
    let json = serde_json::to_vec_pretty(definition).map_err(|e| Error::Corrupt {
        path: file_name(&definition.name),
        reason: format!("cannot encode definition: {e}"),
    })?;
    store
        .put(&store.path(&file_name(&definition.name)), Bytes::from(json))
        .await
}

/// Removes the definition of `name`, if any. A name that could never be
/// stored has nothing to remove (and must not reach a path).
pub async fn remove(store: &DatabaseStore, name: &str) -> Result<()> {
    if validate_table_name(name).is_err() {
        return Ok(());
    }
    store.delete(&store.path(&file_name(name))).await
}

/// Every stored definition, oldest first, and the files that could not be read
/// (damaged, or written by a newer Firn): one bad file never hides the others.
pub async fn load_all(store: &DatabaseStore) -> Result<(Vec<RelationDefinition>, Vec<Error>)> {
    let mut definitions = Vec::new();
    let mut damaged = Vec::new();
    for meta in store.list(&store.path(RELATIONS_DIR)).await? {
        if !meta.location.as_ref().ends_with(".json") {
            continue;
        }
        let Some(bytes) = store.get(&meta.location).await? else {
            continue;
        };
        match decode(&bytes) {
            Ok(definition) => definitions.push(definition),
            Err(reason) => damaged.push(Error::Corrupt {
                path: store.display_path(&meta.location),
                reason,
            }),
        }
    }
    definitions.sort_by_key(|d| d.created_at_ns);
    Ok((definitions, damaged))
}

fn decode(bytes: &[u8]) -> std::result::Result<RelationDefinition, String> {
    let definition: RelationDefinition = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a valid relation definition: {e}"))?;
    if definition.format_version > DEFINITION_FORMAT_VERSION {
        return Err(format!(
            "format version {} was written by a newer Firn (this one reads up to {})",
            definition.format_version, DEFINITION_FORMAT_VERSION
        ));
    }
    Ok(definition)
}
