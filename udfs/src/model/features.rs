//! Arrow columns → the column-major `f64` matrix trees work on.
//!
//! Numbers, booleans (0/1) and dates (days since 1970-01-01) are used as they
//! are; strings are categorical and coded by their position among the sorted
//! categories seen in training (ordinal coding, stored in the model). NULL, NaN
//! and unseen categories become NaN: "missing", which each split routes by its
//! learned default direction.

use std::collections::{BTreeSet, HashMap};

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::buffer::ScalarBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Result, plan_err};

use crate::model::ensemble::{FeatureKind, FeatureSpec};

fn is_numeric(data_type: &DataType) -> bool {
    data_type.is_numeric()
        || matches!(
            data_type,
            DataType::Boolean | DataType::Date32 | DataType::Null
        )
}

fn is_text(data_type: &DataType) -> bool {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, value) => is_text(value),
        _ => false,
    }
}

/// Decides each column's encoding from the training data.
pub fn learn_feature_specs(names: &[String], arrays: &[ArrayRef]) -> Result<Vec<FeatureSpec>> {
    names
        .iter()
        .zip(arrays)
        .map(|(name, array)| {
            let data_type = array.data_type();
            if is_numeric(data_type) {
                Ok(FeatureSpec::numeric(name.clone()))
            } else if is_text(data_type) {
                let strings = cast(array, &DataType::Utf8)?;
                let strings = strings.as_string::<i32>();
                let categories: BTreeSet<&str> = strings.iter().flatten().collect();
                Ok(FeatureSpec {
                    name: name.clone(),
                    kind: FeatureKind::Categorical {
                        categories: categories.into_iter().map(str::to_string).collect(),
                    },
                })
            } else {
                plan_err!("feature '{name}' has type {data_type}; features must be numbers, booleans, dates or strings")
            }
        })
        .collect()
}

/// Encodes `arrays` (one per spec, same order) into one column of `f64` per
/// feature. A `DOUBLE` column without NULLs is shared, not copied: scoring
/// reads it where Arrow holds it (at 30 features a copy was a fifth of
/// `predict`'s time, most of it page faults on the fresh pages).
pub fn encode_columns(
    specs: &[FeatureSpec],
    arrays: &[ArrayRef],
) -> Result<Vec<ScalarBuffer<f64>>> {
    if specs.len() != arrays.len() {
        return plan_err!(
            "expected {} feature columns, got {}",
            specs.len(),
            arrays.len()
        );
    }
    specs
        .iter()
        .zip(arrays)
        .map(|(spec, array)| encode_column(spec, array))
        .collect()
}

fn encode_column(spec: &FeatureSpec, array: &ArrayRef) -> Result<ScalarBuffer<f64>> {
    let data_type = array.data_type();
    match &spec.kind {
        FeatureKind::Numeric => {
            if !is_numeric(data_type) {
                return plan_err!(
                    "feature '{}' was numeric in training but is {data_type} here",
                    spec.name
                );
            }
            let as_numbers = match data_type {
                // Arrow casts dates to integers (days), not floats; go through Int32.
                DataType::Date32 => cast(&cast(array, &DataType::Int32)?, &DataType::Float64)?,
                _ => cast(array, &DataType::Float64)?,
            };
            let floats = as_numbers.as_primitive::<Float64Type>();
            Ok(match floats.nulls() {
                None => floats.values().clone(),
                Some(_) => floats.iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
            })
        }
        FeatureKind::Categorical { categories } => {
            if !is_text(data_type) {
                return plan_err!(
                    "feature '{}' was text in training but is {data_type} here",
                    spec.name
                );
            }
            let codes = CategoryCodes::new(categories);
            Ok(match data_type {
                DataType::Utf8 => codes.encode(array.as_string::<i32>().iter()),
                DataType::LargeUtf8 => codes.encode(array.as_string::<i64>().iter()),
                DataType::Utf8View => codes.encode(array.as_string_view().iter()),
                _ => codes.encode(cast(array, &DataType::Utf8)?.as_string::<i32>().iter()),
            }
            .into())
        }
    }
}

