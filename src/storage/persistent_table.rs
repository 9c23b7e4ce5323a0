//! A table persisted as Parquet files in the database, versioned by its commit log.

use std::fmt;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::{DataFusionError, not_impl_err, plan_err};
use datafusion::datasource::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig};
use datafusion::datasource::sink::{DataSink, DataSinkExec};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::parquet::arrow::ParquetRecordBatchStreamBuilder;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan};

use crate::error::{Error, Result};
use crate::storage::data_writer::write_data_file;
use crate::storage::store::{DatabaseStore, PutOutcome};
use crate::storage::table_log::{self, Commit, DataFile, Operation, table_dir};

/// How many times an append retries when another writer commits first.
const MAX_COMMIT_ATTEMPTS: usize = 16;

/// A persistent table: a cheap handle, clones share one snapshot.
#[derive(Clone)]
pub struct PersistentTable {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    /// The table's directory in the database (`tables/<name>` for user tables).
    dir: String,
    store: Arc<DatabaseStore>,
    snapshot: RwLock<Arc<Snapshot>>,
}

/// One version of the table, ready to scan.
struct Snapshot {
    commit: Commit,
    schema: SchemaRef,
    listing: Arc<ListingTable>,
}

impl fmt::Debug for PersistentTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersistentTable")
            .field("name", &self.inner.name)
            .field("version", &self.snapshot().commit.version)
            .finish()
    }
}

impl PersistentTable {
    /// Opens the newest version of `name`, or `None` if it does not exist or was dropped.
    pub async fn open(store: Arc<DatabaseStore>, name: &str) -> Result<Option<Self>> {
        Self::open_at(store, name, &table_dir(name)).await
    }

    /// Opens the newest version of the table kept in directory `dir` (Firn's
    /// own tables live outside `tables/`), or `None` if there is none.
    pub async fn open_at(store: Arc<DatabaseStore>, name: &str, dir: &str) -> Result<Option<Self>> {
        match table_log::latest_commit(&store, dir).await? {
            Some(commit) if !commit.is_drop() => {
                let snapshot = Snapshot::load(&store, dir, commit, None).await?;
                Ok(Some(Self::from_snapshot(store, name, dir, snapshot)))
            }
            _ => Ok(None),
        }
    }

    /// Creates (or, with `replace`, replaces) table `name` with the rows of `stream`.
    /// The table becomes visible atomically when its commit is published.
    pub async fn create(
        store: Arc<DatabaseStore>,
        name: &str,
        schema: SchemaRef,
        stream: SendableRecordBatchStream,
        replace: bool,
    ) -> Result<Self> {
        Self::create_at(store, name, &table_dir(name), schema, stream, replace).await
    }

    /// [`PersistentTable::create`] for a table kept in directory `dir`.
    pub async fn create_at(
        store: Arc<DatabaseStore>,
        name: &str,
        dir: &str,
        schema: SchemaRef,
        stream: SendableRecordBatchStream,
        replace: bool,
    ) -> Result<Self> {
        let previous = table_log::latest_commit(&store, dir).await?;
        let live_previous = previous.as_ref().filter(|c| !c.is_drop());
        if live_previous.is_some() && !replace {
            return Err(DataFusionError::Plan(format!("table '{name}' already exists")).into());
        }
        let file = write_data_file(&store, dir, Arc::clone(&schema), stream).await?;
        let operation = if live_previous.is_some() {
            Operation::Replace
        } else {
            Operation::Create
        };
        let commit = table_log::next_commit(previous.as_ref(), operation, vec![file]);
        if table_log::publish(&store, dir, &commit).await? == PutOutcome::AlreadyExists {
            remove_files(&store, dir, &commit.files).await;
            return Err(DataFusionError::Execution(format!(
                "table '{name}' was changed by another writer at the same time \
                 (version {} already exists); nothing was written",
                commit.version
            ))
            .into());
        }
        if let Some(old) = live_previous {
            remove_files(&store, dir, &old.files).await;
        }
        let snapshot = Snapshot::load(&store, dir, commit, Some(schema)).await?;
        Ok(Self::from_snapshot(store, name, dir, snapshot))
    }

