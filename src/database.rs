//! A Firn database: storage, catalog and the runtime shared by all its sessions.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use serde::{Deserialize, Serialize};

use crate::catalog::definitions;
use crate::cluster::ClusterTarget;
use crate::error::{Error, Result};
use crate::registry::Registry;
use crate::services::Services;
use crate::session::{Session, SessionBuilder};
use crate::storage::clock::{Clock, SystemClock};
use crate::storage::store::DatabaseStore;
use crate::tracking::Tracking;

/// The marker file that makes a directory a Firn database.
const MARKER: &str = "firn.json";
/// Version of the database layout this build writes and reads.
pub const DATABASE_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    format: String,
    format_version: u32,
    created_at: String,
}

/// An open Firn database. Cheap to clone; clones share everything.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> firnml::Result<()> {
/// let db = firnml::Database::in_memory().await?;
/// let batches = db.session().sql("CREATE TABLE t AS SELECT 41 + 1 AS answer; SELECT * FROM t").await?;
/// assert_eq!(batches[0].num_rows(), 1);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Database {
    services: Arc<Services>,
    /// The Ballista cluster sessions run their queries on, if any.
    cluster: Option<Arc<ClusterTarget>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("location", &self.location())
            .finish()
    }
}

/// Where `Database::open` should look.
enum Location {
    Local(PathBuf),
    Memory,
    S3(url::Url),
}

fn parse_location(location: &str) -> Result<Location> {
    if location == ":memory:" || location == "memory://" {
        return Ok(Location::Memory);
    }
    if let Some(rest) = location.strip_prefix("file://") {
        return Ok(Location::Local(PathBuf::from(rest)));
    }
    if location.starts_with("s3://") {
        let url = url::Url::parse(location).map_err(|e| {
            Error::Unsupported(format!(
                "'{location}' is not a valid URL ({e}); expected s3://bucket/prefix"
            ))
        })?;
        return Ok(Location::S3(url));
    }
    if let Some((scheme, _)) = location.split_once("://") {
        return Err(Error::Unsupported(format!(
            "object store scheme '{scheme}://' is not built into this Firn; \
             use a local directory, a file:// URL, s3://bucket/prefix, or :memory:"
        )));
    }
    Ok(Location::Local(PathBuf::from(location)))
}

/// How a database is opened (see [`Database::open_with`]).
#[derive(Debug, Clone, Default)]
pub struct DatabaseOptions {
    /// The most memory (bytes) all queries of all sessions may hold together.
    /// Operators that can spill to disk (sorts, aggregations, joins) do so when
    /// their share runs out; others fail with "Resources exhausted". `None`: no limit.
    pub memory_limit: Option<usize>,
    /// Run queries on the Ballista cluster whose scheduler is here
    /// (`firn cluster scheduler`); the database must be at a location every
    /// node of the cluster sees the same way. `None`: in this process.
    pub cluster: Option<ClusterTarget>,
}

impl DatabaseOptions {
    fn runtime(&self) -> Result<Arc<RuntimeEnv>> {
        let mut builder = RuntimeEnvBuilder::new();
        if let Some(limit) = self.memory_limit {
            // Fair shares between concurrent spilling operators; the largest
            // consumers are named when the pool runs out.
            let pool = TrackConsumersPool::new(FairSpillPool::new(limit), TOP_CONSUMERS);
            builder = builder.with_memory_pool(Arc::new(pool));
        }
        Ok(builder.build_arc()?)
    }
}

/// Memory consumers named in a "Resources exhausted" error.
const TOP_CONSUMERS: std::num::NonZeroUsize = std::num::NonZeroUsize::MIN.saturating_add(4);

impl Database {
    /// Opens the database at `location` (a directory, `file://` URL,
    /// `s3://bucket/prefix` or `:memory:`), creating it when the directory or
    /// prefix does not exist or is empty. An `s3://` database takes its
    /// endpoint, region and credentials from the `AWS_*` environment variables
    /// (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, …).
    pub async fn open(location: impl AsRef<str>) -> Result<Self> {
        Self::open_with(location, DatabaseOptions::default()).await
    }