/// A categorical feature's codes: its category's position among the model's
/// categories; an unknown category or NULL is missing (NaN).
enum CategoryCodes<'a> {
    /// Few categories: comparing them in turn beats hashing.
    Few(&'a [String]),
    Many(HashMap<&'a str, f64>),
}

impl<'a> CategoryCodes<'a> {
    /// Up to this many categories are compared in turn.
    const FEW: usize = 16;

    fn new(categories: &'a [String]) -> Self {
        if categories.len() <= Self::FEW {
            return CategoryCodes::Few(categories);
        }
        CategoryCodes::Many(
            categories
                .iter()
                .enumerate()
                .map(|(i, c)| (c.as_str(), i as f64))
                .collect(),
        )
    }

    fn code(&self, value: &str) -> Option<f64> {
        match self {
            CategoryCodes::Few(categories) => {
                categories.iter().position(|c| c == value).map(|i| i as f64)
            }
            CategoryCodes::Many(codes) => codes.get(value).copied(),
        }
    }

    fn encode<'s>(&self, values: impl Iterator<Item = Option<&'s str>>) -> Vec<f64> {
        values
            .map(|v| v.and_then(|s| self.code(s)).unwrap_or(f64::NAN))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{BooleanArray, Date32Array, Int64Array, StringArray};

    use super::*;

    #[test]
    fn encodes_numbers_booleans_dates_and_strings() {
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![Some(1), None, Some(3)])),
            Arc::new(BooleanArray::from(vec![true, false, true])),
            Arc::new(Date32Array::from(vec![0, 1, 19_000])),
            Arc::new(StringArray::from(vec![
                Some("Premium"),
                Some("Basic"),
                None,
            ])),
        ];
        let names: Vec<String> = ["n", "b", "d", "s"].map(String::from).to_vec();
        let specs = learn_feature_specs(&names, &arrays).expect("specs");
        assert_eq!(
            specs[3].kind,
            FeatureKind::Categorical {
                categories: vec!["Basic".into(), "Premium".into()]
            }
        );
        let columns = encode_columns(&specs, &arrays).expect("encode");
        assert_eq!(columns[0][0], 1.0);
        assert!(columns[0][1].is_nan());
        assert_eq!(&columns[1][..], &[1.0, 0.0, 1.0]);
        assert_eq!(&columns[2][..], &[0.0, 1.0, 19_000.0]);
        assert_eq!(&columns[3][..2], &[1.0, 0.0]);
        assert!(columns[3][2].is_nan());

        // an unseen category is missing, not an error
        let unseen: Vec<ArrayRef> = vec![Arc::new(StringArray::from(vec!["Gold"]))];
        let coded = encode_columns(&specs[3..], &unseen).expect("encode");
        assert!(coded[0][0].is_nan());
    }

    #[test]
    fn codes_text_of_every_string_type_with_few_or_many_categories() {
        use datafusion::arrow::array::{LargeStringArray, StringViewArray};
        for count in [3usize, CategoryCodes::FEW + 5] {
            let categories: Vec<String> = (0..count).map(|i| format!("c{i:02}")).collect();
            let specs = vec![FeatureSpec {
                name: "s".into(),
                kind: FeatureKind::Categorical {
                    categories: categories.clone(),
                },
            }];
            let values = [Some("c01"), None, Some("gold"), Some("c02")];
            let arrays: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from(values.to_vec())),
                Arc::new(LargeStringArray::from(values.to_vec())),
                Arc::new(StringViewArray::from(values.to_vec())),
            ];
            for array in arrays {
                let coded = encode_columns(&specs, std::slice::from_ref(&array)).expect("encode");
                assert_eq!(
                    coded[0][0],
                    1.0,
                    "{count} categories, {}",
                    array.data_type()
                );
                assert!(coded[0][1].is_nan() && coded[0][2].is_nan());
                assert_eq!(coded[0][3], 2.0);
            }
        }
    }

    #[test]
    fn shares_doubles_without_nulls_and_fills_the_rest() {
        use datafusion::arrow::array::Float64Array;
        let dense = Float64Array::from(vec![0.5, -1.0, 2.0]);
        let sparse = Float64Array::from(vec![Some(0.5), None, Some(2.0)]);
        let arrays: Vec<ArrayRef> = vec![Arc::new(dense.clone()), Arc::new(sparse)];
        let specs = vec![FeatureSpec::numeric("a"), FeatureSpec::numeric("b")];
        let columns = encode_columns(&specs, &arrays).expect("encode");
        // The same memory as the array's values: no copy.
        assert_eq!(columns[0].as_ptr(), dense.values().as_ptr());
        assert_eq!(&columns[0][..], &[0.5, -1.0, 2.0]);
        assert_eq!(columns[1][0], 0.5);
        assert!(columns[1][1].is_nan());
        assert_eq!(columns[1][2], 2.0);
    }

    #[test]
    fn rejects_mismatched_types() {
        let specs = vec![FeatureSpec::numeric("x")];
        let text: Vec<ArrayRef> = vec![Arc::new(StringArray::from(vec!["a"]))];
        let err = encode_columns(&specs, &text).expect_err("text for a number");
        assert!(
            err.to_string()
                .contains("feature 'x' was numeric in training but is Utf8 here"),
            "{err}"
        );
        let unsupported: Vec<ArrayRef> =
            vec![Arc::new(datafusion::arrow::array::BinaryArray::from(vec![
                b"x".as_ref(),
            ]))];
        let err = learn_feature_specs(&["blob".to_string()], &unsupported).expect_err("binary");
        assert!(
            err.to_string().contains("feature 'blob' has type Binary"),
            "{err}"
        );
    }
}
