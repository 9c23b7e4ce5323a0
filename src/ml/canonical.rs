//! Training data in a canonical row order.
//!
//! SQL gives no row order without `ORDER BY`, and DataFusion's parallel joins
//! and aggregations return rows in a different order from run to run. Splits,
//! folds and the trees themselves depend on row order, so Firn sorts training
//! rows by all their columns before anything else: the same rows give the same
//! split, the same model and the same fingerprint, however the query returns
//! them. `CREATE MODEL`, `train_test_split`, `cross_validate` and the model card
//! all start here.
//!
//! The order is Arrow's `lexsort` of every column (ascending, nulls first,
//! floats by IEEE total order), computed faster than `lexsort` and without
//! first concatenating the batches: rows are sorted by a 64-bit prefix of
//! their first column's value in Arrow's row format (whose bytes order
//! exactly like the values), only rows with equal prefixes are compared
//! column by column, and each column is gathered once, straight from the
//! batches, in parallel. Rows that compare equal are identical, so this gives
//! exactly `lexsort`'s rows. When prefixes tie for many rows (a first column
//! with few values) the plain `lexsort` is used.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch};
use datafusion::arrow::compute::{
    LexicographicalComparator, SortColumn, concat_batches, interleave, interleave_record_batch,
    lexsort_to_indices, take_record_batch,
};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::Result;
use rayon::prelude::*;

