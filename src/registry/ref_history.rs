//! The history of a model's default version and aliases as intervals: which
//! version each name pointed at, from when, until when. Derived from the
//! pointer log (`_refs/`), which keeps every state; `firn.model_ref_history`
//! and `model_version_at(…)` both read it here.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};

use super::Registry;
use super::names;
use super::pointers::PointerEntry;
use crate::error::Result;

/// The name the default version goes by in the history.
pub const DEFAULT_REF: &str = "default";

/// One name pointing at one version for a while.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefInterval {
    /// The model.
    pub model: String,
    /// `default` or `alias`.
    pub kind: &'static str,
    /// `default`, or the alias.
    pub name: String,
    /// The version it pointed at.
    pub version: String,
    /// When it started pointing there (RFC 3339).
    pub set_at: String,
    /// When it stopped (moved, removed, version dropped); `None` while it still does.
    pub replaced_at: Option<String>,
    /// The version's comment when the name was set.
    pub comment: Option<String>,
}

/// The intervals of `model`'s pointer log `entries` (oldest first), ordered by
/// when they started, then kind and name.
pub fn intervals(model: &str, entries: &[PointerEntry]) -> Vec<RefInterval> {
    let mut closed = Vec::new();
    let mut open: BTreeMap<(&'static str, String), RefInterval> = BTreeMap::new();
    for entry in entries {
        let mut now: BTreeMap<(&'static str, String), &String> = BTreeMap::new();
        if !entry.is_model_drop() {
            if let Some(default) = &entry.state.default {
                now.insert(("default", DEFAULT_REF.to_string()), default);
            }
            for (alias, version) in &entry.state.aliases {
                now.insert(("alias", alias.clone()), version);
            }
        }
        let ended: Vec<_> = open
            .iter()
            .filter(|(key, interval)| now.get(*key).is_none_or(|v| **v != interval.version))
            .map(|(key, _)| key.clone())
            .collect();
        for key in ended {
            if let Some(mut interval) = open.remove(&key) {
                interval.replaced_at = Some(entry.changed_at.clone());
                closed.push(interval);
            }
        }
        for ((kind, name), version) in now {
            open.entry((kind, name.clone()))
                .or_insert_with(|| RefInterval {
                    model: model.to_string(),
                    kind,
                    name,
                    version: version.clone(),
                    set_at: entry.changed_at.clone(),
                    replaced_at: None,
                    comment: entry
                        .state
                        .comments
                        .get(version)
                        .filter(|c| !c.is_empty())
                        .cloned(),
                });
        }
    }
    closed.extend(open.into_values());
    closed.sort_by(|a, b| {
        (time(&a.set_at), a.kind, &a.name).cmp(&(time(&b.set_at), b.kind, &b.name))
    });
    closed
}

fn time(rfc3339: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(rfc3339).ok()
}

/// The interval in which `name` (`default` or an alias) pointed somewhere at `at`.
pub fn named_at<'a>(
    intervals: &'a [RefInterval],
    name: &str,
    at: DateTime<FixedOffset>,
) -> Option<&'a RefInterval> {
    intervals.iter().find(|i| {
        i.name == name
            && time(&i.set_at).is_some_and(|set| set <= at)
            && i.replaced_at
                .as_deref()
                .is_none_or(|replaced| time(replaced).is_some_and(|r| at < r))
    })
}

impl Registry {
    /// The history of model `name`'s default version and aliases.
    pub async fn ref_history(&self, name: &str) -> Result<Vec<RefInterval>> {
        let name = names::model_name(name)?;
        let entries = self.history(&name).await?;
        Ok(intervals(&name, &entries))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{backends, publish_versions};
    use super::*;

    #[tokio::test]
    async fn intervals_follow_every_move_of_the_default_and_the_aliases() {
        for b in backends().await {
            let reg = &b.registry;
            publish_versions(reg, "m", &["v1", "v2", "v3"]).await;
            reg.set_alias("m", "v1", "champion").await.expect("alias");
            reg.set_alias("m", "v2", "champion").await.expect("moves");
            reg.set_default("m", "v3").await.expect("default");
            reg.remove_alias("m", "champion").await.expect("removes");
            let history = reg.ref_history("m").await.expect("history");
            let rows: Vec<(&str, &str, bool)> = history
                .iter()
                .map(|i| (i.name.as_str(), i.version.as_str(), i.replaced_at.is_some()))
                .collect();
            assert_eq!(
                rows,
                [
                    ("default", "v1", true),
                    ("champion", "v1", true),
                    ("champion", "v2", true),
                    ("default", "v3", false),
                ],
                "{}",
                b.label
            );
            // Each interval ends when the next begins.
            assert_eq!(
                history[1].replaced_at.as_deref(),
                Some(history[2].set_at.as_str())
            );
            let during = time(&history[2].set_at).expect("time");
            let at = named_at(&history, "champion", during).expect("champion then");
            assert_eq!(at.version, "v2");
            let before = time(&history[0].set_at).expect("time") - chrono::TimeDelta::seconds(1);
            assert!(named_at(&history, "default", before).is_none());
        }
    }
}