    /// Marks the table dropped (an atomic tombstone commit), then deletes its files.
    pub async fn drop_table(&self) -> Result<()> {
        let store = &self.inner.store;
        let name = &self.inner.name;
        let dir = &self.inner.dir;
        let latest = table_log::latest_commit(store, dir).await?;
        let tombstone = table_log::next_commit(latest.as_ref(), Operation::Drop, vec![]);
        if table_log::publish(store, dir, &tombstone).await? == PutOutcome::AlreadyExists {
            return Err(DataFusionError::Execution(format!(
                "table '{name}' was changed by another writer while being dropped; try again"
            ))
            .into());
        }
        // The tombstone already hides the table; removing the files is tidying up.
        store.delete_all(&store.path(dir)).await
    }

    /// Removes the files of table `name` when it cannot be opened (its commit
    /// log is damaged, so no tombstone can follow it). A crash part-way leaves
    /// a table that is still damaged, and `DROP TABLE` again finishes the job.
    pub async fn remove_damaged(store: &DatabaseStore, name: &str) -> Result<()> {
        store.delete_all(&store.path(&table_dir(name))).await
    }

    fn from_snapshot(store: Arc<DatabaseStore>, name: &str, dir: &str, snapshot: Snapshot) -> Self {
        Self {
            inner: Arc::new(Inner {
                name: name.to_string(),
                dir: dir.to_string(),
                store,
                snapshot: RwLock::new(Arc::new(snapshot)),
            }),
        }
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The table's directory in the database.
    pub fn dir(&self) -> &str {
        &self.inner.dir
    }

    /// The commit of the version this handle currently reads.
    pub fn commit(&self) -> Commit {
        self.snapshot().commit.clone()
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        // A poisoned lock only means a panic elsewhere mid-swap of an Arc; the value is intact.
        Arc::clone(
            &self
                .inner
                .snapshot
                .read()
                .unwrap_or_else(|e| e.into_inner()),
        )
    }

    fn set_snapshot(&self, snapshot: Snapshot) {
        *self
            .inner
            .snapshot
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(snapshot);
    }

    /// Picks up versions committed by other sessions or processes.
    pub async fn refresh(&self) -> Result<()> {
        let current = self.snapshot();
        let Some(latest) = table_log::latest_commit(&self.inner.store, &self.inner.dir).await?
        else {
            return Ok(());
        };
        if latest.version == current.commit.version || latest.is_drop() {
            return Ok(());
        }
        let snapshot = Snapshot::load(
            &self.inner.store,
            &self.inner.dir,
            latest,
            Some(Arc::clone(&current.schema)),
        )
        .await?;
        self.set_snapshot(snapshot);
        Ok(())
    }

    /// Appends (or with `overwrite`, replaces all rows with) the rows of `stream`.
    pub async fn write(&self, stream: SendableRecordBatchStream, overwrite: bool) -> Result<u64> {
        let store = &self.inner.store;
        let name = &self.inner.name;
        let dir = &self.inner.dir;
        let schema = Arc::clone(&self.snapshot().schema);
        let file = write_data_file(store, dir, Arc::clone(&schema), stream).await?;
        let rows = file.rows;
        for _ in 0..MAX_COMMIT_ATTEMPTS {
            let latest = match table_log::latest_commit(store, dir).await? {
                Some(c) if !c.is_drop() => c,
                _ => {
                    remove_files(store, dir, std::slice::from_ref(&file)).await;
                    return plan_err!("table '{name}' was dropped while rows were written to it")
                        .map_err(Error::from);
                }
            };
            let (operation, files) = if overwrite {
                (Operation::Overwrite, vec![file.clone()])
            } else {
                let mut files = latest.files.clone();
                files.push(file.clone());
                (Operation::Append, files)
            };
            let commit = table_log::next_commit(Some(&latest), operation, files);
            if table_log::publish(store, dir, &commit).await? == PutOutcome::Written {
                if overwrite {
                    remove_files(store, dir, &latest.files).await;
                }
                let snapshot = Snapshot::load(store, dir, commit, Some(schema)).await?;
                self.set_snapshot(snapshot);
                return Ok(rows);
            }
            // Another writer won this version: appends commute, so try the next one.
        }
        remove_files(store, dir, std::slice::from_ref(&file)).await;
        Err(DataFusionError::Execution(format!(
            "could not commit to table '{name}': {MAX_COMMIT_ATTEMPTS} concurrent writers won first"
        ))
        .into())
    }
}

/// Best-effort removal of data files no version refers to any more.
async fn remove_files(store: &DatabaseStore, dir: &str, files: &[DataFile]) {
    for file in files {
        let _ = store
            .delete(&store.path(&format!("{dir}/{}", file.path)))
            .await;
    }
}

impl Snapshot {
    async fn load(
        store: &DatabaseStore,
        dir: &str,
        commit: Commit,
        known_schema: Option<SchemaRef>,
    ) -> Result<Self> {
        let schema = match known_schema {
            Some(schema) => schema,
            None => read_schema(store, dir, &commit).await?,
        };
        let urls = commit
            .files
            .iter()
            .map(|f| store.listing_url(&format!("{dir}/{}", f.path)))
            .collect::<Result<Vec<_>>>()?;
        let options =
            ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .with_schema(Arc::clone(&schema));
        let listing = Arc::new(ListingTable::try_new(config)?);
        Ok(Self {
            commit,
            schema,
            listing,
        })
    }
}

/// The table's schema, from the footer of its first data file.
async fn read_schema(store: &DatabaseStore, dir: &str, commit: &Commit) -> Result<SchemaRef> {
    let Some(file) = commit.files.first() else {
        return Err(Error::Corrupt {
            path: dir.to_string(),
            reason: format!("version {} lists no data files", commit.version),
        });
    };
    let path = store.path(&format!("{dir}/{}", file.path));
    // ParquetObjectReader is deprecated in parquet 59 in favour of hand-written readers;
    // for reading one footer it is still exactly right.
    #[allow(deprecated)]
    let reader = datafusion::parquet::arrow::async_reader::ParquetObjectReader::new(
        Arc::clone(store.object_store()),
        path,
    )
    .with_file_size(file.bytes);
    let builder = ParquetRecordBatchStreamBuilder::new(reader)
        .await
        .map_err(|e| Error::Corrupt {
            path: format!("{dir}/{}", file.path),
            reason: format!("not a readable Parquet file: {e}"),
        })?;
    Ok(Arc::clone(builder.schema()))
}

#[async_trait]
impl TableProvider for PersistentTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.snapshot().schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> datafusion::error::Result<Vec<TableProviderFilterPushDown>> {
        self.snapshot().listing.supports_filters_pushdown(filters)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        self.refresh().await?;
        let snapshot = self.snapshot();
        snapshot
            .listing
            .scan(state, projection, filters, limit)
            .await
    }

