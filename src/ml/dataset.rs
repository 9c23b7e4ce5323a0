//! Training data: Arrow record batches → the label vector and the column-major
//! feature matrix trees train on, with every check a bad training set needs.

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Float64Type, SchemaRef};
use datafusion::common::{Result, plan_err};
use firnml_udfs::model::{FeatureSpec, Objective, encode_columns, learn_feature_specs};
use rayon::prelude::*;

/// Labels and features, one `Vec<f64>` per feature (NaN = missing).
#[derive(Debug, Clone)]
pub struct Dataset {
    /// How each feature is encoded (learned from training data).
    pub features: Vec<FeatureSpec>,
    /// One column per feature.
    pub columns: Vec<Vec<f64>>,
    /// The label of each row.
    pub labels: Vec<f64>,
}

fn label_values(batch: &RecordBatch, label: &str) -> Result<Vec<f64>> {
    let Some(index) = batch.schema().index_of(label).ok() else {
        let names: Vec<String> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        return plan_err!(
            "label column '{label}' is not in the training data; its columns are: {}",
            names.join(", ")
        );
    };
    let column = batch.column(index);
    if !(column.data_type().is_numeric() || column.data_type() == &DataType::Boolean) {
        return plan_err!(
            "label column '{label}' is {}; expected a number or boolean",
            column.data_type()
        );
    }
    let values = cast(column, &DataType::Float64)?;
    let values = values.as_primitive::<Float64Type>();
    let mut labels = Vec::with_capacity(values.len());
    for (row, value) in values.iter().enumerate() {
        match value {
            Some(v) if v.is_finite() => labels.push(v),
            Some(v) => {
                return plan_err!(
                    "label column '{label}' has the value {v} at row {}; labels must be finite",
                    row + 1
                );
            }
            None => {
                return plan_err!(
                    "label column '{label}' is NULL at row {}; drop unlabelled rows first",
                    row + 1
                );
            }
        }
    }
    Ok(labels)
}

fn check_labels(labels: &[f64], label: &str, objective: Objective) -> Result<()> {
    if objective != Objective::BinaryLogistic {
        return Ok(());
    }
    if let Some((row, v)) = labels
        .iter()
        .enumerate()
        .find(|(_, v)| **v != 0.0 && **v != 1.0)
    {
        return plan_err!(
            "a binary classifier's label must be 0 or 1, but '{label}' is {v} at row {}",
            row + 1
        );
    }
    let positives = labels.iter().filter(|v| **v == 1.0).count();
    if positives == 0 || positives == labels.len() {
        let only = if positives == 0 { 0 } else { 1 };
        return plan_err!(
            "label column '{label}' has only class {only}; a binary classifier needs rows of both 0 and 1"
        );
    }
    Ok(())
}

/// The feature columns: `names` if given, else every column except the label.
fn feature_names(schema: &SchemaRef, label: &str, names: Option<&[String]>) -> Result<Vec<String>> {
    let names: Vec<String> = match names {
        Some(names) => names.to_vec(),
        None => schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .filter(|n| n != label)
            .collect(),
    };
    if names.is_empty() {
        return plan_err!("the training data has no feature columns besides the label '{label}'");
    }
    for name in &names {
        if name == label {
            return plan_err!("the label column '{label}' cannot also be a feature");
        }
        if schema.index_of(name).is_err() {
            return plan_err!("feature column '{name}' is not in the training data");
        }
    }
    Ok(names)
}

impl Dataset {
    /// Training data from `batches`: `label` plus the `features` columns (default:
    /// all others). Learns each feature's encoding.
    pub fn for_training(
        batches: &[RecordBatch],
        label: &str,
        features: Option<&[String]>,
        objective: Objective,
    ) -> Result<Self> {
        let Some(first) = batches.first() else {
            return plan_err!("the training data is empty: the query returned no rows");
        };
        let batch = concat_batches(&first.schema(), batches)?;
        if batch.num_rows() == 0 {
            return plan_err!("the training data is empty: the query returned no rows");
        }
        let names = feature_names(&batch.schema(), label, features)?;
        let arrays: Vec<_> = names
            .iter()
            .map(|n| batch.column_by_name(n).cloned())
            .collect::<Option<_>>()
            .unwrap_or_default();
        let specs = learn_feature_specs(&names, &arrays)?;
        for (name, array) in names.iter().zip(&arrays) {
            if array.null_count() == array.len() {
                return plan_err!("feature '{name}' is NULL in every row; remove it or fill it");
            }
        }
        let labels = label_values(&batch, label)?;
        check_labels(&labels, label, objective)?;
        let columns = encode_columns(&specs, &arrays)?
            .into_iter()
            .map(Vec::from)
            .collect();
        Ok(Self {
            features: specs,
            columns,
            labels,
        })
    }

