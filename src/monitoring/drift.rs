//! A drift report: one row per feature of a model version and one for its
//! prediction, comparing new values with the version's training profile (PSI
//! over the training deciles or categories, KS, null rates, values outside the
//! training range, unseen categories). The definitions are the README's
//! "Monitoring" section.

use std::collections::BTreeSet;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::Result;

use super::bins::bin_counts;
use super::ks::{ks_exact, ks_from_percentiles};
use super::options::DriftOptions;
use super::profile::present_sorted;
use super::psi::psi;
use crate::registry::profile::{CategoricalProfile, NumericProfile};

/// `ks_source` when the training rows were read again.
pub(crate) const FROM_TRAINING_ROWS: &str = "training rows";
/// `ks_source` when the training CDF comes from the stored percentiles.
pub(crate) const FROM_PERCENTILES: &str = "percentiles";

/// One row of the report.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DriftRow {
    /// The feature (or `prediction`).
    pub feature: String,
    /// `numeric`, `categorical` or `prediction`.
    pub kind: &'static str,
    /// The population stability index (NULL when every new value is missing).
    pub psi: Option<f64>,
    /// The KS statistic (numeric only).
    pub ks: Option<f64>,
    /// Where the training CDF of `ks` came from.
    pub ks_source: Option<&'static str>,
    /// Missing share of the training rows.
    pub null_rate_train: f64,
    /// Missing share of the new rows.
    pub null_rate_now: f64,
    /// Share of the new non-missing values outside the training range (numeric)
    /// or in categories training never saw (categorical).
    pub out_of_range_share: Option<f64>,
    /// Distinct categories training never saw (categorical only).
    pub unseen_categories: Option<i64>,
    /// Whether the row is flagged as drifted.
    pub flagged: bool,
    /// What the numbers mean, in words.
    pub message: String,
}

/// The report's columns.
pub(crate) fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("feature", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("psi", DataType::Float64, true),
        Field::new("ks", DataType::Float64, true),
        Field::new("ks_source", DataType::Utf8, true),
        Field::new("null_rate_train", DataType::Float64, false),
        Field::new("null_rate_now", DataType::Float64, false),
        Field::new("out_of_range_share", DataType::Float64, true),
        Field::new("unseen_categories", DataType::Int64, true),
        Field::new("flagged", DataType::Boolean, false),
        Field::new("message", DataType::Utf8, false),
    ]))
}

