//! `CREATE [OR REPLACE] FEATURE VIEW [IF NOT EXISTS] name VERSION v ENTITY e
//! [TIMESTAMP col] [MATERIALIZED] … AS query`: checks and publishes a version.
//!
//! Checks, before anything is registered: the entity exists; the query's
//! columns are uniquely named and include the entity's keys, and the
//! `TIMESTAMP` column (a DATE or TIMESTAMP) when declared; at least one other
//! column (a feature) remains; every described feature is a column; no key (or
//! timestamp) is NULL and no key (per timestamp) occurs twice — watched as the
//! query produces its rows (a materialized version's while its snapshot is
//! written, one Parquet file per partition, in parallel; a live one's over its
//! current rows), and decided exactly by a `GROUP BY` when a key hash repeats
//! (see [`super::unique`]). Only then is the revision published
//! (put-if-absent); a snapshot is removed again if anything fails.
//! A feature without a description of its own inherits the one of the
//! same-named feature of a view the query reads.
//!
//! Versions are immutable. Re-running the statement that created a version is
//! a no-op (`unchanged`); any other definition for an existing version is an
//! error unless `OR REPLACE` says to replace it (or `IF NOT EXISTS` to keep it).

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::datasource::provider_as_source;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::DataFrame;
use futures::StreamExt;

use super::catalog::Catalog;
use super::definition::{
    self, ColumnRole, Operation, SnapshotFiles, VIEW_FORMAT_VERSION, ViewColumn, ViewVersion,
};
use super::lineage::VIEW_PREFIX;
use super::names::{self, ViewRef};
use super::unique::{KeyHashes, check_unique_keys, unique_by_plan};
use super::{FeatureStore, layout, listing, plan_error, snapshot};
use crate::error::{Error, ObjectKind, Result};
use crate::storage::crash_point;
use crate::storage::store::PutOutcome;

/// What `CREATE FEATURE VIEW` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFeatureView {
    /// The view's name.
    pub name: String,
    /// The version.
    pub version: String,
    /// The entity its rows are about.
    pub entity: String,
    /// The column that says when each row's values became known.
    pub timestamp: Option<String>,
    /// A free-text comment.
    pub comment: Option<String>,
    /// Whether to store a Parquet snapshot of the rows now.
    pub materialized: bool,
    /// `(column, description)` of described features.
    pub descriptions: Vec<(String, String)>,
    /// The defining query, as SQL.
    pub query: String,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// `OR REPLACE`.
    pub or_replace: bool,
}

/// What `CREATE FEATURE VIEW` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new version.
    Created,
    /// An existing version was replaced (`OR REPLACE`).
    Replaced,
    /// The version exists with this definition (or `IF NOT EXISTS`): nothing changed.
    Unchanged,
}

impl Outcome {
    /// `created`, `replaced` or `unchanged`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Replaced => "replaced",
            Outcome::Unchanged => "unchanged",
        }
    }
}

/// Whether `data_type` can be a `TIMESTAMP` column.
pub fn is_temporal(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _)
    )
}

/// Whether `data_type` can be a join key.
fn is_key_type(data_type: &DataType) -> bool {
    data_type.is_integer()
        || matches!(
            data_type,
            DataType::Utf8
                | DataType::LargeUtf8
                | DataType::Utf8View
                | DataType::Boolean
                | DataType::Date32
                | DataType::Date64
                | DataType::Timestamp(_, _)
                | DataType::Decimal128(_, _)
                | DataType::Binary
                | DataType::FixedSizeBinary(_)
        )
}

/// Finds column `name` in the query's schema, or explains what is there.
fn require_column<'a>(
    schema: &'a Schema,
    name: &str,
    what: &str,
    reference: &ViewRef,
) -> Result<&'a DataType> {
    if let Ok(field) = schema.field_with_name(name) {
        return Ok(field.data_type());
    }
    let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let hint = columns
        .iter()
        .find(|c| c.eq_ignore_ascii_case(name))
        .map(|c| format!(" (there is \"{c}\", which differs in case)"))
        .unwrap_or_default();
    Err(plan_error(format!(
        "feature view {reference}: the query has no column '{name}' ({what}){hint}; its columns are: {}",
        columns.join(", ")
    )))
}