    /// [`Database::open`] with options (a memory limit for a server, say).
    pub async fn open_with(location: impl AsRef<str>, options: DatabaseOptions) -> Result<Self> {
        match parse_location(location.as_ref())? {
            Location::Memory if options.cluster.is_some() => Err(Error::Unsupported(
                "a cluster's executors cannot see an in-memory database; give a database directory \
                 every node sees at the same path, or an s3:// URL"
                    .into(),
            )),
            Location::Memory => Self::from_store(Arc::new(DatabaseStore::memory()), &options).await,
            Location::Local(dir) => {
                check_local_directory(&dir)?;
                let store = Arc::new(DatabaseStore::local(&dir)?);
                check_writable(&store)?;
                Self::from_store(store, &options).await
            }
            Location::S3(url) => {
                let store = Arc::new(DatabaseStore::s3(&url)?);
                check_prefix(&store).await?;
                Self::from_store(store, &options).await
            }
        }
    }

    /// A new database held in memory; nothing is written anywhere.
    pub async fn in_memory() -> Result<Self> {
        Self::from_store(
            Arc::new(DatabaseStore::memory()),
            &DatabaseOptions::default(),
        )
        .await
    }

    /// A new in-memory database whose registry and tracking timestamp with
    /// `clock` (tests use a [`crate::storage::clock::SteppingClock`] for reproducible times).
    pub async fn in_memory_with_clock(clock: Arc<dyn Clock>) -> Result<Self> {
        let store = Arc::new(DatabaseStore::memory());
        Self::from_store_with_clock(store, &DatabaseOptions::default(), clock).await
    }

    async fn from_store(store: Arc<DatabaseStore>, options: &DatabaseOptions) -> Result<Self> {
        Self::from_store_with_clock(store, options, Arc::new(SystemClock)).await
    }

    async fn from_store_with_clock(
        store: Arc<DatabaseStore>,
        options: &DatabaseOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        if let Some(target) = &options.cluster {
            target.check_reachable().await?;
        }
        ensure_marker(&store).await?;
        let services = Services::open(store, options.runtime()?, clock).await?;
        let db = Self {
            services: Arc::new(services),
            cluster: options.cluster.clone().map(Arc::new),
        };
        db.restore_definitions().await?;
        if let Err(e) = db.services.modeling.log_pending_runs().await {
            db.services.warn(format!(
                "could not log the runs of interrupted CREATE MODELs: {e}"
            ));
        }
        Ok(db)
    }

    /// Replays stored external-table and view statements. One that fails (its file
    /// was moved, say) becomes a warning rather than making the database unopenable.
    async fn restore_definitions(&self) -> Result<()> {
        let (definitions, damaged) = definitions::load_all(&self.services.store).await?;
        for error in damaged {
            self.services
                .warn(format!("skipped a stored definition: {error}"));
        }
        if definitions.is_empty() {
            return Ok(());
        }
        let session = self.session();
        for definition in definitions {
            if let Err(e) = session.restore_definition(&definition.sql).await {
                let drop = match definition.kind {
                    definitions::RelationKind::ExternalTable => "DROP TABLE IF EXISTS",
                    definitions::RelationKind::View => "DROP VIEW IF EXISTS",
                };
                self.services.warn(format!(
                    "could not restore '{name}': {e}; {drop} {name} forgets it",
                    name = definition.name
                ));
            }
        }
        Ok(())
    }

    /// A new session: its own settings and variables, the database's tables.
    pub fn session(&self) -> Session {
        self.session_builder().build()
    }

    /// A builder for a session with settings of its own (a DataFusion
    /// configuration, restricted file access, a progress reporter).
    pub fn session_builder(&self) -> SessionBuilder {
        let builder = SessionBuilder::new(Arc::clone(&self.services));
        match &self.cluster {
            Some(target) => builder.with_cluster(Arc::clone(target)),
            None => builder,
        }
    }

    /// The cluster this database's sessions run their queries on, if any.
    pub fn cluster(&self) -> Option<&ClusterTarget> {
        self.cluster.as_deref()
    }

    /// Runs `sql` (one or more statements) in a fresh session; returns the last result.
    pub async fn sql(&self, sql: &str) -> Result<Vec<datafusion::arrow::array::RecordBatch>> {
        self.session().sql(sql).await
    }

    /// Where the database lives, for display.
    pub fn location(&self) -> String {
        self.services.store.display_location()
    }

    /// Problems found while opening (definitions that could not be restored).
    pub fn warnings(&self) -> Vec<String> {
        self.services.warnings()
    }

