//! The feature store's catalog as one immutable, in-memory value: every entity,
//! the live version of every feature view, and the tables' lineage records.
//!
//! Table functions are planned synchronously, so they read this snapshot rather
//! than storage. [`Catalog::load`] reads storage; a `FeatureStore` reloads it
//! after each of its own writes and before each statement that uses the feature
//! store, so changes by other sessions and processes are seen by the next one.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::definition::{self, ViewVersion};
use super::entity::{self, Entity};
use super::layout;
use super::lineage::{self, TableLineage};
use super::names::ViewRef;
use crate::error::Result;
use crate::storage::store::DatabaseStore;

/// Everything the feature store holds, at one moment.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    entities: BTreeMap<String, Entity>,
    /// Live versions.
    views: BTreeMap<ViewRef, Arc<ViewVersion>>,
    /// The newest revision number of every version, live or dropped.
    revisions: BTreeMap<ViewRef, u64>,
    tables: BTreeMap<String, TableLineage>,
    /// Entities that could not be read, with why.
    damaged_entities: BTreeMap<String, String>,
    /// View versions whose newest revision could not be read, with why.
    damaged_views: BTreeMap<ViewRef, String>,
    /// Lineage records that could not be read, with why.
    damaged_lineage: Vec<String>,
}

impl Catalog {
    /// Reads the catalog from `store`. Revisions already in `previous` are not
    /// read again (a revision file never changes).
    pub async fn load(store: &DatabaseStore, previous: &Catalog) -> Result<Catalog> {
        let mut catalog = Catalog::default();
        for meta in store.list(&store.path(layout::ENTITIES_DIR)).await? {
            let Some(relative) = store.relative(&meta.location) else {
                continue;
            };
            let Some(name) = relative
                .strip_prefix(layout::ENTITIES_DIR)
                .and_then(|r| r.strip_prefix('/'))
                .and_then(|r| r.strip_suffix(".json"))
            else {
                continue;
            };
            // A file deleted between listing and reading (a concurrent DROP) is skipped.
            if let Some(bytes) = store.get(&meta.location).await? {
                // One damaged file is set apart; the rest of the store works.
                match entity::decode(&bytes, &relative, name) {
                    Ok(entity) => {
                        catalog.entities.insert(entity.name.clone(), entity);
                    }
                    Err(e) => {
                        catalog
                            .damaged_entities
                            .insert(name.to_string(), e.to_string());
                    }
                }
            }
        }
        for meta in store.list(&store.path(layout::VIEWS_DIR)).await? {
            let Some(relative) = store.relative(&meta.location) else {
                continue;
            };
            if let Some((name, version, sequence)) = layout::parse_revision_path(&relative) {
                let reference = ViewRef { name, version };
                let newest = catalog.revisions.entry(reference).or_insert(sequence);
                *newest = (*newest).max(sequence);
            }
        }
        for (reference, sequence) in &catalog.revisions {
            let known = previous
                .views
                .get(reference)
                .filter(|v| v.revision == *sequence);
            let version = match known {
                Some(version) => Arc::clone(version),
                None => {
                    let path =
                        layout::revision_path(&reference.name, &reference.version, *sequence);
                    let Some(bytes) = store.get(&store.path(&path)).await? else {
                        continue;
                    };
                    match definition::decode(
                        &bytes,
                        &path,
                        &reference.name,
                        &reference.version,
                        *sequence,
                    ) {
                        Ok(version) => Arc::new(version),
                        Err(e) => {
                            catalog
                                .damaged_views
                                .insert(reference.clone(), e.to_string());
                            continue;
                        }
                    }
                }
            };
            if !version.is_drop() {
                catalog.views.insert(reference.clone(), version);
            }
        }
        for meta in store.list(&store.path(layout::TABLE_LINEAGE_DIR)).await? {
            let Some(relative) = store.relative(&meta.location) else {
                continue;
            };
            if let Some(bytes) = store.get(&meta.location).await? {
                match lineage::decode(&bytes, &relative) {
                    Ok(record) => {
                        catalog.tables.insert(record.table.clone(), record);
                    }
                    Err(e) => catalog.damaged_lineage.push(e.to_string()),
                }
            }
        }
        Ok(catalog)
    }

    /// What could not be read, one message per damaged object, naming its file.
    pub fn damage(&self) -> Vec<String> {
        let entities = self.damaged_entities.iter().map(|(name, why)| {
            format!("entity '{name}' is damaged: {why}; DROP ENTITY {name} removes it")
        });
        let views = self.damaged_views.iter().map(|(reference, why)| {
            format!(
                "feature view {reference} is damaged: {why}; DROP FEATURE VIEW {} VERSION {} removes it",
                reference.name, reference.version
            )
        });
        let lineage = self
            .damaged_lineage
            .iter()
            .map(|why| format!("a table's lineage record is damaged: {why}"));
        entities.chain(views).chain(lineage).collect()
    }

    /// Whether entity `name` exists but could not be read.
    pub fn entity_is_damaged(&self, name: &str) -> bool {
        self.damaged_entities.contains_key(name)
    }

    /// The damaged versions of view `name` (all, or only `version`).
    pub fn damaged_versions(&self, name: &str, version: Option<&str>) -> Vec<ViewRef> {
        self.damaged_views
            .keys()
            .filter(|r| r.name == name && version.is_none_or(|v| r.version == v))
            .cloned()
            .collect()
    }

    /// The entity called `name`.
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities.get(name)
    }

    /// Every entity, by name.
    pub fn entities(&self) -> impl Iterator<Item = &Entity> {
        self.entities.values()
    }

    /// Version `reference`, if it is live.
    pub fn view(&self, reference: &ViewRef) -> Option<&Arc<ViewVersion>> {
        self.views.get(reference)
    }

    /// Every live version, by view and version.
    pub fn views(&self) -> impl Iterator<Item = &Arc<ViewVersion>> {
        self.views.values()
    }

    /// The live versions of view `name`, oldest first.
    pub fn versions_of(&self, name: &str) -> Vec<&Arc<ViewVersion>> {
        let mut versions: Vec<_> = self.views.values().filter(|v| v.name == name).collect();
        versions.sort_by(|a, b| {
            (a.created_at.as_str(), a.version.as_str())
                .cmp(&(b.created_at.as_str(), b.version.as_str()))
        });
        versions
    }

    /// The names of every view with a live version.
    pub fn view_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.views.keys().map(|r| r.name.as_str()).collect();
        names.dedup();
        names
    }

    /// The newest revision number of `reference` (live or dropped).
    pub fn newest_revision(&self, reference: &ViewRef) -> Option<u64> {
        self.revisions.get(reference).copied()
    }

    /// The live versions built on entity `name`.
    pub fn views_of_entity(&self, name: &str) -> Vec<ViewRef> {
        self.views
            .values()
            .filter(|v| v.entity == name)
            .map(|v| v.reference())
            .collect()
    }

    /// The live, non-materialized versions whose query reads `reference`.
    pub fn live_readers_of(&self, reference: &ViewRef) -> Vec<ViewRef> {
        let source = lineage::view_source(reference);
        self.views
            .values()
            .filter(|v| !v.materialized && v.lineage.contains(&source))
            .map(|v| v.reference())
            .collect()
    }

    /// Every table's lineage record, by table.
    pub fn table_lineages(&self) -> impl Iterator<Item = &TableLineage> {
        self.tables.values()
    }

    /// The lineage record of table `name`.
    pub fn table_lineage(&self, name: &str) -> Option<&TableLineage> {
        self.tables.get(name)
    }
}
