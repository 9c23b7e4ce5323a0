//! Training data in a canonical row order.
//!
//! SQL gives no row order without `ORDER BY`, and DataFusion's parallel joins
//! and aggregations return rows in a different order from run to run. Splits,
//! folds and the trees themselves depend on row order, so Firn sorts training
//! rows by all their columns before anything else: the same rows give the same
//! split, the same model and the same fingerprint, however the query returns
//! them. `CREATE MODEL`, `train_test_split`, `cross_validate` and the model card
//! all start here.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::{
    SortColumn, concat_batches, lexsort_to_indices, take_record_batch,
};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::Result;

/// All rows of `batches` as one batch, sorted by every column (first column
/// first, nulls first). Rows that compare equal are identical, so their order
/// does not matter.
pub fn canonical_rows(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch> {
    let batch = concat_batches(schema, batches)?;
    if batch.num_rows() < 2 || batch.num_columns() == 0 {
        return Ok(batch);
    }
    let columns: Vec<SortColumn> = batch
        .columns()
        .iter()
        .map(|values| SortColumn {
            values: values.clone(),
            options: None,
        })
        .collect();
    let order = lexsort_to_indices(&columns, None)?;
    Ok(take_record_batch(&batch, &order)?)
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
}