    async fn insert_into(
        &self,
        _state: &dyn Session,
        input: Arc<dyn ExecutionPlan>,
        insert_op: InsertOp,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let overwrite = match insert_op {
            InsertOp::Append => false,
            InsertOp::Overwrite => true,
            InsertOp::Replace => {
                return not_impl_err!("REPLACE INTO is not supported; use INSERT OVERWRITE");
            }
        };
        let sink = PersistentTableSink {
            table: self.clone(),
            schema: self.schema(),
            overwrite,
        };
        Ok(Arc::new(DataSinkExec::new(input, Arc::new(sink), None)))
    }
}

/// Receives the rows of an `INSERT` and commits them as one new version.
struct PersistentTableSink {
    table: PersistentTable,
    schema: SchemaRef,
    overwrite: bool,
}

impl fmt::Debug for PersistentTableSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersistentTableSink({})", self.table.name())
    }
}

impl DisplayAs for PersistentTableSink {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersistentTableSink: table={}", self.table.name())
    }
}

#[async_trait]
impl DataSink for PersistentTableSink {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    async fn write_all(
        &self,
        data: SendableRecordBatchStream,
        _context: &Arc<TaskContext>,
    ) -> datafusion::error::Result<u64> {
        Ok(self.table.write(data, self.overwrite).await?)
    }
}
