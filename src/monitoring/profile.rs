//! Computing a training profile (see [`crate::registry::profile`]) from the
//! rows a training query returned and the model trained on them. Values are
//! sorted before anything is summed, so the profile does not depend on the
//! order the query returned its rows in.

use std::collections::BTreeMap;

use datafusion::arrow::array::{ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};
use firnml_udfs::model::{CompactForest, FeatureKind, TreeEnsemble, encode_columns};

use super::bins::bin_counts;
use super::quantile::percentile;
use crate::registry::profile::{
    CategoricalProfile, CategoryCount, DECILE_BINS, Distribution, FeatureProfile, NumericProfile,
    PERCENTILES, TrainingProfile,
};

/// The finite values of `values`, sorted (NULL, NaN and ±infinity are missing).
pub(crate) fn present_sorted(values: &[f64]) -> Vec<f64> {
    let mut present: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    present.sort_by(f64::total_cmp);
    present
}

/// The numeric profile of `values` (missing as NaN); `None` when none is present.
pub(crate) fn numeric_profile(values: &[f64]) -> Option<NumericProfile> {
    let present = present_sorted(values);
    let (first, last) = (*present.first()?, *present.last()?);
    let n = present.len() as f64;
    let mean = present.iter().sum::<f64>() / n;
    let variance = present.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    let percentiles: Vec<f64> = (0..PERCENTILES)
        .map(|k| percentile(&present, k as f64))
        .collect();
    let edges: Vec<f64> = (1..DECILE_BINS).map(|d| percentiles[d * 10]).collect();
    Some(NumericProfile {
        count: present.len() as u64,
        nulls: (values.len() - present.len()) as u64,
        min: first,
        max: last,
        mean,
        std: variance.sqrt(),
        percentiles,
        decile_counts: bin_counts(&edges, &present),
    })
}

/// The text of `array` (NULL as `None`).
pub(crate) fn text_values(array: &ArrayRef) -> Result<Vec<Option<String>>> {
    let strings = cast(array, &DataType::Utf8)?;
    Ok(strings
        .as_string::<i32>()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

/// The categorical profile of `values`.
pub(crate) fn categorical_profile(values: &[Option<String>]) -> CategoricalProfile {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for value in values.iter().flatten() {
        *counts.entry(value).or_default() += 1;
    }
    let present: u64 = counts.values().sum();
    CategoricalProfile {
        nulls: values.iter().filter(|v| v.is_none()).count() as u64,
        categories: counts
            .into_iter()
            .map(|(value, count)| CategoryCount {
                value: value.to_string(),
                count,
                share: count as f64 / present as f64,
            })
            .collect(),
    }
}

/// The profile of every feature of `model` and of its predictions over all of
/// `batches` (the rows of its training query). `None` when a numeric feature
/// has no finite value at all: there is no distribution to record.
pub(crate) fn training_profile(
    batches: &[RecordBatch],
    model: &TreeEnsemble,
) -> Result<Option<TrainingProfile>> {
    let Some(first) = batches.first() else {
        return Ok(None);
    };
    let batch = concat_batches(&first.schema(), batches)?;
    let mut arrays = Vec::with_capacity(model.features().len());
    for spec in model.features() {
        match batch.column_by_name(&spec.name) {
            Some(array) => arrays.push(ArrayRef::clone(array)),
            None => return plan_err!("the training data has no column '{}'", spec.name),
        }
    }
    let columns = encode_columns(model.features(), &arrays)?;
    let mut features = Vec::with_capacity(arrays.len());
    for ((spec, array), column) in model.features().iter().zip(&arrays).zip(&columns) {
        let distribution = match spec.kind {
            FeatureKind::Numeric => match numeric_profile(column) {
                Some(profile) => Distribution::Numeric(profile),
                None => return Ok(None),
            },
            FeatureKind::Categorical { .. } => {
                Distribution::Categorical(categorical_profile(&text_values(array)?))
            }
        };
        features.push(FeatureProfile {
            name: spec.name.clone(),
            distribution,
        });
    }
    let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let predictions = predictions(model, &slices);
    let Some(prediction) = numeric_profile(&predictions) else {
        return Ok(None);
    };
    Ok(Some(TrainingProfile {
        rows: batch.num_rows() as u64,
        features,
        prediction,
    }))
}

/// The predictions of `model` on encoded feature columns, as `predict(…)` returns
/// them (probabilities for a classifier).
pub(crate) fn predictions(model: &TreeEnsemble, columns: &[&[f64]]) -> Vec<f64> {
    let objective = model.objective();
    CompactForest::new(model)
        .predict_margin(columns)
        .into_iter()
        .map(|m| objective.transform(m))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_profile_of_hand_computed_values() {
        let values = [4.0, f64::NAN, 1.0, 3.0, 2.0, f64::INFINITY];
        let profile = numeric_profile(&values).expect("values");
        assert_eq!((profile.count, profile.nulls), (4, 2));
        assert_eq!((profile.min, profile.max, profile.mean), (1.0, 4.0, 2.5));
        assert_eq!(profile.std, 1.25f64.sqrt());
        assert_eq!(profile.percentiles.len(), 101);
        assert_eq!(profile.percentiles[50], 2.5);
        assert_eq!(profile.percentiles[100], 4.0);
        // Edges at index 0.3, 0.6, …, 2.7 of [1, 2, 3, 4].
        assert_eq!(profile.decile_counts, vec![1, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
        assert!(numeric_profile(&[f64::NAN]).is_none());
    }

    #[test]
    fn categorical_shares_leave_nulls_out() {
        let values =
            [Some("b"), None, Some("a"), Some("b"), Some("b")].map(|v| v.map(str::to_string));
        let profile = categorical_profile(&values);
        assert_eq!(profile.nulls, 1);
        let shares: Vec<(&str, u64, f64)> = profile
            .categories
            .iter()
            .map(|c| (c.value.as_str(), c.count, c.share))
            .collect();
        assert_eq!(shares, vec![("a", 1, 0.25), ("b", 3, 0.75)]);
    }
}
