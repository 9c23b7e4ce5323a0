//! The commit log of a persistent table, modelled on Delta Lake's `_log`.
//!
//! A table is a directory `tables/<name>/` holding data files under `data/` and
//! numbered commits under `_log/`. Each commit names the complete list of data
//! files of that version, so a reader needs only the newest commit. A commit is
//! published with put-if-absent: of two writers of one version, one wins and the
//! other sees a conflict. Data files are written before the commit that names
//! them, so a crash never leaves a half-written version visible.

use bytes::Bytes;
use object_store::path::Path;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::storage::crash_point;
use crate::storage::store::{DatabaseStore, PutOutcome};

/// Version of the commit file format.
pub const TABLE_FORMAT_VERSION: u32 = 1;

/// What a commit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// `CREATE TABLE … AS`.
    Create,
    /// `CREATE OR REPLACE TABLE … AS`.
    Replace,
    /// `INSERT INTO`.
    Append,
    /// `INSERT OVERWRITE`.
    Overwrite,
    /// `DROP TABLE`: the table is gone from this version on.
    Drop,
}

/// One data file of a table version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFile {
    /// Path relative to the table directory, e.g. `data/<uuid>.parquet`.
    pub path: String,
    /// Number of rows in the file.
    pub rows: u64,
    /// Size of the file in bytes.
    pub bytes: u64,
}

/// One version of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// Format of this file.
    pub format_version: u32,
    /// Version number, from 0.
    pub version: u64,
    /// What produced this version.
    pub operation: Operation,
    /// All data files of this version.
    pub files: Vec<DataFile>,
    /// When it was committed (RFC 3339).
    pub committed_at: String,
}

impl Commit {
    /// Whether this version is a tombstone.
    pub fn is_drop(&self) -> bool {
        self.operation == Operation::Drop
    }
}

/// The directory of table `name` inside the database.
pub fn table_dir(name: &str) -> String {
    format!("tables/{name}")
}

fn log_dir(store: &DatabaseStore, dir: &str) -> Path {
    store.path(&format!("{dir}/_log"))
}

fn commit_path(store: &DatabaseStore, dir: &str, version: u64) -> Path {
    log_dir(store, dir).join(format!("{version:020}.json").as_str())
}

/// The newest commit of the table in directory `dir` (e.g. [`table_dir`]), or
/// `None` if it has none.
pub async fn latest_commit(store: &DatabaseStore, dir: &str) -> Result<Option<Commit>> {
    let mut newest: Option<(u64, Path)> = None;
    for meta in store.list(&log_dir(store, dir)).await? {
        let Some(version) = meta
            .location
            .filename()
            .and_then(|f| f.strip_suffix(".json"))
            .and_then(|v| v.parse::<u64>().ok())
        else {
            continue; // staging files of an in-flight put, or foreign files
        };
        if newest.as_ref().is_none_or(|(v, _)| version > *v) {
            newest = Some((version, meta.location));
        }
    }
    let Some((version, path)) = newest else {
        return Ok(None);
    };
    let bytes = store.get(&path).await?.ok_or_else(|| Error::Corrupt {
        path: store.display_path(&path),
        reason: "commit vanished while being read".into(),
    })?;
    decode_commit(&bytes, &store.display_path(&path), version).map(Some)
}

/// Reads commit `version` from the bytes of its file (`path` for messages);
/// any damage is an error naming the file.
pub fn decode_commit(bytes: &[u8], path: &str, version: u64) -> Result<Commit> {
    let commit: Commit = serde_json::from_slice(bytes).map_err(|e| Error::Corrupt {
        path: path.to_string(),
        reason: format!("not a valid table commit: {e}"),
    })?;
    if commit.format_version > TABLE_FORMAT_VERSION {
        return Err(Error::Corrupt {
            path: path.to_string(),
            reason: format!(
                "written by a newer Firn (table format {}, this build reads up to {TABLE_FORMAT_VERSION})",
                commit.format_version
            ),
        });
    }
    if commit.version != version {
        return Err(Error::Corrupt {
            path: path.to_string(),
            reason: format!(
                "file is named version {version} but says {}",
                commit.version
            ),
        });
    }
    Ok(commit)
}

/// Publishes `commit` as version `commit.version` of the table in directory `dir`.
/// Returns `AlreadyExists` when another writer published that version first.
pub async fn publish(store: &DatabaseStore, dir: &str, commit: &Commit) -> Result<PutOutcome> {
    let json = serde_json::to_vec_pretty(commit).map_err(|e| Error::Corrupt {
        path: dir.to_string(),
        reason: format!("cannot encode commit: {e}"),
    })?;
    crash_point::reached("table.before_commit");
    let outcome = store
        .put_if_absent(&commit_path(store, dir, commit.version), Bytes::from(json))
        .await?;
    crash_point::reached("table.after_commit");
    Ok(outcome)
}

/// A new commit following `previous` (or the first one).
pub fn next_commit(
    previous: Option<&Commit>,
    operation: Operation,
    files: Vec<DataFile>,
) -> Commit {
    Commit {
        format_version: TABLE_FORMAT_VERSION,
        version: previous.map_or(0, |c| c.version + 1),
        operation,
        files,
        committed_at: chrono::Utc::now().to_rfc3339(),
    }
}

/// Names of the table directories (live, dropped or damaged).
pub async fn list_table_names(store: &DatabaseStore) -> Result<Vec<String>> {
    // Whether each is live (not dropped) is for its opener to say: a damaged
    // log must not stop the listing of the others.
    let mut names = store.list_dirs(&store.path("tables")).await?;
    names.sort();
    Ok(names)
}
