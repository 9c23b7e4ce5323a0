//! Writes a stream of record batches as one new Parquet data file of a table.
//! The file is invisible until a commit names it (see `table_log`).

use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::schema::types::ColumnPath;
use futures::StreamExt;
use object_store::ObjectStoreExt;
use object_store::buffered::BufWriter;
use tokio::io::AsyncWriteExt;

use crate::error::{Error, Result};
use crate::storage::dictionary_choice::{self, SAMPLE_ROWS};
use crate::storage::parallel_parquet::ParallelParquetWriter;
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
    stream: SendableRecordBatchStream,
) -> Result<DataFile> {
    let relative = format!("data/{}.parquet", uuid::Uuid::new_v4().simple());
    let path = store.path(&format!("{dir}/{relative}"));
    let mut upload = BufWriter::new(Arc::clone(store.object_store()), path.clone());
    // Nothing is published on failure: the upload is abandoned and what it left removed.
    let rows = match encode(&mut upload, schema, stream).await {
        Ok(rows) => rows,
        Err(e) => {
            let _ = upload.abort().await;
            let _ = store.delete(&path).await;
            return Err(e);
        }
    };
    if let Err(source) = upload.shutdown().await {
        let _ = store.delete(&path).await;
        return Err(Error::Io {
            context: format!("cannot finish writing data file '{path}'"),
            source,
        });
    }
    let bytes = store.object_store().head(&path).await?.size;
    Ok(DataFile {
        path: relative,
        rows,
        bytes,
    })
}

/// Encodes the rows of `stream` into `upload` as they come; the number of rows.
async fn encode(
    upload: &mut BufWriter,
    schema: SchemaRef,
    mut stream: SendableRecordBatchStream,
) -> Result<u64> {
    // The first rows decide the encoding of each column (see `dictionary_choice`).
    let mut sample: Vec<RecordBatch> = Vec::new();
    let mut sampled = 0;
    while sampled < SAMPLE_ROWS {
        let Some(batch) = stream.next().await else {
            break;
        };
        let batch = batch?;
        sampled += batch.num_rows();
        sample.push(batch);
    }
    // Row groups are cut by the writer itself (`ROW_GROUP_ROWS`), not by the properties.
    let mut props =
        WriterProperties::builder().set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?));
    for column in dictionary_choice::plain_columns(&schema, &sample)? {
        props = props.set_column_dictionary_enabled(ColumnPath::from(column), false);
    }
    let mut writer = ParallelParquetWriter::try_new(schema, props.build(), ROW_GROUP_ROWS)?;
    let mut rows = 0u64;
    let mut batches = futures::stream::iter(sample.into_iter().map(Ok)).chain(stream);
    while let Some(batch) = batches.next().await {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        put(upload, writer.write(&batch)?).await?;
    }
    put(upload, writer.finish()?).await?;
    Ok(rows)
}

async fn put(upload: &mut BufWriter, bytes: Bytes) -> Result<()> {
    if !bytes.is_empty() {
        upload.put(bytes).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::error::DataFusionError;
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use datafusion::physical_plan::stream::RecordBatchStreamAdapter;

    use super::*;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("key", DataType::Utf8, false),
            Field::new("segment", DataType::Int64, false),
        ]))
    }

    /// Batches of 8,192 rows with a unique key and one of 5 segments.
    fn batches(count: usize) -> Vec<datafusion::error::Result<RecordBatch>> {
        (0..count)
            .map(|b| {
                let rows = b * 8_192..(b + 1) * 8_192;
                let columns: Vec<ArrayRef> = vec![
                    Arc::new(StringArray::from_iter_values(
                        rows.clone().map(|i| format!("K{i:08}")),
                    )),
                    Arc::new(Int64Array::from_iter_values(rows.map(|i| (i % 5) as i64))),
                ];
                Ok(RecordBatch::try_new(schema(), columns).expect("batch"))
            })
            .collect()
    }

    fn stream(items: Vec<datafusion::error::Result<RecordBatch>>) -> SendableRecordBatchStream {
        Box::pin(RecordBatchStreamAdapter::new(
            schema(),
            futures::stream::iter(items),
        ))
    }

    #[tokio::test]
    async fn unique_columns_are_written_without_a_dictionary() {
        let store = DatabaseStore::memory();
        let file = write_data_file(&store, "tables/t", schema(), stream(batches(40)))
            .await
            .expect("written");
        assert_eq!(file.rows, 40 * 8_192);
        let bytes = store
            .get(&store.path(&format!("tables/t/{}", file.path)))
            .await
            .expect("read")
            .expect("the file exists");
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes).expect("open");
        let groups = reader.metadata().row_groups();
        assert_eq!(groups.len(), 2, "row groups of {ROW_GROUP_ROWS} rows");
        for group in groups {
            assert!(group.column(0).dictionary_page_offset().is_none(), "key");
            assert!(
                group.column(1).dictionary_page_offset().is_some(),
                "segment"
            );
        }
        let rows: usize = reader
            .build()
            .expect("reader")
            .map(|b| b.expect("batch").num_rows())
            .sum();
        assert_eq!(rows, 40 * 8_192);
    }

    #[tokio::test]
    async fn a_failing_stream_leaves_no_file() {
        let store = DatabaseStore::memory();
        let mut items = batches(6);
        items.push(Err(DataFusionError::Execution("the query broke".into())));
        let error = write_data_file(&store, "tables/t", schema(), stream(items))
            .await
            .expect_err("fails");
        assert!(error.to_string().contains("the query broke"), "{error}");
        let left = store.list(&store.path("tables/t")).await.expect("listed");
        assert!(left.is_empty(), "{left:?}");
    }
}