/// The columns of the new version, checked against the entity and the statement.
fn describe_columns(
    schema: &Schema,
    keys: &[String],
    new: &NewFeatureView,
    reference: &ViewRef,
    entity: &str,
) -> Result<Vec<ViewColumn>> {
    let mut seen = HashSet::new();
    for field in schema.fields() {
        if !seen.insert(field.name().as_str()) {
            return Err(plan_error(format!(
                "feature view {reference}: column '{}' appears more than once in the query; give each column a distinct name with AS",
                field.name()
            )));
        }
    }
    for key in keys {
        let data_type = require_column(
            schema,
            key,
            &format!("a key of entity '{entity}'"),
            reference,
        )?;
        if !is_key_type(data_type) {
            return Err(plan_error(format!(
                "feature view {reference}: key column '{key}' is {data_type}; keys must be text, integers, dates, timestamps, decimals or booleans"
            )));
        }
    }
    if let Some(ts) = &new.timestamp {
        if keys.contains(ts) {
            return Err(plan_error(format!(
                "feature view {reference}: TIMESTAMP column '{ts}' is also a key of entity '{entity}'"
            )));
        }
        let data_type = require_column(schema, ts, "the TIMESTAMP column", reference)?;
        if !is_temporal(data_type) {
            return Err(plan_error(format!(
                "feature view {reference}: TIMESTAMP column '{ts}' is {data_type}; it must be a DATE or TIMESTAMP"
            )));
        }
    }
    for (column, _) in &new.descriptions {
        require_column(schema, column, "described in FEATURES (…)", reference)?;
    }
    let columns: Vec<ViewColumn> = schema
        .fields()
        .iter()
        .map(|field| {
            let role = if keys.contains(field.name()) {
                ColumnRole::Key
            } else if new.timestamp.as_deref() == Some(field.name().as_str()) {
                ColumnRole::Timestamp
            } else {
                ColumnRole::Feature
            };
            ViewColumn {
                name: field.name().clone(),
                data_type: field.data_type().to_string(),
                nullable: field.is_nullable(),
                role,
                description: new
                    .descriptions
                    .iter()
                    .find(|(c, _)| c == field.name())
                    .map(|(_, d)| d.clone())
                    .filter(|d| !d.is_empty()),
            }
        })
        .collect();
    if !columns.iter().any(|c| c.role == ColumnRole::Feature) {
        return Err(plan_error(format!(
            "feature view {reference} has no features: the query returns only the key{} columns",
            if new.timestamp.is_some() {
                " and timestamp"
            } else {
                ""
            }
        )));
    }
    Ok(columns)
}

/// Features without a description of their own take the description of the
/// same-named feature of a feature view the query reads (v2 built on v1 keeps
/// v1's descriptions).
fn inherit_descriptions(columns: &mut [ViewColumn], lineage: &[String], catalog: &Catalog) {
    let sources: Vec<&ViewVersion> = lineage
        .iter()
        .filter_map(|entry| entry.strip_prefix(VIEW_PREFIX))
        .filter_map(|reference| ViewRef::parse(reference).ok())
        .filter_map(|reference| catalog.view(&reference).map(|v| v.as_ref()))
        .collect();
    for column in columns.iter_mut().filter(|c| c.description.is_none()) {
        column.description = sources
            .iter()
            .filter_map(|source| source.column(&column.name))
            .find_map(|c| c.description.clone());
    }
}

