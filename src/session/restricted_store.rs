//! The object stores of a restricted session: every call a query makes on the
//! local file system is checked against the session's [`AllowedPaths`], and no
//! write reaches the database directory (Firn writes its own files through its
//! own store, never through a session's); other stores are refused unless they
//! hold the database itself (an in-memory one).

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use datafusion::execution::object_store::ObjectStoreRegistry;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
};
use url::Url;

use crate::session::file_access::AllowedPaths;

/// An object-store registry that hands out path-checked local stores.
#[derive(Debug)]
pub(crate) struct RestrictedRegistry {
    inner: Arc<dyn ObjectStoreRegistry>,
    allowed: Arc<AllowedPaths>,
    /// The database's directory (canonical), readable but never written.
    database_dir: Option<Arc<PathBuf>>,
    /// The database's own store (scheme and host), always reachable.
    database_url: Url,
}

impl RestrictedRegistry {
    pub(crate) fn new(
        inner: Arc<dyn ObjectStoreRegistry>,
        allowed: AllowedPaths,
        database_dir: Option<PathBuf>,
        database_url: Url,
    ) -> Self {
        Self {
            inner,
            allowed: Arc::new(allowed),
            database_dir: database_dir.map(Arc::new),
            database_url,
        }
    }
}

impl ObjectStoreRegistry for RestrictedRegistry {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.inner.register_store(url, store)
    }

    fn get_store(&self, url: &Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        let store = self.inner.get_store(url)?;
        if url.scheme() == "file" {
            return Ok(Arc::new(CheckedLocalStore {
                inner: store,
                allowed: Arc::clone(&self.allowed),
                database_dir: self.database_dir.clone(),
            }));
        }
        if url.scheme() == self.database_url.scheme()
            && url.host_str() == self.database_url.host_str()
        {
            return Ok(store);
        }
        Err(datafusion::error::DataFusionError::ObjectStore(Box::new(
            object_store::Error::PermissionDenied {
                path: url.to_string(),
                source: "this session may only use local files in allowed directories".into(),
            },
        )))
    }
}

/// A local file system store that refuses paths outside the allowed directories.
#[derive(Debug)]
struct CheckedLocalStore {
    inner: Arc<dyn ObjectStore>,
    allowed: Arc<AllowedPaths>,
    database_dir: Option<Arc<PathBuf>>,
}

impl std::fmt::Display for CheckedLocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckedLocalStore({})", self.inner)
    }
}

/// The file-system path of an object path of the local store (rooted at `/`).
fn filesystem_path(location: &Path) -> Option<PathBuf> {
    let mut url = Url::parse("file:///").ok()?;
    url.path_segments_mut().ok()?.extend(location.parts());
    url.to_file_path().ok()
}

impl CheckedLocalStore {
    fn check(&self, location: &Path) -> object_store::Result<()> {
        match filesystem_path(location) {
            Some(path) if self.allowed.permits(&path) => Ok(()),
            _ => Err(denied(location)),
        }
    }

    /// [`Self::check`], and refuses the database directory.
    fn check_write(&self, location: &Path) -> object_store::Result<()> {
        self.check(location)?;
        check_not_database(location, self.database_dir.as_deref())
    }
}

fn check_not_database(location: &Path, database_dir: Option<&PathBuf>) -> object_store::Result<()> {
    let inside = match (database_dir, filesystem_path(location)) {
        (Some(dir), Some(path)) => {
            crate::session::file_access::resolve(&path).is_none_or(|p| p.starts_with(dir))
        }
        _ => false,
    };
    if inside {
        Err(object_store::Error::PermissionDenied {
            path: format!("/{location}"),
            source: "inside the database directory, which only Firn writes".into(),
        })
    } else {
        Ok(())
    }
}

fn denied(location: &Path) -> object_store::Error {
    object_store::Error::PermissionDenied {
        path: format!("/{location}"),
        source: "outside the directories this session may read or write".into(),
    }
}

#[async_trait]
impl ObjectStore for CheckedLocalStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.check_write(location)?;
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.check_write(location)?;
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.check(location)?;
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<Bytes>> {
        self.check(location)?;
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        let allowed = Arc::clone(&self.allowed);
        let database_dir = self.database_dir.clone();
        let checked = locations
            .map(move |location| {
                let location = location?;
                match filesystem_path(&location) {
                    Some(path) if allowed.permits(&path) => {
                        check_not_database(&location, database_dir.as_deref())?;
                        Ok(location)
                    }
                    _ => Err(denied(&location)),
                }
            })
            .boxed();
        self.inner.delete_stream(checked)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let root = Path::default();
        match self.check(prefix.unwrap_or(&root)) {
            Ok(()) => self.inner.list(prefix),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        }
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let root = Path::default();
        match self.check(prefix.unwrap_or(&root)) {
            Ok(()) => self.inner.list_with_offset(prefix, offset),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        }
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.check(prefix.unwrap_or(&Path::default()))?;
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.check(from)?;
        self.check_write(to)?;
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(
        &self,
        from: &Path,
        to: &Path,
        options: RenameOptions,
    ) -> object_store::Result<()> {
        self.check_write(from)?;
        self.check_write(to)?;
        self.inner.rename_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::ObjectStoreExt;
    use object_store::local::LocalFileSystem;

    fn store(dir: &std::path::Path) -> CheckedLocalStore {
        CheckedLocalStore {
            inner: Arc::new(LocalFileSystem::new()),
            allowed: Arc::new(AllowedPaths::new([dir]).expect("exists")),
            database_dir: None,
        }
    }

    #[tokio::test]
    async fn reads_and_writes_inside_and_refuses_outside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path());
        let inside = Path::from_absolute_path(dir.path().join("a.txt")).expect("path");
        store
            .put(&inside, "hello".into())
            .await
            .expect("put inside");
        let bytes = store
            .get(&inside)
            .await
            .expect("get")
            .bytes()
            .await
            .expect("bytes");
        assert_eq!(&bytes[..], b"hello");

        std::fs::write(outside.path().join("secret"), "x").expect("write");
        let secret = Path::from_filesystem_path(outside.path().join("secret")).expect("path");
        let err = store.get(&secret).await.unwrap_err();
        assert!(
            matches!(err, object_store::Error::PermissionDenied { .. }),
            "{err}"
        );
        let err = store.put(&secret, "y".into()).await.unwrap_err();
        assert!(
            matches!(err, object_store::Error::PermissionDenied { .. }),
            "{err}"
        );
        let listed: Vec<_> = store.list(Some(&Path::default())).collect().await;
        assert!(listed.iter().all(|r| r.is_err()));
        assert_eq!(
            std::fs::read_to_string(outside.path().join("secret")).expect("read"),
            "x"
        );
    }
}
