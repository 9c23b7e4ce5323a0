//! A feature view version as stored: one JSON revision file per change under
//! `catalog/feature_views/<view>/<version>/_log/`. The newest revision is the
//! version's state: `create`, `replace` (an explicit `CREATE OR REPLACE`) or
//! `drop`. This is a storage format with its own version
//! ([`VIEW_FORMAT_VERSION`]); a file from a newer Firn is refused, not misread.

use std::str::FromStr;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde::{Deserialize, Serialize};

use super::corrupt;
use super::names::ViewRef;
use crate::error::Result;
use crate::storage::table_log::DataFile;

/// Version of the revision file format this build writes and reads.
pub const VIEW_FORMAT_VERSION: u32 = 1;

/// What a revision did to its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// `CREATE FEATURE VIEW`.
    Create,
    /// `CREATE OR REPLACE FEATURE VIEW` of an existing version.
    Replace,
    /// `DROP FEATURE VIEW`: the version is gone from this revision on.
    Drop,
}

/// What a column of a feature view is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnRole {
    /// One of the entity's join keys.
    Key,
    /// The view's `TIMESTAMP` column: when the feature values became known.
    Timestamp,
    /// A feature.
    Feature,
}

impl ColumnRole {
    /// `key`, `timestamp` or `feature`.
    pub fn name(self) -> &'static str {
        match self {
            ColumnRole::Key => "key",
            ColumnRole::Timestamp => "timestamp",
            ColumnRole::Feature => "feature",
        }
    }
}

/// One column of a feature view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewColumn {
    /// Column name.
    pub name: String,
    /// Arrow type, as Arrow prints it (and parses it back).
    pub data_type: String,
    /// Whether it may hold NULL.
    pub nullable: bool,
    /// Key, timestamp or feature.
    pub role: ColumnRole,
    /// What the feature means (`FEATURES (col COMMENT '…')`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The Parquet snapshot of a materialized version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotFiles {
    /// Data files, relative to the version directory (`data/<uuid>.parquet`).
    pub files: Vec<DataFile>,
    /// Total rows.
    pub rows: u64,
}

/// One revision of a feature view version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewVersion {
    /// Format of this file ([`VIEW_FORMAT_VERSION`]).
    pub format_version: u32,
    /// The view's name (lower case).
    pub name: String,
    /// The version (lower case).
    pub version: String,
    /// Revision number, from 0.
    pub revision: u64,
    /// What this revision did.
    pub operation: Operation,
    /// The entity the rows are about.
    pub entity: String,
    /// The entity's keys when the version was created.
    pub keys: Vec<String>,
    /// The `TIMESTAMP` column, if declared.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// A free-text comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// The defining query, as SQL.
    pub query: String,
    /// Whether a Parquet snapshot holds the rows (otherwise the query runs when read).
    pub materialized: bool,
    /// Every column of the query, in order.
    pub columns: Vec<ViewColumn>,
    /// A hash of what determines the rows: query, entity, keys, timestamp, materialized.
    pub definition_hash: String,
    /// When this revision was written (RFC 3339, UTC).
    pub created_at: String,
    /// The snapshot of a materialized version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotFiles>,
    /// What the query reads: `feature_view:name:version`, `table:name`.
    #[serde(default)]
    pub lineage: Vec<String>,
}

impl ViewVersion {
    /// `name:version`.
    pub fn reference(&self) -> ViewRef {
        ViewRef {
            name: self.name.clone(),
            version: self.version.clone(),
        }
    }

    /// Whether this revision removed the version.
    pub fn is_drop(&self) -> bool {
        self.operation == Operation::Drop
    }

