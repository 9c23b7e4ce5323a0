//! Metrics by slice (`--by COLUMN`): the evaluated rows grouped by a column's
//! value, each group's metrics beside its size, so a model that is good on
//! average but poor for one segment shows it.

use std::collections::BTreeMap;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::DataFusionError;
use firnml_udfs::model::Objective;

use super::evaluation::plan;
use firnml::Result;
use firnml::ml::metric::evaluate;

/// Most slices shown (the largest by rows); the rest are counted.
pub const MAX_SLICES: usize = 25;
/// How a NULL slice value is shown.
pub const NULL: &str = "NULL";

/// One slice's size and metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    /// The column's value (as text).
    pub value: String,
    /// Rows in the slice.
    pub rows: usize,
    /// Share of positive labels (classifiers) or mean label (regressors).
    pub label_mean: f64,
    /// The metrics on the slice's rows, by name.
    pub metrics: Vec<(String, f64)>,
}

/// The slices of column `by`, its values as text for the evaluated `rows` of `batches`.
pub fn slice_values(batches: &[RecordBatch], by: &str, rows: &[usize]) -> Result<Vec<String>> {
    let Some(first) = batches.first() else {
        return Ok(Vec::new());
    };
    let schema = first.schema();
    let Ok(index) = schema.index_of(by) else {
        let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        return Err(plan(format!(
            "--by: the evaluated rows have no column '{by}'; their columns are: {}",
            columns.join(", ")
        )));
    };
    let all = concat_batches(&schema, batches).map_err(DataFusionError::from)?;
    let text = cast(all.column(index), &DataType::Utf8).map_err(DataFusionError::from)?;
    let text = text.as_string::<i32>();
    Ok(rows
        .iter()
        .map(|&i| {
            if i >= text.len() || text.is_null(i) {
                NULL.to_string()
            } else {
                text.value(i).to_string()
            }
        })
        .collect())
}

/// Each slice's metrics, largest slice first (ties by value); at most
/// [`MAX_SLICES`] and the number left out.
pub fn slices(
    values: &[String],
    scores: &[f64],
    labels: &[f64],
    objective: Objective,
    threshold: f64,
) -> Result<(Vec<Slice>, usize)> {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, value) in values.iter().enumerate() {
        groups.entry(value.as_str()).or_default().push(i);
    }
    let mut order: Vec<(&str, Vec<usize>)> = groups.into_iter().collect();
    order.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(b.0)));
    let left_out = order.len().saturating_sub(MAX_SLICES);
    order.truncate(MAX_SLICES);
    let mut out = Vec::with_capacity(order.len());
    for (value, rows) in order {
        let s: Vec<f64> = rows.iter().map(|&i| scores[i]).collect();
        let l: Vec<f64> = rows.iter().map(|&i| labels[i]).collect();
        let metrics = evaluate(objective, &s, &l, threshold)?
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect();
        out.push(Slice {
            value: value.to_string(),
            rows: rows.len(),
            label_mean: l.iter().sum::<f64>() / l.len().max(1) as f64,
            metrics,
        });
    }
    Ok((out, left_out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use std::sync::Arc;

    #[test]
    fn groups_rows_by_value_largest_first() {
        let values: Vec<String> = ["a", "b", "a", "a", "b", "c"].map(String::from).to_vec();
        let scores = [0.9, 0.2, 0.8, 0.1, 0.7, 0.5];
        let labels = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0];
        let (s, left_out) =
            slices(&values, &scores, &labels, Objective::BinaryLogistic, 0.5).unwrap();
        assert_eq!(left_out, 0);
        let names: Vec<(&str, usize)> = s.iter().map(|s| (s.value.as_str(), s.rows)).collect();
        assert_eq!(names, [("a", 3), ("b", 2), ("c", 1)]);
        let auc = |s: &Slice| {
            s.metrics
                .iter()
                .find(|(n, _)| n == "roc_auc")
                .map(|(_, v)| *v)
        };
        assert_eq!(auc(&s[0]), Some(1.0));
        assert!((s[0].label_mean - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn values_come_from_the_column_as_text_and_a_missing_column_is_named() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("segment", DataType::Utf8, true),
            Field::new("n", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![Some("x"), None, Some("y")])),
                Arc::new(Int64Array::from(vec![1, 2, 3])),
            ],
        )
        .unwrap();
        assert_eq!(
            slice_values(std::slice::from_ref(&batch), "segment", &[2, 1]).unwrap(),
            ["y", "NULL"]
        );
        assert_eq!(
            slice_values(std::slice::from_ref(&batch), "n", &[0]).unwrap(),
            ["1"]
        );
        let err = slice_values(&[batch], "segmnt", &[0])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no column 'segmnt'") && err.contains("segment, n"),
            "{err}"
        );
    }
}
