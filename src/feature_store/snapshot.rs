//! The Parquet snapshot of a `MATERIALIZED` feature view version: written once,
//! through the database's object store, before the revision that names it is
//! published; read back as a listing table.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig};
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;

use super::definition::{SnapshotFiles, ViewVersion};
use super::layout;
use super::names::ViewRef;
use crate::error::Result;
use crate::storage::data_writer::write_data_file;
use crate::storage::store::DatabaseStore;
use crate::storage::table_log::DataFile;

/// Writes the rows of `streams` (the partitions of one query) as the snapshot
/// of `reference`, one Parquet file per partition, the partitions encoded in
/// parallel. Not yet visible: a revision must name the files. On any error the
/// files already written are removed.
pub async fn write(
    store: &Arc<DatabaseStore>,
    reference: &ViewRef,
    schema: SchemaRef,
    streams: Vec<SendableRecordBatchStream>,
) -> Result<SnapshotFiles> {
    let dir = layout::version_dir(&reference.name, &reference.version);
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|stream| {
            let (store, dir, schema) = (Arc::clone(store), dir.clone(), Arc::clone(&schema));
            tokio::spawn(async move { write_data_file(&store, &dir, schema, stream).await })
        })
        .collect();
    let mut files = Vec::new();
    let mut failure = None;
    for task in tasks {
        match task.await {
            Ok(Ok(file)) => files.push(file),
            Ok(Err(e)) => failure = failure.or(Some(e)),
            Err(e) => failure = failure.or(Some(DataFusionError::External(Box::new(e)).into())),
        }
    }
    if let Some(error) = failure {
        remove(store, reference, &files).await;
        return Err(error);
    }
    Ok(SnapshotFiles {
        rows: files.iter().map(|f| f.rows).sum(),
        files,
    })
}

/// Best-effort removal of snapshot files no revision refers to any more.
pub async fn remove(store: &DatabaseStore, reference: &ViewRef, files: &[DataFile]) {
    let dir = layout::version_dir(&reference.name, &reference.version);
    for file in files {
        let _ = store
            .delete(&store.path(&format!("{dir}/{}", file.path)))
            .await;
    }
}

/// A table over the snapshot of `version` (which must be materialized).
pub fn listing_table(store: &DatabaseStore, version: &ViewVersion) -> Result<Arc<ListingTable>> {
    let dir = layout::version_dir(&version.name, &version.version);
    let files = version
        .snapshot
        .as_ref()
        .map(|s| s.files.as_slice())
        .unwrap_or_default();
    let urls = files
        .iter()
        .map(|f| store.listing_url(&format!("{dir}/{}", f.path)))
        .collect::<Result<Vec<_>>>()?;
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(version.schema()?);
    Ok(Arc::new(ListingTable::try_new(config)?))
}