    /// The feature columns, in order.
    pub fn features(&self) -> impl Iterator<Item = &ViewColumn> {
        self.columns
            .iter()
            .filter(|c| c.role == ColumnRole::Feature)
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&ViewColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The Arrow schema of the view's rows.
    pub fn schema(&self) -> Result<SchemaRef> {
        let fields = self
            .columns
            .iter()
            .map(|c| {
                let data_type = DataType::from_str(&c.data_type).map_err(|e| {
                    corrupt(
                        &self.reference().to_string(),
                        format!(
                            "column '{}' has unreadable type '{}': {e}",
                            c.name, c.data_type
                        ),
                    )
                })?;
                Ok(Field::new(&c.name, data_type, c.nullable))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(Schema::new(fields)))
    }

    /// Same rows and same metadata: re-running the statement that made `self`.
    pub fn same_definition(&self, other: &ViewVersion) -> bool {
        self.definition_hash == other.definition_hash
            && self.comment == other.comment
            && self.columns == other.columns
    }
}

/// FNV-1a, 64 bits: a stable hash with no dependency whose algorithm may change.
pub(super) fn fnv1a64(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("fnv1a64:{hash:016x}")
}

/// The definition hash of a version.
pub(super) fn definition_hash(
    entity: &str,
    keys: &[String],
    timestamp: Option<&str>,
    materialized: bool,
    query: &str,
) -> String {
    fnv1a64(&[
        entity,
        &keys.join(","),
        timestamp.unwrap_or(""),
        if materialized { "materialized" } else { "live" },
        query,
    ])
}

/// The revision as JSON bytes.
pub(super) fn encode(version: &ViewVersion, path: &str) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(version)
        .map_err(|e| corrupt(path, format!("cannot encode feature view revision: {e}")))
}

/// Reads the revision at `path`, which must describe `name` / `version` / `revision`.
pub(super) fn decode(
    bytes: &[u8],
    path: &str,
    name: &str,
    version: &str,
    revision: u64,
) -> Result<ViewVersion> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| corrupt(path, format!("not valid JSON: {e}")))?;
    let format_version = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| corrupt(path, "not a feature view revision (no format_version)"))?;
    if format_version > u64::from(VIEW_FORMAT_VERSION) {
        return Err(corrupt(
            path,
            format!(
                "written by a newer Firn (feature view format {format_version}, this build reads up to {VIEW_FORMAT_VERSION})"
            ),
        ));
    }
    let parsed: ViewVersion = serde_json::from_value(value)
        .map_err(|e| corrupt(path, format!("not a valid feature view revision: {e}")))?;
    if parsed.name != name || parsed.version != version || parsed.revision != revision {
        return Err(corrupt(
            path,
            format!(
                "file describes {}:{} revision {}",
                parsed.name, parsed.version, parsed.revision
            ),
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::datatypes::TimeUnit;

    use super::*;

    #[test]
    fn arrow_types_survive_their_text_form() {
        for data_type in [
            DataType::Int64,
            DataType::Float64,
            DataType::Utf8,
            DataType::Utf8View,
            DataType::Date32,
            DataType::Boolean,
            DataType::Decimal128(12, 2),
            DataType::Timestamp(TimeUnit::Microsecond, None),
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        ] {
            let text = data_type.to_string();
            assert_eq!(DataType::from_str(&text).expect(&text), data_type, "{text}");
        }
    }

    #[test]
    fn hashes_are_stable_and_separate_their_parts() {
        let keys = vec!["customer_id".to_string()];
        let a = definition_hash("customer", &keys, None, false, "SELECT 1");
        assert_eq!(
            a,
            definition_hash("customer", &keys, None, false, "SELECT 1")
        );
        assert_ne!(
            a,
            definition_hash("customer", &keys, None, true, "SELECT 1")
        );
        assert_ne!(
            a,
            definition_hash("customer", &keys, Some("ts"), false, "SELECT 1")
        );
        assert_ne!(fnv1a64(&["ab", "c"]), fnv1a64(&["a", "bc"]));
        assert_eq!(fnv1a64(&[]), "fnv1a64:cbf29ce484222325");
    }
}