    /// Data scored by an existing model: its features, encoded the way it learned them.
    pub fn for_model(
        batches: &[RecordBatch],
        label: &str,
        features: &[FeatureSpec],
        objective: Objective,
    ) -> Result<Self> {
        let Some(first) = batches.first() else {
            return plan_err!("the evaluation data is empty: the query returned no rows");
        };
        let batch = concat_batches(&first.schema(), batches)?;
        let mut arrays = Vec::with_capacity(features.len());
        for spec in features {
            match batch.column_by_name(&spec.name) {
                Some(array) => arrays.push(array.clone()),
                None => {
                    return plan_err!(
                        "the data has no column '{}', a feature of the model",
                        spec.name
                    );
                }
            }
        }
        let labels = label_values(&batch, label)?;
        check_labels(&labels, label, objective).or_else(|e| {
            // Evaluating on one class is legitimate (e.g. a slice of churners); only 0/1 is required.
            if e.to_string().contains("has only class") {
                Ok(())
            } else {
                Err(e)
            }
        })?;
        Ok(Self {
            columns: encode_columns(features, &arrays)?
                .into_iter()
                .map(Vec::from)
                .collect(),
            features: features.to_vec(),
            labels,
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.labels.len()
    }

    /// The feature columns as slices.
    pub fn column_slices(&self) -> Vec<&[f64]> {
        self.columns.iter().map(Vec::as_slice).collect()
    }

    /// The rows at `indices`, in that order (the columns copied in parallel).
    pub fn subset(&self, indices: &[usize]) -> Self {
        Self {
            features: self.features.clone(),
            columns: self
                .columns
                .par_iter()
                .map(|c| indices.iter().map(|&i| c[i]).collect())
                .collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }

    /// All features in one column-major buffer (what forust's `Matrix` reads).
    pub fn column_major(&self) -> Vec<f64> {
        let mut data = Vec::with_capacity(self.rows() * self.columns.len());
        for column in &self.columns {
            data.extend_from_slice(column);
        }
        data
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Float64Array, Int32Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};

    use super::*;

    fn batch(labels: Vec<Option<i32>>, x: Vec<Option<f64>>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("y", DataType::Int32, true),
            Field::new("x", DataType::Float64, true),
            Field::new("s", DataType::Utf8, true),
        ]));
        let n = labels.len();
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int32Array::from(labels)),
                Arc::new(Float64Array::from(x)),
                Arc::new(StringArray::from(vec![Some("a"); n])),
            ],
        )
        .expect("batch")
    }

    #[test]
    fn builds_columns_and_labels() {
        let data = Dataset::for_training(
            &[batch(vec![Some(0), Some(1)], vec![Some(1.5), None])],
            "y",
            None,
            Objective::BinaryLogistic,
        )
        .expect("valid");
        assert_eq!(data.labels, vec![0.0, 1.0]);
        assert_eq!(data.features.len(), 2);
        assert_eq!(data.columns[0][0], 1.5);
        assert!(data.columns[0][1].is_nan());
        assert_eq!(data.column_major().len(), 4);
        assert_eq!(data.subset(&[1]).labels, vec![1.0]);
    }

    #[test]
    fn refuses_bad_training_sets() {
        let train = |b: RecordBatch, label: &str| {
            Dataset::for_training(&[b], label, None, Objective::BinaryLogistic)
        };
        let msg = |r: Result<Dataset>| r.expect_err("refused").to_string();
        assert!(msg(train(batch(vec![], vec![]), "y")).contains("training data is empty"));
        assert!(
            msg(train(
                batch(vec![Some(0), Some(1)], vec![Some(1.0), Some(2.0)]),
                "label"
            ))
            .contains("label column 'label' is not in the training data; its columns are: y, x, s")
        );
        assert!(
            msg(train(
                batch(vec![Some(0), Some(2)], vec![Some(1.0), Some(2.0)]),
                "y"
            ))
            .contains("label must be 0 or 1, but 'y' is 2 at row 2")
        );
        assert!(
            msg(train(
                batch(vec![Some(1), Some(1)], vec![Some(1.0), Some(2.0)]),
                "y"
            ))
            .contains("has only class 1")
        );
        assert!(
            msg(train(
                batch(vec![Some(0), None], vec![Some(1.0), Some(2.0)]),
                "y"
            ))
            .contains("is NULL at row 2")
        );
        assert!(
            msg(train(batch(vec![Some(0), Some(1)], vec![None, None]), "y"))
                .contains("feature 'x' is NULL in every row")
        );
        let regression = Dataset::for_training(
            &[batch(vec![Some(3), Some(7)], vec![Some(1.0), Some(2.0)])],
            "y",
            Some(&["x".to_string()]),
            Objective::SquaredError,
        )
        .expect("any finite label for regression");
        assert_eq!(regression.features.len(), 1);
    }
}
