//! Opening, from a cluster process, the database a client named: only an
//! existing database, never creating one, at a URL every node resolves the
//! same way (a directory mounted at the same path everywhere, or `s3://…`).

use std::path::PathBuf;
use std::sync::Arc;

use url::Url;

use crate::error::{Error, Result};
use crate::storage::store::DatabaseStore;

/// The database at `url`, which must already exist.
pub(crate) fn open_shared_store(url: &str) -> Result<Arc<DatabaseStore>> {
    let parsed = Url::parse(url)
        .map_err(|e| Error::Unsupported(format!("'{url}' is not a database URL: {e}")))?;
    match parsed.scheme() {
        "file" => {
            let dir: PathBuf = parsed.to_file_path().map_err(|()| {
                Error::Unsupported(format!("'{url}' is not a local path on this machine"))
            })?;
            if !dir.join("firn.json").is_file() {
                return Err(Error::Unsupported(format!(
                    "there is no Firn database at {} on this machine: a cluster needs the database \
                     at the same path on every node (a shared file system) or on s3://",
                    dir.display()
                )));
            }
            Ok(Arc::new(DatabaseStore::local(&dir)?))
        }
        "s3" => Ok(Arc::new(DatabaseStore::s3(&parsed)?)),
        scheme => Err(Error::Unsupported(format!(
            "a cluster cannot read a database at '{scheme}://' (from {url}); use a shared directory or s3://"
        ))),
    }
}

/// The object store an executor's tasks read `url`'s files through, when it is
/// not the local file system (which every runtime knows): the bucket of an
/// `s3://` database, built from the executor's `AWS_*` environment.
pub(crate) fn remote_store(url: &str) -> Result<Option<(Url, Arc<dyn object_store::ObjectStore>)>> {
    let parsed = Url::parse(url)
        .map_err(|e| Error::Unsupported(format!("'{url}' is not a database URL: {e}")))?;
    if parsed.scheme() != "s3" {
        return Ok(None);
    }
    let mut bucket = parsed.clone();
    bucket.set_path("/");
    Ok(Some((
        bucket,
        crate::storage::s3::object_store_for(&parsed)?,
    )))
}
