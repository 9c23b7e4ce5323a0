//! Which columns of a new data file skip Parquet's dictionary encoding.
//!
//! Parquet's writer starts every column chunk with a dictionary and falls back
//! to plain encoding once the dictionary outgrows its page limit (1 MiB). For a
//! column of (nearly) unique values — keys, amounts, averages — that is hashing
//! and copying a megabyte of values into each row group's dictionary only to
//! throw it away, and the file is larger for it. So the first rows decide: a
//! column whose sampled values are nearly all distinct is written plain from
//! the start. A column with many repeats keeps its dictionary; so does every
//! column of a file too small for the choice to matter.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::HashSet;
use datafusion::common::hash_utils::{RandomState, create_hashes};
use datafusion::error::Result;

/// How many of the first rows are looked at. Large enough that a column of,
/// say, 50,000 distinct prices shows its repeats (about 3/4 of a sample this
/// size are distinct: it keeps its dictionary, which fits the page limit).
pub const SAMPLE_ROWS: usize = 32_768;

/// Below this many sampled rows every column keeps the default.
const MIN_SAMPLE_ROWS: usize = 8_192;

/// The share of distinct values in the sample at which a column goes plain.
const PLAIN_AT_DISTINCT_SHARE: f64 = 0.9;

/// The names of the top-level columns of `schema` to write without a dictionary,
/// judged on `sample` (the first batches of the file).
pub fn plain_columns(schema: &Schema, sample: &[RecordBatch]) -> Result<Vec<String>> {
    let rows: usize = sample.iter().map(RecordBatch::num_rows).sum();
    if rows < MIN_SAMPLE_ROWS {
        return Ok(Vec::new());
    }
    // Fixed seeds: the same rows make the same choice in every process.
    let state = RandomState::with_seed(0);
    let mut hashes = Vec::new();
    let mut plain = Vec::new();
    for (index, field) in schema.fields().iter().enumerate() {
        if !may_use_dictionary(field.data_type()) {
            continue;
        }
        let mut distinct = HashSet::with_capacity(rows);
        for batch in sample {
            hashes.clear();
            hashes.resize(batch.num_rows(), 0);
            create_hashes(&[Arc::clone(batch.column(index))], &state, &mut hashes)?;
            distinct.extend(hashes.iter().copied());
        }
        if distinct.len() as f64 >= PLAIN_AT_DISTINCT_SHARE * rows as f64 {
            plain.push(field.name().clone());
        }
    }
    Ok(plain)
}

/// Flat columns whose Parquet encoding may be a dictionary (not booleans, not
/// nested columns, not Arrow dictionaries, which are written as dictionaries).
fn may_use_dictionary(data_type: &DataType) -> bool {
    data_type.is_primitive()
        || matches!(
            data_type,
            DataType::Utf8
                | DataType::LargeUtf8
                | DataType::Utf8View
                | DataType::Binary
                | DataType::LargeBinary
                | DataType::BinaryView
                | DataType::FixedSizeBinary(_)
        )
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{Field, SchemaRef};

    use super::*;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("key", DataType::Utf8, false),
            Field::new("segment", DataType::Utf8, false),
            Field::new("amount", DataType::Float64, false),
            Field::new("price", DataType::Float64, false),
            Field::new("count", DataType::Int64, false),
            Field::new("flag", DataType::Boolean, false),
        ]))
    }

    /// Rows `from..from + rows`: a unique key, 4 segments, a unique amount,
    /// one of 50,000 prices, one of 30 counts, a flag.
    fn batch(from: usize, rows: usize) -> RecordBatch {
        let range = from..from + rows;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                range.clone().map(|i| format!("CUST_{i:07}")),
            )),
            Arc::new(StringArray::from_iter_values(
                range.clone().map(|i| ["a", "b", "c", "d"][i % 4]),
            )),
            Arc::new(Float64Array::from_iter_values(
                range.clone().map(|i| i as f64 * 1.37),
            )),
            Arc::new(Float64Array::from_iter_values(
                range
                    .clone()
                    .map(|i| (scramble(i as u64) % 50_000) as f64 / 100.0),
            )),
            Arc::new(Int64Array::from_iter_values(
                range.clone().map(|i| (i % 30) as i64),
            )),
            Arc::new(BooleanArray::from_iter(range.map(|i| Some(i % 2 == 0)))),
        ];
        RecordBatch::try_new(schema(), columns).expect("batch")
    }

    /// SplitMix64's finalizer: consecutive numbers to scattered ones.
    fn scramble(mut x: u64) -> u64 {
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^ (x >> 31)
    }

    #[test]
    fn unique_columns_go_plain_and_repeated_ones_keep_their_dictionary() {
        let sample: Vec<RecordBatch> = (0..4).map(|i| batch(i * 8_192, 8_192)).collect();
        let plain = plain_columns(&schema(), &sample).expect("choice");
        assert_eq!(plain, vec!["key".to_string(), "amount".to_string()]);
    }

    #[test]
    fn a_small_file_keeps_every_dictionary() {
        let plain = plain_columns(&schema(), &[batch(0, 5_000)]).expect("choice");
        assert!(plain.is_empty(), "{plain:?}");
    }
}
