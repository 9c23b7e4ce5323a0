//! Writes a stream of record batches as one new Parquet data file of a table.
//! The file is invisible until a commit names it (see `table_log`).

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::parquet::arrow::AsyncArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use futures::StreamExt;
use object_store::ObjectStoreExt;
use object_store::buffered::BufWriter;

use crate::error::Result;
use crate::storage::store::DatabaseStore;
use crate::storage::table_log::DataFile;

/// Rows per Parquet row group: large enough for good compression, small enough
/// that DataFusion can read one file with several threads.
const ROW_GROUP_ROWS: usize = 256 * 1024;

/// Writes every batch of `stream` into `<dir>/data/<uuid>.parquet` (`dir` relative
/// to the database root, e.g. a table's `tables/<name>`); the returned file's path
/// is relative to `dir`. Even an empty stream produces a file, so the schema is
/// always recorded.
pub async fn write_data_file(
    store: &DatabaseStore,
    dir: &str,
    schema: SchemaRef,
    mut stream: SendableRecordBatchStream,
) -> Result<DataFile> {
    let relative = format!("data/{}.parquet", uuid::Uuid::new_v4().simple());
    let path = store.path(&format!("{dir}/{relative}"));
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build();
    let object_writer = BufWriter::new(Arc::clone(store.object_store()), path.clone());
    let mut writer = AsyncArrowWriter::try_new(object_writer, schema, Some(props))?;
    let mut rows = 0u64;
    let written: Result<()> = async {
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            rows += batch.num_rows() as u64;
            writer.write(&batch).await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = written {
        // The multipart upload is abandoned when the writer drops; nothing is published.
        drop(writer);
        let _ = store.delete(&path).await;
        return Err(e);
    }
    writer.close().await?;
    let bytes = store.object_store().head(&path).await?.size;
    Ok(DataFile {
        path: relative,
        rows,
        bytes,
    })
}
