//! Computing a training profile (see [`crate::registry::profile`]) from the
//! rows a training query returned and the model trained on them. Values are
//! sorted before anything is summed, so the profile does not depend on the
//! order the query returned its rows in.

use std::collections::BTreeMap;

use datafusion::arrow::array::{ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};
use firnml_udfs::model::{CompactForest, FeatureKind, TreeEnsemble, encode_columns};
use rayon::prelude::*;

use super::bins::bin_counts;
use super::float_sort::sort_total;
use super::quantile::percentile;
use crate::registry::profile::{
    CategoricalProfile, CategoryCount, DECILE_BINS, Distribution, FeatureProfile, NumericProfile,
    PERCENTILES, TrainingProfile,
};

/// The finite values of `values`, sorted (NULL, NaN and ±infinity are missing).
pub(crate) fn present_sorted(values: &[f64]) -> Vec<f64> {
    let mut present: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sort_total(&mut present);
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
///
/// Features are profiled in parallel (rayon, in the caller's pool) and the
/// batches are encoded one by one, without a concatenated copy of the table.
pub(crate) fn training_profile(
    batches: &[RecordBatch],
    model: &TreeEnsemble,
) -> Result<Option<TrainingProfile>> {
    if batches.is_empty() {
        return Ok(None);
    }
    let specs = model.features();
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut columns: Vec<Vec<f64>> = specs.iter().map(|_| Vec::with_capacity(rows)).collect();
    let mut texts: Vec<Vec<Option<String>>> = specs.iter().map(|_| Vec::new()).collect();
    for batch in batches {
        let mut arrays = Vec::with_capacity(specs.len());
        for spec in specs {
            match batch.column_by_name(&spec.name) {
                Some(array) => arrays.push(ArrayRef::clone(array)),
                None => return plan_err!("the training data has no column '{}'", spec.name),
            }
        }
        let encoded = encode_columns(specs, &arrays)?;
        for (column, values) in columns.iter_mut().zip(encoded) {
            column.extend_from_slice(&values);
        }
        for ((spec, array), text) in specs.iter().zip(&arrays).zip(&mut texts) {
            if let FeatureKind::Categorical { .. } = spec.kind {
                text.extend(text_values(array)?);
            }
        }
    }
    let distributions: Vec<Option<Distribution>> = specs
        .par_iter()
        .zip(&columns)
        .zip(&texts)
        .map(|((spec, column), text)| match spec.kind {
            FeatureKind::Numeric => numeric_profile(column).map(Distribution::Numeric),
            FeatureKind::Categorical { .. } => {
                Some(Distribution::Categorical(categorical_profile(text)))
            }
        })
        .collect();
    let mut features = Vec::with_capacity(specs.len());
    for (spec, distribution) in specs.iter().zip(distributions) {
        let Some(distribution) = distribution else {
            return Ok(None);
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
        rows: rows as u64,
        features,
        prediction,
    }))
}

/// Rows scored by one task of [`predictions`].
const PREDICTION_CHUNK: usize = 65_536;

/// The predictions of `model` on encoded feature columns, as `predict(…)` returns
/// them (probabilities for a classifier). Chunks of rows are scored in
/// parallel; every row's score is its own, so the result does not depend on
/// the chunks.
pub(crate) fn predictions(model: &TreeEnsemble, columns: &[&[f64]]) -> Vec<f64> {
    let objective = model.objective();
    let forest = CompactForest::new(model);
    let rows = columns.first().map_or(0, |c| c.len());
    let starts: Vec<usize> = (0..rows).step_by(PREDICTION_CHUNK).collect();
    let chunks: Vec<Vec<f64>> = starts
        .par_iter()
        .map(|&start| {
            let end = (start + PREDICTION_CHUNK).min(rows);
            let slices: Vec<&[f64]> = columns.iter().map(|c| &c[start..end]).collect();
            forest
                .predict_margin(&slices)
                .into_iter()
                .map(|m| objective.transform(m))
                .collect()
        })
        .collect();
    chunks.concat()
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
    fn the_profile_does_not_depend_on_batches_or_threads() {
        use std::sync::Arc;

        use datafusion::arrow::array::Float64Array;
        use datafusion::arrow::datatypes::{Field, Schema};

        use crate::ml::{GbdtParams, default_trainer};

        let data = crate::ml::forust::tests::synthetic(3_000, 7);
        let params = GbdtParams {
            n_estimators: 5,
            max_depth: 3,
            ..GbdtParams::default()
        };
        let model = default_trainer().fit(&data, &params).expect("fit");
        let schema = Arc::new(Schema::new(
            data.features
                .iter()
                .map(|f| Field::new(&f.name, DataType::Float64, true))
                .collect::<Vec<_>>(),
        ));
        let columns: Vec<ArrayRef> = data
            .columns
            .iter()
            .map(|c| Arc::new(Float64Array::from(c.clone())) as ArrayRef)
            .collect();
        let whole = RecordBatch::try_new(schema, columns).expect("batch");
        let one = training_profile(std::slice::from_ref(&whole), &model)
            .expect("profile")
            .expect("values");
        assert_eq!(one.rows, 3_000);
        let parts = [
            whole.slice(0, 1_000),
            whole.slice(1_000, 1),
            whole.slice(1_001, 1_999),
        ];
        let pool = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool")
        };
        for threads in [1, 3] {
            let split = pool(threads)
                .install(|| training_profile(&parts, &model))
                .expect("profile");
            assert_eq!(split.as_ref(), Some(&one), "{threads} threads, 3 batches");
        }
        // The predictions, chunk by chunk, are the rows' own.
        let rows: usize = 2 * PREDICTION_CHUNK + 17;
        let column: Vec<f64> = (0..rows).map(|i| (i % 101) as f64 / 10.0 - 5.0).collect();
        let slices = [column.as_slice(), column.as_slice(), column.as_slice()];
        let chunked = predictions(&model, &slices);
        let forest = CompactForest::new(&model);
        let whole: Vec<f64> = forest
            .predict_margin(&slices)
            .into_iter()
            .map(|m| model.objective().transform(m))
            .collect();
        assert_eq!(chunked, whole);
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