    /// The model registry stored in this database.
    pub fn registry(&self) -> Registry {
        self.services.registry.clone()
    }

    /// The experiments and runs logged in this database.
    pub fn tracking(&self) -> &Tracking {
        &self.services.tracking
    }

    /// The registry's models: name, default version, number of versions.
    pub async fn models(&self) -> Result<Vec<crate::registry::ModelSummary>> {
        self.registry().list_models().await
    }

    /// A scorer for single rows over the model version `reference` names
    /// (`name`, `name@version`, `name@alias`); see [`crate::scoring`].
    pub async fn scorer(&self, reference: &str) -> Result<crate::scoring::Scorer> {
        crate::scoring::Scorer::load(self.registry(), reference).await
    }

    /// Scores one row (features in the model's order) with the version
    /// `reference` names now. It reads the registry on every call; to score
    /// many rows keep a [`Database::scorer`].
    pub async fn predict(
        &self,
        reference: &str,
        row: &[crate::scoring::FeatureValue],
    ) -> Result<crate::scoring::Prediction> {
        self.scorer(reference).await?.predict(row)
    }

    /// The runtime (object stores, memory pool) shared by all sessions.
    pub fn runtime(&self) -> Arc<RuntimeEnv> {
        Arc::clone(&self.services.runtime)
    }
}

/// Refuses a location that is a file, or a non-empty directory that is not Firn's.
fn check_local_directory(dir: &FsPath) -> Result<()> {
    if dir.is_file() {
        return Err(Error::NotAFirnDatabase {
            path: dir.to_path_buf(),
        });
    }
    if !dir.is_dir() || dir.join(MARKER).is_file() {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("cannot read directory '{}'", dir.display()), e))?;
    if entries.next().is_some() {
        return Err(Error::NotAFirnDatabase {
            path: dir.to_path_buf(),
        });
    }
    Ok(())
}

/// The object-store analogue of [`check_local_directory`]: the bucket answers
/// (a clear error naming bucket and endpoint otherwise, within seconds), and a
/// non-empty prefix holds a Firn database rather than someone else's objects.
async fn check_prefix(store: &DatabaseStore) -> Result<()> {
    let top = store.list_top().await?;
    if top.is_empty() || top.iter().any(|name| name == MARKER) {
        return Ok(());
    }
    Err(Error::NotAFirnDatabase {
        path: PathBuf::from(store.display_location()),
    })
}

/// Fails early, with the reason, when the database directory cannot be written.
fn check_writable(store: &DatabaseStore) -> Result<()> {
    let Some(dir) = store.local_dir() else {
        return Ok(());
    };
    let probe = dir.join(format!(
        ".firn-write-probe-{}",
        uuid::Uuid::new_v4().simple()
    ));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(Error::ReadOnly {
            path: dir.to_path_buf(),
            reason: e.to_string(),
        }),
    }
}

/// Writes the marker of a new database, or checks the marker of an existing one.
async fn ensure_marker(store: &DatabaseStore) -> Result<()> {
    let path = store.path(MARKER);
    match store.get(&path).await? {
        Some(bytes) => {
            let marker: Marker = serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
                path: MARKER.into(),
                reason: e.to_string(),
            })?;
            if marker.format != "firn" {
                return Err(Error::Corrupt {
                    path: MARKER.into(),
                    reason: format!("format is '{}', expected 'firn'", marker.format),
                });
            }
            if marker.format_version > DATABASE_FORMAT_VERSION {
                return Err(Error::Corrupt {
                    path: MARKER.into(),
                    reason: format!(
                        "written by a newer Firn (format {}, this build reads up to {DATABASE_FORMAT_VERSION})",
                        marker.format_version
                    ),
                });
            }
            Ok(())
        }
        None => {
            let marker = Marker {
                format: "firn".into(),
                format_version: DATABASE_FORMAT_VERSION,
                created_at: chrono::Utc::now().to_rfc3339(),
            };
            let json = serde_json::to_vec_pretty(&marker).map_err(|e| Error::Corrupt {
                path: MARKER.into(),
                reason: e.to_string(),
            })?;
            // Two processes creating one database at once: whichever marker lands is fine.
            store.put_if_absent(&path, Bytes::from(json)).await?;
            Ok(())
        }
    }
}
