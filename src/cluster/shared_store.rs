//! Opening, from a cluster process, the database a client named: only an
//! existing database, never creating one, at a URL every node resolves the
//! same way (a directory mounted at the same path everywhere, or `s3://…`).

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::SessionConfig;
use url::Url;

use crate::cluster::settings::database_url;
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

/// The runtime a scheduler plans or an executor runs a task with: spill files
/// in `temp_dir` (when given), and the object store of the database the query
/// names (`firn_cluster.database_url`) when it is not the local file system —
/// the scheduler decodes file scans of that bucket, executors read them.
pub(crate) fn runtime_for(
    config: &SessionConfig,
    temp_dir: Option<&str>,
) -> datafusion::error::Result<Arc<RuntimeEnv>> {
    let mut builder = RuntimeEnvBuilder::new();
    if let Some(dir) = temp_dir {
        builder = builder.with_temp_file_path(dir);
    }
    let runtime = builder.build_arc()?;
    if let Some(url) = database_url(config.options()) {
        let store = remote_store(url).map_err(|e| DataFusionError::External(Box::new(e)))?;
        if let Some((bucket, store)) = store {
            runtime.register_object_store(&bucket, store);
        }
    }
    Ok(runtime)
}
