//! A Parquet file encoder that encodes the columns of each batch in parallel.
//!
//! `CREATE TABLE … AS` hands the writer one stream (its rows in the query's
//! order), and Parquet's `ArrowWriter` encodes every column of it on the one
//! task that reads the stream: on 1M rows of nine columns that was most of the
//! statement after the query (benches/RESULTS.md). Here each column has its own
//! `ArrowColumnWriter`, and a batch's columns are encoded at once on a small
//! pool of threads of their own (not rayon's global pool, which a training may
//! keep busy). The file is the same: one file, the rows in stream order, row
//! groups of at most `max_group_rows`.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowLeafColumn, ArrowRowGroupWriterFactory,
    compute_leaves,
};
use datafusion::parquet::errors::{ParquetError, Result};
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::file::writer::SerializedFileWriter;
use rayon::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};

/// Batches with fewer rows are encoded on the calling thread: handing a few
/// rows to other threads costs more than it saves.
const PARALLEL_MIN_ROWS: usize = 1_024;

/// Encodes record batches into the bytes of one Parquet file.
pub struct ParallelParquetWriter {
    file: SerializedFileWriter<SharedBuffer>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// The current row group's writers, one per leaf column.
    columns: Vec<ArrowColumnWriter>,
    group_rows: usize,
    max_group_rows: usize,
    buffer: SharedBuffer,
}

impl ParallelParquetWriter {
    /// A writer of rows of `schema` with `props`, row groups of at most `max_group_rows`.
    pub fn try_new(
        schema: SchemaRef,
        props: WriterProperties,
        max_group_rows: usize,
    ) -> Result<Self> {
        let buffer = SharedBuffer::default();
        // Through `ArrowWriter` so that the file's schema, and the Arrow schema kept
        // in its metadata, are exactly those `ArrowWriter` writes.
        let (file, factory) =
            ArrowWriter::try_new(buffer.clone(), Arc::clone(&schema), Some(props))?
                .into_serialized_writer()?;
        let columns = factory.create_column_writers(0)?;
        Ok(Self {
            file,
            factory,
            schema,
            columns,
            group_rows: 0,
            max_group_rows: max_group_rows.max(1),
            buffer,
        })
    }

    /// Encodes `batch`; returns the bytes of the row groups it completed (often
    /// none), to be appended to the file's other bytes.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<Bytes> {
        if batch.num_columns() != self.schema.fields().len() {
            return Err(ParquetError::General(format!(
                "a batch of {} columns cannot be written to a file of {} columns",
                batch.num_columns(),
                self.schema.fields().len()
            )));
        }
        let mut offset = 0;
        while offset < batch.num_rows() {
            let rows = (self.max_group_rows - self.group_rows).min(batch.num_rows() - offset);
            self.encode(&batch.slice(offset, rows))?;
            offset += rows;
            self.group_rows += rows;
            if self.group_rows == self.max_group_rows {
                self.close_row_group()?;
            }
        }
        Ok(self.buffer.take())
    }

    /// Closes the file; returns its remaining bytes (the last row group and the footer).
    pub fn finish(mut self) -> Result<Bytes> {
        if self.group_rows > 0 {
            self.close_row_group()?;
        }
        let buffer = self.file.into_inner()?;
        Ok(buffer.take())
    }

    fn encode(&mut self, batch: &RecordBatch) -> Result<()> {
        let mut leaves: Vec<ArrowLeafColumn> = Vec::with_capacity(self.columns.len());
        for (field, column) in self.schema.fields().iter().zip(batch.columns()) {
            leaves.extend(compute_leaves(field, column)?);
        }
        if leaves.len() != self.columns.len() {
            return Err(ParquetError::General(format!(
                "the batch has {} leaf columns where the file has {}",
                leaves.len(),
                self.columns.len()
            )));
        }
        if batch.num_rows() < PARALLEL_MIN_ROWS {
            return self
                .columns
                .iter_mut()
                .zip(&leaves)
                .try_for_each(|(writer, leaf)| writer.write(leaf));
        }
        let columns = &mut self.columns;
        encoder_pool()?.install(|| {
            columns
                .par_iter_mut()
                .zip(leaves.par_iter())
                .try_for_each(|(writer, leaf)| writer.write(leaf))
        })
    }

    fn close_row_group(&mut self) -> Result<()> {
        let next = self
            .factory
            .create_column_writers(self.file.flushed_row_groups().len() + 1)?;
        let columns = std::mem::replace(&mut self.columns, next);
        let chunks: Vec<ArrowColumnChunk> = encoder_pool()?.install(|| {
            columns
                .into_par_iter()
                .map(ArrowColumnWriter::close)
                .collect::<Result<_>>()
        })?;
        let mut group = self.file.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut group)?;
        }
        group.close()?;
        self.file.flush()?;
        self.group_rows = 0;
        Ok(())
    }
}