/// Reads every partition to the end (in parallel), for the checks they carry.
async fn drain(streams: Vec<SendableRecordBatchStream>) -> Result<()> {
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            tokio::spawn(async move {
                while let Some(batch) = stream.next().await {
                    batch?;
                }
                Ok::<_, DataFusionError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await
            .map_err(|e| DataFusionError::External(Box::new(e)))??;
    }
    Ok(())
}

impl FeatureStore {
    /// Creates (or replaces) a feature view version whose query is `plan`,
    /// planned in `state`. Returns what happened and the version as it now is.
    pub async fn create_view(
        &self,
        state: &SessionState,
        new: NewFeatureView,
        plan: LogicalPlan,
    ) -> Result<(Outcome, Arc<ViewVersion>)> {
        let reference = ViewRef::new(&new.name, &new.version)?;
        let entity_name = names::entity(&new.entity)?;
        if new.if_not_exists && new.or_replace {
            return Err(plan_error(
                "'IF NOT EXISTS' cannot be combined with 'OR REPLACE'",
            ));
        }
        let catalog = self.refresh().await?;
        let Some(entity) = catalog.entity(&entity_name) else {
            return Err(Error::not_found(
                ObjectKind::Entity,
                entity_name.as_str(),
                format!(
                    "entity '{entity_name}' does not exist; create it with CREATE ENTITY {entity_name} KEYS (…); entities: {}",
                    listing(catalog.entities().map(|e| e.name.as_str()))
                ),
            ));
        };
        let keys = entity.keys.clone();
        let existing = catalog.view(&reference).cloned();
        if let (Some(existing), true) = (&existing, new.if_not_exists) {
            return Ok((Outcome::Unchanged, Arc::clone(existing)));
        }

        let schema = plan.schema().as_arrow().clone();
        let mut columns = describe_columns(&schema, &keys, &new, &reference, &entity_name)?;
        let lineage = self.sources_of(&plan);
        inherit_descriptions(&mut columns, &lineage, &catalog);
        let mut version = ViewVersion {
            format_version: VIEW_FORMAT_VERSION,
            name: reference.name.clone(),
            version: reference.version.clone(),
            revision: catalog.newest_revision(&reference).map_or(0, |r| r + 1),
            operation: if existing.is_some() {
                Operation::Replace
            } else {
                Operation::Create
            },
            entity: entity_name.clone(),
            keys: keys.clone(),
            timestamp: new.timestamp.clone(),
            comment: new.comment.clone().filter(|c| !c.is_empty()),
            query: new.query.clone(),
            materialized: new.materialized,
            columns,
            definition_hash: definition::definition_hash(
                &entity_name,
                &keys,
                new.timestamp.as_deref(),
                new.materialized,
                &new.query,
            ),
            created_at: self.now(),
            snapshot: None,
            lineage,
        };
        if let Some(existing) = &existing
            && !new.or_replace
        {
            if existing.same_definition(&version) {
                return Ok((Outcome::Unchanged, Arc::clone(existing)));
            }
            return Err(Error::already_exists(
                ObjectKind::FeatureViewVersion,
                reference.to_string(),
                format!(
                    "feature view '{}' version '{}' already exists with a different definition \
                 ({} vs {}); versions are immutable: create a new version, or replace this one \
                 with CREATE OR REPLACE FEATURE VIEW",
                    reference.name,
                    reference.version,
                    existing.definition_hash,
                    version.definition_hash
                ),
            ));
        }

        let what = format!("feature view {reference}");
        let schema = Arc::new(schema);
        let checked: Vec<String> = keys.iter().cloned().chain(new.timestamp.clone()).collect();
        let hashes = Arc::new(KeyHashes::new(
            what.clone(),
            &schema,
            &keys,
            new.timestamp.as_deref(),
            unique_by_plan(plan.schema(), &checked),
        )?);
        let streams = DataFrame::new(state.clone(), plan.clone())
            .execute_stream_partitioned()
            .await?
            .into_iter()
            .map(|stream| hashes.watch(stream))
            .collect::<Vec<_>>();
        let timestamp = new.timestamp.as_deref();
        if new.materialized {
            let files = snapshot::write(&self.store, &reference, schema, streams).await?;
            version.snapshot = Some(files.clone());
            if hashes.is_suspect() {
                // Decide exactly, on the snapshot just written.
                let table = snapshot::listing_table(&self.store, &version)?;
                let written =
                    LogicalPlanBuilder::scan("snapshot", provider_as_source(table), None)?
                        .build()?;
                if let Err(e) = check_unique_keys(state, written, &keys, timestamp, &what).await {
                    snapshot::remove(&self.store, &reference, &files.files).await;
                    return Err(e.into());
                }
            }
        } else {
            drain(streams).await?;
            if hashes.is_suspect() {
                check_unique_keys(state, plan, &keys, timestamp, &what).await?;
            }
        }
        self.publish(&reference, &version, existing.as_deref())
            .await?;
        let outcome = if existing.is_some() {
            Outcome::Replaced
        } else {
            Outcome::Created
        };
        let catalog = self.refresh().await?;
        let published = catalog
            .view(&reference)
            .cloned()
            .unwrap_or_else(|| Arc::new(version));
        Ok((outcome, published))
    }

    /// Publishes `version` as the next revision; on a lost race removes its snapshot.
    async fn publish(
        &self,
        reference: &ViewRef,
        version: &ViewVersion,
        replaced: Option<&ViewVersion>,
    ) -> Result<()> {
        let path = layout::revision_path(&reference.name, &reference.version, version.revision);
        let json = definition::encode(version, &path)?;
        if version.snapshot.is_some() {
            crash_point::reached("feature_view.before_revision");
        }
        let written = self
            .store
            .put_if_absent(&self.store.path(&path), Bytes::from(json))
            .await;
        let snapshot_files = version
            .snapshot
            .as_ref()
            .map(|s: &SnapshotFiles| s.files.as_slice());
        match written {
            Ok(PutOutcome::Written) => {}
            Ok(PutOutcome::AlreadyExists) => {
                if let Some(files) = snapshot_files {
                    snapshot::remove(&self.store, reference, files).await;
                }
                return Err(match replaced {
                    None => Error::already_exists(
                        ObjectKind::FeatureViewVersion,
                        reference.to_string(),
                        format!(
                            "feature view '{}' version '{}' already exists",
                            reference.name, reference.version
                        ),
                    ),
                    Some(_) => plan_error(format!(
                        "feature view '{}' version '{}' was changed by another writer at the same time; nothing was written",
                        reference.name, reference.version
                    )),
                });
            }
            Err(e) => return Err(e),
        }
        if let Some(old) = replaced.and_then(|v| v.snapshot.as_ref()) {
            snapshot::remove(&self.store, reference, &old.files).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::Field;
    use datafusion::physical_plan::stream::RecordBatchStreamAdapter;

    use super::*;
    use crate::storage::store::DatabaseStore;

    async fn snapshot_of(store: &FeatureStore, reference: &ViewRef, n: i64) -> SnapshotFiles {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("n", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(StringArray::from(vec!["a"])),
                Arc::new(Int64Array::from(vec![n])),
            ],
        )
        .expect("batch");
        let stream = RecordBatchStreamAdapter::new(
            Arc::clone(&schema),
            futures::stream::iter(vec![Ok(batch)]),
        );
        snapshot::write(store.store(), reference, schema, vec![Box::pin(stream)])
            .await
            .expect("snapshot")
    }

    fn version(reference: &ViewRef, snapshot: SnapshotFiles) -> ViewVersion {
        ViewVersion {
            format_version: VIEW_FORMAT_VERSION,
            name: reference.name.clone(),
            version: reference.version.clone(),
            revision: 0,
            operation: Operation::Create,
            entity: "e".into(),
            keys: vec!["id".into()],
            timestamp: None,
            comment: None,
            query: "SELECT 1".into(),
            materialized: true,
            columns: vec![],
            definition_hash: definition::definition_hash("e", &[], None, true, "SELECT 1"),
            created_at: "2026-01-01T00:00:00.000Z".into(),
            snapshot: Some(snapshot),
            lineage: vec![],
        }
    }

    #[tokio::test]
    async fn the_loser_of_a_publication_race_gets_an_error_and_leaves_no_files() {
        let store = FeatureStore::open(Arc::new(DatabaseStore::memory()))
            .await
            .expect("store");
        let reference = ViewRef::new("f", "v1").expect("ref");
        let first = snapshot_of(&store, &reference, 1).await;
        let second = snapshot_of(&store, &reference, 2).await;
        let file = |s: &SnapshotFiles| {
            store.store().path(&format!(
                "{}/{}",
                layout::version_dir("f", "v1"),
                s.files[0].path
            ))
        };
        store
            .publish(&reference, &version(&reference, first.clone()), None)
            .await
            .expect("the first writer wins");
        let error = store
            .publish(&reference, &version(&reference, second.clone()), None)
            .await
            .expect_err("the second loses");
        assert_eq!(
            error.to_string(),
            "feature view 'f' version 'v1' already exists"
        );
        assert!(
            store
                .store()
                .get(&file(&first))
                .await
                .expect("read")
                .is_some()
        );
        assert!(
            store
                .store()
                .get(&file(&second))
                .await
                .expect("read")
                .is_none(),
            "the loser's snapshot is removed"
        );
        let catalog = store.refresh().await.expect("refresh");
        assert_eq!(
            catalog.view(&reference).and_then(|v| v.snapshot.clone()),
            Some(first)
        );
    }
}
