//! The mutable part of a model: its default version, aliases and comments,
//! kept as a numbered log `models/<name>/_refs/<00000000000000000001>.json`.
//!
//! Each entry holds the complete pointer state after one change, plus the
//! change and when it happened, so a reader needs only the newest entry and the
//! log is the history. Entries are published with put-if-absent; a writer that
//! loses the race re-reads the newest entry, re-applies its change (re-checking
//! it against the new state) and tries the next number — like table appends in
//! [`crate::storage::table_log`].

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::{Registry, corrupt, layout};
use crate::error::{Error, Result};
use crate::storage::store::PutOutcome;

/// Version of the pointer-entry format this build writes and reads.
pub const POINTER_FORMAT_VERSION: u32 = 1;

/// How many times a pointer change is retried when other writers keep winning.
const MAX_ATTEMPTS: usize = 64;

/// The pointers of a model at one point of its history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointerState {
    /// The version `name` alone refers to.
    #[serde(default)]
    pub default: Option<String>,
    /// Alias → version.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    /// Version → current comment (overrides the manifest's; empty means none).
    #[serde(default)]
    pub comments: BTreeMap<String, String>,
    /// Versions dropped from this model. Their files may linger after a crash,
    /// but they are invisible, and their names are not reused.
    #[serde(default)]
    pub dropped_versions: BTreeSet<String>,
}

impl PointerState {
    /// The aliases pointing at `version`, sorted.
    pub fn aliases_of(&self, version: &str) -> Vec<String> {
        self.aliases
            .iter()
            .filter(|(_, v)| v.as_str() == version)
            .map(|(a, _)| a.clone())
            .collect()
    }
}

/// What one pointer entry changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    /// A version was published (and became the default when there was none).
    Published {
        /// The new version.
        version: String,
        /// Whether it became the default.
        became_default: bool,
    },
    /// The default version moved.
    SetDefault {
        /// The new default.
        version: String,
        /// The default before.
        previous: Option<String>,
    },
    /// An alias was created or moved.
    SetAlias {
        /// The alias.
        alias: String,
        /// The version it now points at.
        version: String,
        /// The version it pointed at before, if it existed.
        previous: Option<String>,
    },
    /// An alias was removed.
    RemoveAlias {
        /// The alias.
        alias: String,
        /// The version it pointed at.
        version: String,
    },
    /// A version's comment changed.
    SetComment {
        /// The version.
        version: String,
        /// The new comment (empty: none).
        comment: String,
    },
    /// A version was dropped, with the aliases that pointed at it.
    DropVersion {
        /// The dropped version.
        version: String,
        /// Aliases removed with it.
        removed_aliases: Vec<String>,
    },
    /// The whole model was dropped; its files are being deleted.
    DropModel,
}

/// One entry of a model's pointer log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointerEntry {
    /// Format of this file ([`POINTER_FORMAT_VERSION`]).
    pub format_version: u32,
    /// Position in the log, from 1 (also the file's name).
    pub sequence: u64,
    /// When the change was made (RFC 3339, UTC).
    pub changed_at: String,
    /// What changed.
    pub change: Change,
    /// The complete pointer state after the change.
    #[serde(flatten)]
    pub state: PointerState,
}

impl PointerEntry {
    /// Whether this entry is the tombstone of a dropped model.
    pub fn is_model_drop(&self) -> bool {
        self.change == Change::DropModel
    }
}

/// The live pointer state: `None` when the model has no log or was dropped.
pub(super) fn live(latest: Option<&PointerEntry>) -> Option<&PointerState> {
    latest.filter(|e| !e.is_model_drop()).map(|e| &e.state)
}

impl Registry {
    /// The sequence numbers and paths of `model`'s pointer entries, oldest first.
    pub(super) async fn pointer_files(
        &self,
        model: &str,
    ) -> Result<Vec<(u64, object_store::path::Path)>> {
        let dir = self.store.path(&layout::refs_dir(model));
        let mut files: Vec<_> = self
            .store
            .list(&dir)
            .await?
            .into_iter()
            .filter_map(|meta| {
                let sequence = meta
                    .location
                    .filename()
                    .and_then(|f| f.strip_suffix(".json"))
                    .and_then(|s| s.parse::<u64>().ok())?;
                Some((sequence, meta.location))
            })
            .collect();
        files.sort_by_key(|(sequence, _)| *sequence);
        Ok(files)
    }

    async fn read_pointer_entry(&self, model: &str, sequence: u64) -> Result<PointerEntry> {
        let relative = layout::refs_entry_path(model, sequence);
        let bytes = self
            .store
            .get(&self.store.path(&relative))
            .await?
            .ok_or_else(|| corrupt(&relative, "pointer entry vanished while being read"))?;
        decode(&bytes, &relative, sequence)
    }

    /// The newest pointer entry of `model` (a drop tombstone included), if any.
    pub(super) async fn latest_pointers(&self, model: &str) -> Result<Option<PointerEntry>> {
        match self.pointer_files(model).await?.last() {
            Some((sequence, _)) => Ok(Some(self.read_pointer_entry(model, *sequence).await?)),
            None => Ok(None),
        }
    }

    /// Every pointer entry of `model`, oldest first.
    pub(super) async fn pointer_log(&self, model: &str) -> Result<Vec<PointerEntry>> {
        let mut entries = Vec::new();
        for (sequence, _) in self.pointer_files(model).await? {
            entries.push(self.read_pointer_entry(model, sequence).await?);
        }
        Ok(entries)
    }

