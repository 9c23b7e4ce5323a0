//! Where a database lives: an `object_store` plus the root path and URL of the
//! database inside it. Every byte Firn persists goes through this type.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use datafusion::datasource::listing::ListingTableUrl;
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use url::Url;

use crate::error::{Error, Result};
use crate::storage::s3::{self, S3Location};

/// The object store holding one database, and where the database sits in it.
#[derive(Debug)]
pub struct DatabaseStore {
    store: Arc<dyn ObjectStore>,
    /// Path of the database root inside `store`.
    root: Path,
    /// URL of the database root, always ending in `/`.
    base_url: Url,
    /// Local directory of the database, when it is on the local file system.
    local_dir: Option<PathBuf>,
    /// Bucket, prefix and endpoint, when the database is in S3.
    s3: Option<S3Location>,
}

/// The outcome of a put-if-absent write.
#[derive(Debug, PartialEq, Eq)]
pub enum PutOutcome {
    /// The object was written.
    Written,
    /// Another writer created the object first; nothing was written.
    AlreadyExists,
}

impl DatabaseStore {
    /// A database in a local directory (created if missing).
    pub fn local(dir: &FsPath) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::io(
                format!("cannot create database directory '{}'", dir.display()),
                e,
            )
        })?;
        let dir = std::fs::canonicalize(dir).map_err(|e| {
            Error::io(
                format!("cannot resolve database directory '{}'", dir.display()),
                e,
            )
        })?;
        let root = Path::from_filesystem_path(&dir).map_err(|e| {
            Error::Unsupported(format!(
                "'{}' cannot be used as a database path: {e}",
                dir.display()
            ))
        })?;
        let base_url = Url::from_directory_path(&dir).map_err(|()| {
            Error::Unsupported(format!(
                "'{}' cannot be expressed as a file URL",
                dir.display()
            ))
        })?;
        Ok(Self {
            store: Arc::new(LocalFileSystem::new()),
            root,
            base_url,
            local_dir: Some(dir),
            s3: None,
        })
    }

    /// A database under `s3://bucket/prefix`; endpoint, region and credentials
    /// come from the `AWS_*` environment variables (see [`crate::storage::s3`]).
    /// Nothing is requested yet: [`DatabaseStore::list_top`] is the first call.
    pub fn s3(url: &Url) -> Result<Self> {
        let location = S3Location::parse(url)?;
        Ok(Self {
            store: s3::object_store_for(url)?,
            root: location.prefix().clone(),
            base_url: location.base_url()?,
            local_dir: None,
            s3: Some(location),
        })
    }

    /// A database held in memory; gone when the process ends.
    pub fn memory() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        // The host makes the URL unique so several in-memory databases can share a runtime.
        #[allow(clippy::expect_used, reason = "a scheme and a hex host always parse")]
        let base_url = Url::parse(&format!("memory://firn-{id}/")).expect("static URL is valid");
        Self {
            store: Arc::new(InMemory::new()),
            root: Path::default(),
            base_url,
            local_dir: None,
            s3: None,
        }
    }

    /// The underlying object store.
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// URL of the database root (ends in `/`).
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The URL that identifies the object store in DataFusion's registry (scheme and host).
    pub fn store_url(&self) -> Url {
        let mut url = self.base_url.clone();
        url.set_path("/");
        url
    }

    /// The local directory, for databases on the local file system.
    pub fn local_dir(&self) -> Option<&FsPath> {
        self.local_dir.as_deref()
    }

    /// A human-readable location for messages (never with credentials).
    pub fn display_location(&self) -> String {
        match (&self.local_dir, &self.s3) {
            (Some(dir), _) => dir.display().to_string(),
            (None, Some(s3)) => s3.display(),
            (None, None) => self.base_url.to_string(),
        }
    }

    /// Whether `location` (a URL written in SQL) lies inside this database in
    /// its object store; local paths are for `session::file_access` to judge.
    pub fn holds_url(&self, location: &str) -> bool {
        if self.local_dir.is_some() {
            return false;
        }
        let Ok(url) = Url::parse(location) else {
            return false;
        };
        if url.scheme() != self.base_url.scheme() || url.host_str() != self.base_url.host_str() {
            return false;
        }
        // Compared as object paths, so `db1` does not hold `db10` and `a/../b` is resolved away.
        match Path::from_url_path(url.path()) {
            Ok(path) => path.prefix_matches(&self.root),
            Err(_) => true,
        }
    }

    /// The names of the objects and "directories" at the top of the database,
    /// for a database in S3. This is an open's first request: a missing bucket,
    /// refused credentials or an endpoint that does not answer fail here, quickly,
    /// with an error naming the bucket and endpoint.
    pub async fn list_top(&self) -> Result<Vec<String>> {
        let listing = match &self.s3 {
            Some(location) => s3::list_top(self.store.as_ref(), location).await?,
            None => self.store.list_with_delimiter(Some(&self.root)).await?,
        };
        let objects = listing.objects.iter().map(|o| &o.location);
        Ok(objects
            .chain(&listing.common_prefixes)
            .filter_map(|p| p.filename().map(str::to_string))
            .collect())
    }

    /// The store path of `relative` (a `/`-separated path inside the database).
    pub fn path(&self, relative: &str) -> Path {
        relative
            .split('/')
            .filter(|part| !part.is_empty())
            .fold(self.root.clone(), |path, part| path.join(part))
    }

    /// The path of `path` relative to the database root, `/`-separated.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let parts: Vec<_> = path.prefix_match(&self.root)?.collect();
        Some(
            parts
                .iter()
                .map(|p| p.as_ref())
                .collect::<Vec<_>>()
                .join("/"),
        )
    }

    /// `path` as messages show it: relative to the database, never a machine path.
    pub fn display_path(&self, path: &Path) -> String {
        self.relative(path).unwrap_or_else(|| path.to_string())
    }

    /// The URL DataFusion uses to read the object at `relative`.
    pub fn listing_url(&self, relative: &str) -> Result<ListingTableUrl> {
        let url = self.base_url.join(relative).map_err(|e| {
            Error::Unsupported(format!("invalid path '{relative}' in database: {e}"))
        })?;
        Ok(ListingTableUrl::parse(url.as_str())?)
    }

    /// Reads a whole object, or `None` when it does not exist.
    pub async fn get(&self, path: &Path) -> Result<Option<Bytes>> {
        match self.store.get(path).await {
            Ok(result) => Ok(Some(result.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes an object atomically, replacing any previous one.
    pub async fn put(&self, path: &Path, bytes: Bytes) -> Result<()> {
        self.store.put(path, PutPayload::from(bytes)).await?;
        Ok(())
    }

    /// Writes an object atomically only if nothing exists at `path` yet.
    pub async fn put_if_absent(&self, path: &Path, bytes: Bytes) -> Result<PutOutcome> {
        let opts = PutOptions::from(PutMode::Create);
        match self
            .store
            .put_opts(path, PutPayload::from(bytes.clone()), opts)
            .await
        {
            Ok(_) => Ok(PutOutcome::Written),
            Err(object_store::Error::AlreadyExists { .. }) if self.s3.is_some() => {
                // The S3 client retries a put that got a server error; when the first
                // attempt had landed, the retry finds the object. Our own bytes there
                // mean this writer won (commits hold unique file names and times).
                match self.get(path).await? {
                    Some(existing) if existing == bytes => Ok(PutOutcome::Written),
                    _ => Ok(PutOutcome::AlreadyExists),
                }
            }
            Err(object_store::Error::AlreadyExists { .. }) => Ok(PutOutcome::AlreadyExists),
            Err(e) => Err(e.into()),
        }
    }

    /// Every object below `prefix` (recursively).
    pub async fn list(&self, prefix: &Path) -> Result<Vec<ObjectMeta>> {
        Ok(self.store.list(Some(prefix)).try_collect().await?)
    }

    /// The names of the immediate sub-directories of `prefix`.
    pub async fn list_dirs(&self, prefix: &Path) -> Result<Vec<String>> {
        let listing = self.store.list_with_delimiter(Some(prefix)).await?;
        Ok(listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect())
    }

    /// Deletes one object; a missing object is not an error.
    pub async fn delete(&self, path: &Path) -> Result<()> {
        match self.store.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes everything below `prefix`.
    pub async fn delete_all(&self, prefix: &Path) -> Result<()> {
        for meta in self.list(prefix).await? {
            self.delete(&meta.location).await?;
        }
        if let Some(dir) = &self.local_dir {
            // LocalFileSystem leaves empty directories behind; tidy them (best effort).
            if let Some(relative) = self.relative(prefix) {
                let _ = std::fs::remove_dir_all(dir.join(relative));
            }
        }
        Ok(())
    }
}