/// The encoding threads, one per core, started on first use.
fn encoder_pool() -> Result<&'static ThreadPool> {
    static POOL: OnceLock<std::result::Result<ThreadPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        ThreadPoolBuilder::new()
            .thread_name(|i| format!("firn-parquet-{i}"))
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| ParquetError::General(format!("cannot start the Parquet encoding threads: {e}")))
}

/// The file's bytes as they are written, taken out after each row group.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    fn take(&self) -> Bytes {
        let mut bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        Bytes::from(std::mem::take(&mut *bytes))
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use super::*;

    fn batch(schema: &SchemaRef, from: i64, rows: i64) -> RecordBatch {
        let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(from..from + rows));
        let names: ArrayRef = Arc::new(StringArray::from_iter(
            (from..from + rows).map(|i| (i % 7 != 0).then(|| format!("name-{}", i % 100))),
        ));
        let values: ArrayRef = Arc::new(Float64Array::from_iter_values(
            (from..from + rows).map(|i| i as f64 * 0.25),
        ));
        RecordBatch::try_new(Arc::clone(schema), vec![ids, names, values]).expect("batch")
    }

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
            Field::new("value", DataType::Float64, false),
        ]))
    }

    /// Writes `sizes`-row batches with row groups of `group` rows; the file's bytes.
    fn write(sizes: &[i64], group: usize) -> (Vec<RecordBatch>, Vec<u8>) {
        let schema = schema();
        let mut writer =
            ParallelParquetWriter::try_new(Arc::clone(&schema), WriterProperties::default(), group)
                .expect("writer");
        let mut bytes = Vec::new();
        let mut batches = Vec::new();
        let mut from = 0;
        for &rows in sizes {
            let b = batch(&schema, from, rows);
            bytes.extend_from_slice(&writer.write(&b).expect("write"));
            batches.push(b);
            from += rows;
        }
        bytes.extend_from_slice(&writer.finish().expect("finish"));
        (batches, bytes)
    }

    fn read(bytes: Vec<u8>) -> (Vec<RecordBatch>, Vec<i64>) {
        let builder = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes)).expect("open");
        let groups = builder
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows())
            .collect();
        let batches = builder
            .build()
            .expect("reader")
            .collect::<std::result::Result<Vec<_>, _>>()
            .expect("read");
        (batches, groups)
    }

    fn concat(batches: &[RecordBatch]) -> RecordBatch {
        datafusion::arrow::compute::concat_batches(&schema(), batches).expect("concat")
    }

    #[test]
    fn rows_come_back_in_order_in_row_groups_of_the_asked_size() {
        // Small batches (encoded on the caller) and large ones (in parallel),
        // split across row-group boundaries.
        let (written, bytes) = write(&[10, 5_000, 300, 2_500, 7], 3_000);
        let (read_back, groups) = read(bytes);
        assert_eq!(groups, vec![3_000, 3_000, 1_817]);
        assert_eq!(concat(&read_back), concat(&written));
    }

    #[test]
    fn the_file_is_the_one_arrow_writer_would_write() {
        let (written, bytes) = write(&[4_000, 4_000], 5_000);
        let mut plain = Vec::new();
        let mut writer = ArrowWriter::try_new(
            &mut plain,
            schema(),
            Some(
                WriterProperties::builder()
                    .set_max_row_group_row_count(Some(5_000))
                    .build(),
            ),
        )
        .expect("arrow writer");
        for b in &written {
            writer.write(b).expect("write");
        }
        writer.close().expect("close");
        let (ours, our_groups) = read(bytes.clone());
        let (theirs, their_groups) = read(plain.clone());
        assert_eq!(our_groups, their_groups);
        assert_eq!(concat(&ours), concat(&theirs));
        let schema_of = |b: Vec<u8>| {
            ParquetRecordBatchReaderBuilder::try_new(Bytes::from(b))
                .expect("open")
                .schema()
                .clone()
        };
        assert_eq!(schema_of(bytes), schema_of(plain));
    }

    #[test]
    fn an_empty_file_keeps_its_schema() {
        let (_, bytes) = write(&[], 1_000);
        let builder = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes)).expect("open");
        assert_eq!(builder.schema().fields().len(), 3);
        assert_eq!(builder.metadata().num_row_groups(), 0);
    }

    #[test]
    fn a_batch_of_another_shape_is_refused() {
        let mut writer = ParallelParquetWriter::try_new(schema(), WriterProperties::default(), 100)
            .expect("writer");
        let narrow = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, false)]));
        let b =
            RecordBatch::try_new(narrow, vec![Arc::new(Int64Array::from(vec![1]))]).expect("batch");
        let error = writer.write(&b).expect_err("refused").to_string();
        assert!(
            error.contains("1 columns") && error.contains("3 columns"),
            "{error}"
        );
    }
}