    /// Appends one change to `model`'s pointer log. `apply` sees the newest
    /// entry (`None` for a new log) and returns the new state and the change, or
    /// an error to give up; it runs again when another writer got there first.
    pub(super) async fn update_pointers<F>(&self, model: &str, mut apply: F) -> Result<PointerEntry>
    where
        F: FnMut(Option<&PointerEntry>) -> Result<(PointerState, Change)>,
    {
        for _ in 0..MAX_ATTEMPTS {
            let latest = self.latest_pointers(model).await?;
            let (state, change) = apply(latest.as_ref())?;
            let entry = PointerEntry {
                format_version: POINTER_FORMAT_VERSION,
                sequence: latest.as_ref().map_or(1, |e| e.sequence + 1),
                changed_at: self.now(),
                change,
                state,
            };
            let relative = layout::refs_entry_path(model, entry.sequence);
            let json = serde_json::to_vec_pretty(&entry)
                .map_err(|e| corrupt(&relative, format!("cannot encode pointer entry: {e}")))?;
            match self
                .store
                .put_if_absent(&self.store.path(&relative), Bytes::from(json))
                .await?
            {
                PutOutcome::Written => return Ok(entry),
                PutOutcome::AlreadyExists => continue,
            }
        }
        Err(Error::DataFusion(
            datafusion::error::DataFusionError::Execution(format!(
                "could not update the pointers of model '{model}': \
                 {MAX_ATTEMPTS} other changes won the race; try again"
            )),
        ))
    }
}

pub(crate) fn decode(bytes: &[u8], path: &str, sequence: u64) -> Result<PointerEntry> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| corrupt(path, format!("not valid JSON: {e}")))?;
    let Some(format_version) = value.get("format_version").and_then(|v| v.as_u64()) else {
        return Err(corrupt(path, "not a pointer entry (no format_version)"));
    };
    if format_version > u64::from(POINTER_FORMAT_VERSION) {
        return Err(corrupt(
            path,
            format!(
                "written by a newer Firn (pointer format {format_version}, this build reads up to {POINTER_FORMAT_VERSION})"
            ),
        ));
    }
    let entry: PointerEntry = serde_json::from_value(value)
        .map_err(|e| corrupt(path, format!("not a valid pointer entry: {e}")))?;
    if entry.sequence != sequence {
        return Err(corrupt(
            path,
            format!("file is numbered {sequence} but says {}", entry.sequence),
        ));
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{backends, model, new_version};
    use super::*;

    #[tokio::test]
    async fn a_writer_that_loses_the_race_reapplies_its_change_to_the_winner_state() {
        let b = backends().await.remove(0);
        assert_eq!(b.label, "memory");
        let reg = &b.registry;
        let mut attempts = 0;
        let entry = reg
            .update_pointers("m", |latest| {
                attempts += 1;
                if attempts == 1 {
                    // Another writer publishes the next entry between our read and our write.
                    let mut theirs = PointerState::default();
                    theirs.aliases.insert("theirs".into(), "v1".into());
                    let competing = PointerEntry {
                        format_version: POINTER_FORMAT_VERSION,
                        sequence: 1,
                        changed_at: "2025-01-01T00:00:00.000Z".into(),
                        change: Change::SetDefault {
                            version: "v1".into(),
                            previous: None,
                        },
                        state: theirs,
                    };
                    let json = serde_json::to_vec(&competing).expect("encodes");
                    let path = reg.store().path(&layout::refs_entry_path("m", 1));
                    let outcome =
                        futures::executor::block_on(reg.store().put_if_absent(&path, json.into()))
                            .expect("writes");
                    assert_eq!(outcome, PutOutcome::Written);
                }
                let mut state = live(latest).cloned().unwrap_or_default();
                state.aliases.insert("mine".into(), "v1".into());
                let change = Change::RemoveAlias {
                    alias: "x".into(),
                    version: "v1".into(),
                };
                Ok((state, change))
            })
            .await
            .expect("updates");
        assert_eq!(attempts, 2);
        assert_eq!(entry.sequence, 2);
        let aliases: Vec<_> = entry.state.aliases.keys().map(String::as_str).collect();
        assert_eq!(aliases, ["mine", "theirs"]);
        assert_eq!(reg.latest_pointers("m").await.expect("reads"), Some(entry));
    }

    #[tokio::test]
    async fn of_two_first_versions_published_at_once_one_is_the_default() {
        for b in backends().await {
            let reg = &b.registry;
            let (one, two) = (model(1), model(2));
            let (a, c) = tokio::join!(
                reg.publish(&one, new_version("m", "v1")),
                reg.publish(&two, new_version("m", "v2")),
            );
            a.expect("v1");
            c.expect("v2");
            // The default is set once and never changes: by the first pointer step,
            // to the oldest version (which a reader would derive before either step).
            let history = reg.history("m").await.expect("history");
            let defaults: Vec<_> = history.iter().map(|e| e.state.default.clone()).collect();
            assert!(
                defaults.iter().all(|d| d.is_some() && *d == defaults[0]),
                "{}: {history:?}",
                b.label
            );
            let state = reg.pointers("m").await.expect("pointers");
            assert_eq!(state.default, defaults[0], "{}", b.label);
            let oldest = reg.list_versions("m").await.expect("versions")[0]
                .version
                .clone();
            assert_eq!(
                state.default.as_deref(),
                Some(oldest.as_str()),
                "{}",
                b.label
            );
        }
    }
}