/// The rows as one batch of [`schema`].
pub(crate) fn to_batch(rows: &[DriftRow]) -> Result<RecordBatch> {
    let text = |f: fn(&DriftRow) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    let number = |f: fn(&DriftRow) -> Option<f64>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<Float64Array>())
    };
    let columns: Vec<ArrayRef> = vec![
        text(|r| &r.feature),
        text(|r| r.kind),
        number(|r| r.psi),
        number(|r| r.ks),
        Arc::new(rows.iter().map(|r| r.ks_source).collect::<StringArray>()),
        number(|r| Some(r.null_rate_train)),
        number(|r| Some(r.null_rate_now)),
        number(|r| r.out_of_range_share),
        Arc::new(
            rows.iter()
                .map(|r| r.unseen_categories)
                .collect::<Int64Array>(),
        ),
        Arc::new(
            rows.iter()
                .map(|r| Some(r.flagged))
                .collect::<BooleanArray>(),
        ),
        text(|r| &r.message),
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The words of a row: drifted or stable by PSI, then what else changed.
fn message(psi: f64, options: &DriftOptions, notes: Vec<String>) -> String {
    let threshold = options.psi_threshold;
    let verdict = if psi >= threshold {
        format!("drifted: psi {psi:.4} >= {threshold}")
    } else {
        format!("stable: psi {psi:.4} < {threshold}")
    };
    std::iter::once(verdict)
        .chain(notes)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A note on a changed missing share, if it changed.
fn null_note(train: f64, now: f64) -> Option<String> {
    (train != now).then(|| {
        format!(
            "missing {:.1} % in training, {:.1} % now",
            train * 100.0,
            now * 100.0
        )
    })
}

/// The row of a row whose new values are all missing: nothing to compare.
fn all_missing(feature: &str, kind: &'static str, null_rate_train: f64) -> DriftRow {
    DriftRow {
        feature: feature.to_string(),
        kind,
        psi: None,
        ks: None,
        ks_source: None,
        null_rate_train,
        null_rate_now: 1.0,
        out_of_range_share: None,
        unseen_categories: None,
        flagged: true,
        message: format!(
            "every new value is missing (training: {:.1} % missing)",
            null_rate_train * 100.0
        ),
    }
}

/// The row of a numeric feature (or the prediction, `kind = "prediction"`):
/// `new` holds the new values (missing as NaN), `train` the training values
/// when they could be read again.
pub(crate) fn numeric_row(
    (feature, kind): (&str, &'static str),
    profile: &NumericProfile,
    new: &[f64],
    train: Option<&[f64]>,
    options: &DriftOptions,
) -> DriftRow {
    let null_rate_train = share(profile.nulls, profile.nulls + profile.count);
    let present = present_sorted(new);
    if present.is_empty() {
        return all_missing(feature, kind, null_rate_train);
    }
    let null_rate_now = share((new.len() - present.len()) as u64, new.len() as u64);
    let psi = psi(
        &bin_counts(&profile.decile_edges(), &present),
        &profile.decile_counts,
    );
    let (ks, ks_source) = match train {
        Some(train) => (
            ks_exact(&present_sorted(train), &present),
            FROM_TRAINING_ROWS,
        ),
        None => (
            ks_from_percentiles(&profile.percentiles, &present),
            FROM_PERCENTILES,
        ),
    };
    let outside = present
        .iter()
        .filter(|v| **v < profile.min || **v > profile.max)
        .count() as u64;
    let out_of_range_share = share(outside, present.len() as u64);
    let mut notes = Vec::new();
    if outside > 0 {
        notes.push(format!(
            "{:.1} % of values outside the training range [{}, {}]",
            out_of_range_share * 100.0,
            profile.min,
            profile.max
        ));
    }
    notes.extend(null_note(null_rate_train, null_rate_now));
    DriftRow {
        feature: feature.to_string(),
        kind,
        psi: Some(psi),
        ks: Some(ks),
        ks_source: Some(ks_source),
        null_rate_train,
        null_rate_now,
        out_of_range_share: Some(out_of_range_share),
        unseen_categories: None,
        flagged: psi >= options.psi_threshold,
        message: message(psi, options, notes),
    }
}

/// The row of a categorical feature: bins are the training categories and one
/// "other" for every category training never saw.
pub(crate) fn categorical_row(
    feature: &str,
    profile: &CategoricalProfile,
    new: &[Option<String>],
    options: &DriftOptions,
) -> DriftRow {
    let train_present = profile.count();
    let null_rate_train = share(profile.nulls, profile.nulls + train_present);
    let present: Vec<&str> = new.iter().flatten().map(String::as_str).collect();
    if present.is_empty() {
        return all_missing(feature, "categorical", null_rate_train);
    }
    let null_rate_now = share((new.len() - present.len()) as u64, new.len() as u64);
    let known = &profile.categories;
    let mut actual = vec![0u64; known.len() + 1];
    let mut unseen = BTreeSet::new();
    for value in &present {
        match known.binary_search_by(|c| c.value.as_str().cmp(value)) {
            Ok(bin) => actual[bin] += 1,
            Err(_) => {
                actual[known.len()] += 1;
                unseen.insert(*value);
            }
        }
    }
    let expected: Vec<u64> = known.iter().map(|c| c.count).chain([0]).collect();
    let psi = psi(&actual, &expected);
    let other = actual[known.len()];
    let out_of_range_share = share(other, present.len() as u64);
    let mut notes = Vec::new();
    if !unseen.is_empty() {
        let shown: Vec<String> = unseen.iter().take(3).map(|c| format!("'{c}'")).collect();
        let more = if unseen.len() > 3 { ", …" } else { "" };
        let noun = if unseen.len() == 1 {
            "category"
        } else {
            "categories"
        };
        notes.push(format!(
            "{} {noun} not seen in training ({}{more}), {:.1} % of values",
            unseen.len(),
            shown.join(", "),
            out_of_range_share * 100.0
        ));
    }
    notes.extend(null_note(null_rate_train, null_rate_now));
    DriftRow {
        feature: feature.to_string(),
        kind: "categorical",
        psi: Some(psi),
        ks: None,
        ks_source: None,
        null_rate_train,
        null_rate_now,
        out_of_range_share: Some(out_of_range_share),
        unseen_categories: Some(unseen.len() as i64),
        flagged: psi >= options.psi_threshold,
        message: message(psi, options, notes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::profile::{categorical_profile, numeric_profile};

    fn texts(values: &[Option<&str>]) -> Vec<Option<String>> {
        values.iter().map(|v| v.map(str::to_string)).collect()
    }

    #[test]
    fn identical_numbers_give_zero_and_a_shift_is_flagged() {
        let train: Vec<f64> = (0..100).map(f64::from).collect();
        let profile = numeric_profile(&train).expect("values");
        let options = DriftOptions::default();
        let same = numeric_row(("x", "numeric"), &profile, &train, Some(&train), &options);
        assert_eq!(
            (same.psi, same.ks, same.flagged),
            (Some(0.0), Some(0.0), false)
        );
        assert_eq!(same.out_of_range_share, Some(0.0));
        assert_eq!(same.message, "stable: psi 0.0000 < 0.2");

        // Shifted by 50: the decile edges are 9.9, 19.8, …, 89.1; the new values
        // 50…149 fill bins 5…9 with 10, 10, 10, 10 and 60 values (of 100).
        let shifted: Vec<f64> = train.iter().map(|v| v + 50.0).collect();
        let row = numeric_row(("x", "numeric"), &profile, &shifted, None, &options);
        let (a, e): ([f64; 10], f64) =
            ([1e-4, 1e-4, 1e-4, 1e-4, 1e-4, 0.1, 0.1, 0.1, 0.1, 0.6], 0.1);
        let want: f64 = a.iter().map(|a| (a - e) * (a / e).ln()).sum();
        let got = row.psi.expect("psi");
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        assert!(row.flagged);
        assert_eq!(row.ks_source, Some(FROM_PERCENTILES));
        // The percentiles rebuild F(x) = x / 99 on [0, 99]; the largest gap is
        // just below 99: F = 1 there while 49 of the 100 new values are below it.
        let ks = row.ks.expect("ks");
        assert!((ks - 0.51).abs() < 1e-12, "{ks}");
        assert_eq!(row.out_of_range_share, Some(0.5));
        let exact = numeric_row(("x", "numeric"), &profile, &shifted, Some(&train), &options);
        assert_eq!(exact.ks, Some(0.5));
    }

    #[test]
    fn categories_and_missing_values() {
        let train = texts(&[Some("a"), Some("a"), Some("b"), None]);
        let profile = categorical_profile(&train);
        let options = DriftOptions { psi_threshold: 0.1 };
        let now = texts(&[Some("a"), Some("c"), Some("d"), Some("c"), None, None]);
        let row = categorical_row("plan", &profile, &now, &options);
        // a: 1/4 vs 2/3, b: 0 (floored) vs 1/3, other: 3/4 vs 0 (floored).
        let terms: [(f64, f64); 3] = [(0.25, 2.0 / 3.0), (1e-4, 1.0 / 3.0), (0.75, 1e-4)];
        let want: f64 = terms.iter().map(|(a, e)| (a - e) * (a / e).ln()).sum();
        let got = row.psi.expect("psi");
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        assert_eq!(row.unseen_categories, Some(2));
        assert_eq!(row.out_of_range_share, Some(0.75));
        assert_eq!((row.null_rate_train, row.null_rate_now), (0.25, 1.0 / 3.0));
        assert_eq!(row.ks, None);
        assert!(row.flagged);
        assert!(
            row.message
                .contains("2 categories not seen in training ('c', 'd')")
        );

        let nothing = categorical_row("plan", &profile, &texts(&[None]), &options);
        assert_eq!((nothing.psi, nothing.flagged), (None, true));
    }
}