/// All rows of `batches` as one batch, sorted by every column (first column
/// first, nulls first). Rows that compare equal are identical, so their order
/// does not matter.
pub fn canonical_rows(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch> {
    let parts: Vec<&RecordBatch> = batches.iter().filter(|b| b.num_rows() > 0).collect();
    let rows: usize = parts.iter().map(|b| b.num_rows()).sum();
    let same_types = parts.iter().all(|b| {
        b.num_columns() == schema.fields().len()
            && b.columns()
                .iter()
                .zip(schema.fields())
                .all(|(c, f)| c.data_type() == f.data_type())
    });
    if rows >= 2
        && !schema.fields().is_empty()
        && same_types
        && u32::try_from(rows).is_ok()
        && let Some(order) = prefix_order(&parts)?
    {
        return gather(schema, &parts, &order);
    }
    lexsorted(schema, batches)
}

/// The plain way: concatenate, `lexsort`, take.
fn lexsorted(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch> {
    let batch = concat_batches(schema, batches)?;
    if batch.num_rows() < 2 || batch.num_columns() == 0 {
        return Ok(batch);
    }
    let order = lexsort_to_indices(&sort_columns(batch.columns()), None)?;
    Ok(take_record_batch(&batch, &order)?)
}

fn sort_columns(columns: &[ArrayRef]) -> Vec<SortColumn> {
    columns
        .iter()
        .map(|values| SortColumn {
            values: Arc::clone(values),
            options: None,
        })
        .collect()
}

/// The first eight bytes (zero-padded) of a row-format row: an order-preserving prefix.
fn prefix(bytes: &[u8]) -> u64 {
    let mut key = [0u8; 8];
    let n = bytes.len().min(8);
    key[..n].copy_from_slice(&bytes[..n]);
    u64::from_be_bytes(key)
}

/// (batch, row) of every row in canonical order, or `None` when the row
/// format cannot encode the first column or prefixes tie for over a quarter
/// of the rows.
fn prefix_order(parts: &[&RecordBatch]) -> Result<Option<Vec<(usize, usize)>>> {
    let Some(first) = parts.first() else {
        return Ok(Some(Vec::new()));
    };
    let field = SortField::new(first.column(0).data_type().clone());
    if !RowConverter::supports_fields(std::slice::from_ref(&field)) {
        return Ok(None);
    }
    let converter = RowConverter::new(vec![field])?;
    let mut keyed: Vec<(u64, u32, u32)> = Vec::new();
    for (b, batch) in parts.iter().enumerate() {
        let rows = converter.convert_columns(std::slice::from_ref(batch.column(0)))?;
        keyed.extend(
            rows.iter()
                .enumerate()
                .map(|(r, row)| (prefix(row.as_ref()), b as u32, r as u32)),
        );
    }
    keyed.sort_unstable();
    // Runs of equal prefixes: gathered into one batch and sorted by all columns.
    let mut runs = Vec::new();
    let mut start = 0;
    while start < keyed.len() {
        let key = keyed[start].0;
        let end = start + keyed[start..].partition_point(|k| k.0 == key);
        if end - start > 1 {
            runs.push(start..end);
        }
        start = end;
    }
    let tied: usize = runs.iter().map(|r| r.len()).sum();
    if tied > keyed.len() / 4 {
        return Ok(None);
    }
    if tied > 0 {
        let positions: Vec<(usize, usize)> = runs
            .iter()
            .flat_map(|run| keyed[run.clone()].iter())
            .map(|&(_, b, r)| (b as usize, r as usize))
            .collect();
        let rows = interleave_record_batch(parts, &positions)?;
        let comparator = LexicographicalComparator::try_new(&sort_columns(rows.columns()))?;
        let mut at = 0;
        for run in runs {
            let mut local: Vec<usize> = (at..at + run.len()).collect();
            local.sort_unstable_by(|a, b| comparator.compare(*a, *b));
            let sorted: Vec<(u64, u32, u32)> = local
                .iter()
                .map(|&i| {
                    let (b, r) = positions[i];
                    (0, b as u32, r as u32)
                })
                .collect();
            at += run.len();
            keyed[run].copy_from_slice(&sorted);
        }
    }
    Ok(Some(
        keyed
            .into_iter()
            .map(|(_, b, r)| (b as usize, r as usize))
            .collect(),
    ))
}

/// The rows at `order` ((batch, row) pairs), each column gathered in parallel.
fn gather(
    schema: &SchemaRef,
    parts: &[&RecordBatch],
    order: &[(usize, usize)],
) -> Result<RecordBatch> {
    let columns = (0..schema.fields().len())
        .into_par_iter()
        .map(|i| {
            let values: Vec<&dyn Array> = parts.iter().map(|b| b.column(i).as_ref()).collect();
            interleave(&values, order)
        })
        .collect::<std::result::Result<Vec<ArrayRef>, ArrowError>>()?;
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Float64Array, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    #[test]
    fn any_row_order_gives_the_same_rows() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Utf8, true),
            Field::new("x", DataType::Float64, true),
            Field::new("y", DataType::Int64, false),
        ]));
        let batch = |k: Vec<Option<&str>>, x: Vec<Option<f64>>, y: Vec<i64>| {
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![
                    Arc::new(StringArray::from(k)),
                    Arc::new(Float64Array::from(x)),
                    Arc::new(Int64Array::from(y)),
                ],
            )
            .expect("batch")
        };
        let one = [
            batch(
                vec![Some("b"), None],
                vec![Some(1.0), Some(2.0)],
                vec![1, 0],
            ),
            batch(
                vec![Some("a"), Some("b")],
                vec![Some(3.0), Some(0.5)],
                vec![0, 1],
            ),
        ];
        let other = [batch(
            vec![Some("b"), Some("a"), None, Some("b")],
            vec![Some(0.5), Some(3.0), Some(2.0), Some(1.0)],
            vec![1, 0, 0, 1],
        )];
        let sorted = canonical_rows(&schema, &one).expect("sorted");
        assert_eq!(sorted, canonical_rows(&schema, &other).expect("sorted"));
        let keys = sorted
            .column(0)
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("text");
        assert_eq!(
            keys.iter().collect::<Vec<_>>(),
            vec![None, Some("a"), Some("b"), Some("b")]
        );
    }

    /// The prefix sort gives exactly `lexsort`'s rows, on batches full of
    /// ties, nulls, NaNs, signed zeros and strings sharing long prefixes.
    #[test]
    fn the_prefix_sort_is_lexsort() {
        let n = 5_000u64;
        let mix = |i: u64| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize;
        let floats: Vec<Option<f64>> = (0..n)
            .map(|i| match mix(i) % 9 {
                0 => None,
                1 => Some(f64::NAN),
                2 => Some(-0.0),
                3 => Some(0.0),
                k => Some((mix(i + 7) % 400) as f64 * 0.25 - 3.0 + k as f64 * 1e-15),
            })
            .collect();
        let text: Vec<Option<String>> = (0..n)
            .map(|i| (mix(i + 3) % 11 != 0).then(|| format!("customer-{:04}", mix(i + 5) % 3000)))
            .collect();
        let ints: Vec<i64> = (0..n).map(|i| (mix(i + 9) % 5) as i64 - 2).collect();
        for first in [0, 1, 2] {
            let arrays: Vec<ArrayRef> = vec![
                Arc::new(Float64Array::from(floats.clone())),
                Arc::new(StringArray::from(text.clone())),
                Arc::new(Int64Array::from(ints.clone())),
            ];
            let mut order: Vec<ArrayRef> = arrays[first..].to_vec();
            order.extend_from_slice(&arrays[..first]);
            let names = ["a", "b", "c"];
            let schema = Arc::new(Schema::new(
                order
                    .iter()
                    .zip(names)
                    .map(|(a, n)| Field::new(n, a.data_type().clone(), true))
                    .collect::<Vec<_>>(),
            ));
            let whole = RecordBatch::try_new(Arc::clone(&schema), order).expect("batch");
            let parts: Vec<RecordBatch> = [(0, 1_700), (1_700, 0), (1_700, 3_300)]
                .iter()
                .map(|&(at, len)| whole.slice(at, len))
                .collect();
            let expected = lexsorted(&schema, &parts).expect("lexsort");
            let got = canonical_rows(&schema, &parts).expect("sorted");
            // Equal rows are identical; NaN payloads compare by bits, so compare the sort keys.
            let both = concat_batches(&schema, &[expected, got]).expect("both");
            let comparator =
                LexicographicalComparator::try_new(&sort_columns(both.columns())).expect("cmp");
            for i in 0..n as usize {
                assert_eq!(
                    comparator.compare(i, i + n as usize),
                    std::cmp::Ordering::Equal,
                    "first column {first}, row {i}"
                );
            }
        }
    }
}
