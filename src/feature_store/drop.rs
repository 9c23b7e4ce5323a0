//! `DROP FEATURE VIEW [IF EXISTS] name [VERSION v]`: publishes a `drop`
//! revision (a tombstone) for the version — or every version — then removes
//! the snapshot files. A version another live view's query reads cannot be
//! dropped. A dropped version's name may be created again later.

use bytes::Bytes;

use super::definition::{self, Operation, ViewVersion};
use super::names::{self, ViewRef};
use super::{FeatureStore, layout, listing, plan_error, snapshot, unknown_view};
use crate::error::Result;
use crate::storage::store::PutOutcome;

impl FeatureStore {
    /// Drops version `version` of view `name`, or every version when `version` is `None`.
    pub async fn drop_view(
        &self,
        name: &str,
        version: Option<&str>,
        if_exists: bool,
    ) -> Result<()> {
        let name = names::feature_view(name)?;
        let version = version.map(names::version).transpose()?;
        let catalog = self.refresh().await?;
        let targets: Vec<ViewVersion> = match &version {
            Some(version) => catalog
                .view(&ViewRef {
                    name: name.clone(),
                    version: version.clone(),
                })
                .map(|v| vec![(**v).clone()])
                .unwrap_or_default(),
            None => catalog
                .versions_of(&name)
                .into_iter()
                .map(|v| (**v).clone())
                .collect(),
        };
        let damaged = catalog.damaged_versions(&name, version.as_deref());
        if !damaged.is_empty() && targets.is_empty() {
            // A version whose log cannot be read gets no tombstone: its whole
            // directory (log and snapshot) goes. A crash part-way leaves it
            // still damaged, and dropping it again finishes.
            for reference in damaged {
                self.store
                    .delete_all(
                        &self
                            .store
                            .path(&layout::version_dir(&reference.name, &reference.version)),
                    )
                    .await?;
            }
            self.refresh().await?;
            return Ok(());
        }
        if targets.is_empty() {
            if if_exists {
                return Ok(());
            }
            return Err(unknown_view(&catalog, &name, version.as_deref()));
        }
        for target in &targets {
            let readers: Vec<ViewRef> = catalog
                .live_readers_of(&target.reference())
                .into_iter()
                .filter(|r| !targets.iter().any(|t| t.reference() == *r))
                .collect();
            if !readers.is_empty() {
                return Err(plan_error(format!(
                    "cannot drop feature view {}: the query of feature view {} reads it; drop {} first",
                    target.reference(),
                    listing(readers.iter().map(ViewRef::to_string)),
                    if readers.len() == 1 { "that" } else { "those" }
                )));
            }
        }
        for target in targets {
            let reference = target.reference();
            let tombstone = ViewVersion {
                revision: target.revision + 1,
                operation: Operation::Drop,
                created_at: self.now(),
                ..target.clone()
            };
            let path =
                layout::revision_path(&reference.name, &reference.version, tombstone.revision);
            let json = definition::encode(&tombstone, &path)?;
            if self
                .store
                .put_if_absent(&self.store.path(&path), Bytes::from(json))
                .await?
                == PutOutcome::AlreadyExists
            {
                self.refresh().await?;
                return Err(plan_error(format!(
                    "feature view {reference} was changed by another writer while being dropped; try again"
                )));
            }
            if let Some(files) = &target.snapshot {
                snapshot::remove(&self.store, &reference, &files.files).await;
            }
        }
        self.refresh().await?;
        Ok(())
    }
}
