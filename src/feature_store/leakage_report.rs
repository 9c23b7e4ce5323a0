//! The leakage report of a training set (what `check_training_set` returns),
//! computed from its rows: per feature the share of NULLs, the ROC-AUC of the
//! feature alone against the label, and how many rows use a feature value that
//! became known after the spine's event time or after the labelling cutoff.
//!
//! A numeric (or boolean, date) feature is scored as it is; a text feature by
//! its category's label rate — the best any model could do with it alone — so a
//! leaked label in disguise stands out. Text with more distinct values than half
//! the rows is an identifier, not a feature, and gets no AUC. An AUC at or above
//! the threshold (default 0.99), or at or below one minus it, is flagged, as is
//! any row with a feature from the future.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema, SchemaRef};
use datafusion::common::{Result, ScalarValue, plan_err};
use firnml_udfs::metrics::roc_auc;

use crate::feature_store::training_set::times::to_micros;

/// Default AUC above which (or below one minus which) a feature is flagged.
pub const DEFAULT_AUC_THRESHOLD: f64 = 0.99;

/// One feature to check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedFeature {
    /// Its column.
    pub column: String,
    /// The view it came from (`name:version`), if known.
    pub view: Option<String>,
    /// The column holding when its value became known, if any.
    pub time_column: Option<String>,
}

/// What to check in a training set's rows.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckSpec {
    /// The label column (0/1).
    pub label: String,
    /// The features.
    pub features: Vec<CheckedFeature>,
    /// The spine's event time column, if any.
    pub spine_time: Option<String>,
    /// The labelling cutoff in µs, if given.
    pub cutoff: Option<i64>,
    /// Flag AUC ≥ this or ≤ 1 − this.
    pub auc_threshold: f64,
    /// Key columns, to name an example row in messages.
    pub keys: Vec<String>,
}

/// The report's columns.
pub fn report_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("feature", DataType::Utf8, true),
        Field::new("feature_view", DataType::Utf8, true),
        Field::new("data_type", DataType::Utf8, true),
        Field::new("rows", DataType::Int64, false),
        Field::new("null_count", DataType::Int64, false),
        Field::new("null_rate", DataType::Float64, true),
        Field::new("auc", DataType::Float64, true),
        Field::new("rows_after_spine_time", DataType::Int64, true),
        Field::new("rows_after_cutoff", DataType::Int64, true),
        Field::new("flagged", DataType::Boolean, false),
        Field::new("message", DataType::Utf8, false),
    ]))
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    /// The feature; `None` on the summary row.
    pub feature: Option<String>,
    /// Its view.
    pub view: Option<String>,
    /// Its type.
    pub data_type: Option<String>,
    /// Rows checked.
    pub rows: i64,
    /// NULL values (summary: rows with any NULL feature).
    pub null_count: i64,
    /// The feature's AUC alone against the label.
    pub auc: Option<f64>,
    /// Rows whose value is from after the spine time.
    pub after_spine_time: Option<i64>,
    /// Rows whose value is from after the cutoff.
    pub after_cutoff: Option<i64>,
    /// Whether something is wrong.
    pub flagged: bool,
    /// What was found.
    pub message: String,
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    match batch.column_by_name(name) {
        Some(c) => Ok(c),
        None => plan_err!("check_training_set: no column '{name}' in the training set"),
    }
}

/// The label as 0/1 values (`None` where NULL), or why it cannot be one.
fn binary_labels(array: &ArrayRef) -> std::result::Result<Vec<Option<f64>>, String> {
    if !(array.data_type().is_numeric() || array.data_type() == &DataType::Boolean) {
        return Err("the label is not numeric, so no AUC".into());
    }
    let values = cast(array.as_ref(), &DataType::Float64).map_err(|e| e.to_string())?;
    let values = values.as_primitive::<Float64Type>();
    let labels: Vec<Option<f64>> = values.iter().collect();
    if labels.iter().flatten().any(|v| *v != 0.0 && *v != 1.0) {
        return Err("the label is not 0/1, so no AUC".into());
    }
    Ok(labels)
}

/// Scores of a feature for the AUC: its values, or its category's label rate.
fn scores(
    values: &ArrayRef,
    labels: &[Option<f64>],
) -> std::result::Result<Vec<Option<f64>>, String> {
    match values.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = cast(values.as_ref(), &DataType::Utf8).map_err(|e| e.to_string())?;
            let text = text.as_string::<i32>();
            let mut rates: HashMap<&str, (f64, f64)> = HashMap::new();
            for (value, label) in text.iter().zip(labels) {
                if let (Some(value), Some(label)) = (value, label) {
                    let entry = rates.entry(value).or_default();
                    entry.0 += label;
                    entry.1 += 1.0;
                }
            }
            let checked = labels.iter().filter(|l| l.is_some()).count();
            if rates.len() * 2 > checked && rates.len() > 2 {
                return Err(format!(
                    "{} distinct values: an identifier, not a feature; no AUC",
                    rates.len()
                ));
            }
            Ok(text
                .iter()
                .map(|v| v.and_then(|v| rates.get(v)).map(|(s, n)| s / n))
                .collect())
        }
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _) => {
            let micros = to_micros(values).map_err(|e| e.to_string())?;
            Ok(micros.iter().map(|v| v.map(|v| v as f64)).collect())
        }
        _ => {
            let numbers = cast(values.as_ref(), &DataType::Float64)
                .map_err(|_| format!("type {} cannot be scored", values.data_type()))?;
            Ok(numbers
                .as_primitive::<Float64Type>()
                .iter()
                .map(|v| v.filter(|v| !v.is_nan()))
                .collect())
        }
    }
}

fn auc_of(scores: &[Option<f64>], labels: &[Option<f64>]) -> Result<Option<f64>> {
    let (s, l): (Vec<f64>, Vec<f64>) = scores
        .iter()
        .zip(labels)
        .filter_map(|(s, l)| Some(((*s)?, (*l)?)))
        .unzip();
    roc_auc(&s, &l)
}

/// Rows where `later` is after `earlier` (µs; NULLs never count).
fn after(later: &Int64Array, earlier: impl Fn(usize) -> Option<i64>) -> Vec<bool> {
    (0..later.len())
        .map(|i| !later.is_null(i) && earlier(i).is_some_and(|e| later.value(i) > e))
        .collect()
}

fn describe_row(batch: &RecordBatch, keys: &[String], row: usize) -> String {
    let parts: Vec<String> = keys
        .iter()
        .filter_map(|k| {
            let value = ScalarValue::try_from_array(batch.column_by_name(k)?, row).ok()?;
            Some(format!("{k} = {value}"))
        })
        .collect();
    if parts.is_empty() {
        format!("row {}", row + 1)
    } else {
        parts.join(", ")
    }
}

/// Checks the rows of `batches` (all with `schema`) as `spec` says.
pub fn check(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    spec: &CheckSpec,
) -> Result<Vec<ReportRow>> {
    let batch = concat_batches(schema, batches)?;
    let rows = batch.num_rows();
    let labels = binary_labels(column(&batch, &spec.label)?);
    let spine_time = spec
        .spine_time
        .as_ref()
        .map(|c| column(&batch, c).and_then(to_micros))
        .transpose()?;
    let mut any_null = vec![false; rows];
    let mut any_after_spine = vec![false; rows];
    let mut any_after_cutoff = vec![false; rows];
    let mut report = Vec::new();
    let mut flagged_names = Vec::new();
    for feature in &spec.features {
        let values = column(&batch, &feature.column)?;
        for (i, null) in any_null.iter_mut().enumerate() {
            *null |= values.is_null(i);
        }
        let mut notes: Vec<String> = Vec::new();
        let auc = match &labels {
            Ok(labels) => match scores(values, labels) {
                Ok(scores) => auc_of(&scores, labels)?,
                Err(why) => {
                    notes.push(why);
                    None
                }
            },
            Err(why) => {
                notes.push(why.clone());
                None
            }
        };
        let times = feature
            .time_column
            .as_ref()
            .map(|c| column(&batch, c).and_then(to_micros))
            .transpose()?;
        let after_spine = match (&times, &spine_time) {
            (Some(times), Some(spine)) => Some(after(times, |i| {
                (!spine.is_null(i)).then(|| spine.value(i))
            })),
            _ => None,
        };
        let after_cutoff = match (&times, spec.cutoff) {
            (Some(times), Some(cutoff)) => Some(after(times, |_| Some(cutoff))),
            _ => None,
        };
        let count = |flags: &Option<Vec<bool>>| {
            flags
                .as_ref()
                .map(|f| f.iter().filter(|x| **x).count() as i64)
        };
        let (n_spine, n_cutoff) = (count(&after_spine), count(&after_cutoff));
        let mut flagged = false;
        if let Some(flags) = &after_spine {
            if let Some(row) = flags.iter().position(|x| *x) {
                flagged = true;
                notes.push(format!(
                    "{} rows use a value from after the spine time (e.g. {})",
                    n_spine.unwrap_or(0),
                    describe_row(&batch, &spec.keys, row)
                ));
            }
            for (acc, x) in any_after_spine.iter_mut().zip(flags) {
                *acc |= *x;
            }
        }
        if let Some(flags) = &after_cutoff {
            if let Some(row) = flags.iter().position(|x| *x) {
                flagged = true;
                notes.push(format!(
                    "{} rows use a value from after the cutoff (e.g. {})",
                    n_cutoff.unwrap_or(0),
                    describe_row(&batch, &spec.keys, row)
                ));
            }
            for (acc, x) in any_after_cutoff.iter_mut().zip(flags) {
                *acc |= *x;
            }
        }
        if let Some(auc) = auc
            && (auc >= spec.auc_threshold || auc <= 1.0 - spec.auc_threshold)
        {
            flagged = true;
            notes.push(format!(
                "AUC {auc:.4} alone: near-perfect, the feature may leak the label"
            ));
            flagged_names.push(format!("{} (AUC {auc:.3})", feature.column));
        } else if flagged {
            flagged_names.push(feature.column.clone());
        }
        if notes.is_empty() {
            notes.push("ok".into());
        }
        report.push(ReportRow {
            feature: Some(feature.column.clone()),
            view: feature.view.clone(),
            data_type: Some(values.data_type().to_string()),
            rows: rows as i64,
            null_count: values.null_count() as i64,
            auc,
            after_spine_time: n_spine,
            after_cutoff: n_cutoff,
            flagged,
            message: notes.join("; "),
        });
    }
    let has_times = |pick: fn(&ReportRow) -> Option<i64>| report.iter().any(|r| pick(r).is_some());
    let count = |flags: &[bool]| flags.iter().filter(|x| **x).count() as i64;
    let summary_spine = has_times(|r| r.after_spine_time).then(|| count(&any_after_spine));
    let summary_cutoff = has_times(|r| r.after_cutoff).then(|| count(&any_after_cutoff));
    let message = if flagged_names.is_empty() {
        format!("{} features checked; none flagged", spec.features.len())
    } else {
        format!(
            "{} features checked; flagged: {}",
            spec.features.len(),
            flagged_names.join(", ")
        )
    };
    report.push(ReportRow {
        feature: None,
        view: None,
        data_type: None,
        rows: rows as i64,
        null_count: count(&any_null),
        auc: None,
        after_spine_time: summary_spine,
        after_cutoff: summary_cutoff,
        flagged: !flagged_names.is_empty(),
        message,
    });
    Ok(report)
}

/// The report as one batch of [`report_schema`].
pub fn to_batch(report: &[ReportRow]) -> Result<RecordBatch> {
    let rate = |r: &ReportRow| (r.rows > 0).then(|| r.null_count as f64 / r.rows as f64);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(
            report.iter().map(|r| r.feature.clone()).collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(
            report.iter().map(|r| r.view.clone()).collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(
            report
                .iter()
                .map(|r| r.data_type.clone())
                .collect::<Vec<_>>(),
        )),
        Arc::new(Int64Array::from(
            report.iter().map(|r| r.rows).collect::<Vec<_>>(),
        )),
        Arc::new(Int64Array::from(
            report.iter().map(|r| r.null_count).collect::<Vec<_>>(),
        )),
        Arc::new(Float64Array::from(
            report.iter().map(rate).collect::<Vec<_>>(),
        )),
        Arc::new(Float64Array::from(
            report.iter().map(|r| r.auc).collect::<Vec<_>>(),
        )),
        Arc::new(Int64Array::from(
            report
                .iter()
                .map(|r| r.after_spine_time)
                .collect::<Vec<_>>(),
        )),
        Arc::new(Int64Array::from(
            report.iter().map(|r| r.after_cutoff).collect::<Vec<_>>(),
        )),
        Arc::new(BooleanArray::from(
            report.iter().map(|r| r.flagged).collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(
            report.iter().map(|r| r.message.clone()).collect::<Vec<_>>(),
        )),
    ];
    Ok(RecordBatch::try_new(report_schema(), columns)?)
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Date32Array, Int32Array};

    use super::*;

    fn feature(column: &str, time: Option<&str>) -> CheckedFeature {
        CheckedFeature {
            column: column.into(),
            view: None,
            time_column: time.map(str::to_string),
        }
    }

    #[test]
    fn finds_nulls_leaks_and_late_values() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("y", DataType::Int32, false),
            Field::new("leak", DataType::Float64, true),
            Field::new("noise", DataType::Float64, true),
            Field::new("kind", DataType::Utf8, true),
            Field::new("at", DataType::Date32, true),
            Field::new("known", DataType::Date32, true),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(StringArray::from(vec!["a", "b", "c", "d"])),
                Arc::new(Int32Array::from(vec![0, 1, 0, 1])),
                Arc::new(Float64Array::from(vec![
                    Some(0.1),
                    Some(0.9),
                    Some(0.2),
                    None,
                ])),
                Arc::new(Float64Array::from(vec![0.5, 0.4, 0.3, 0.6])),
                Arc::new(StringArray::from(vec![
                    Some("x"),
                    Some("x"),
                    Some("z"),
                    Some("z"),
                ])),
                Arc::new(Date32Array::from(vec![10, 10, 10, 10])),
                Arc::new(Date32Array::from(vec![Some(9), Some(11), None, Some(10)])),
            ],
        )
        .expect("batch");
        let spec = CheckSpec {
            label: "y".into(),
            features: vec![
                feature("leak", None),
                feature("noise", Some("known")),
                feature("kind", None),
            ],
            spine_time: Some("at".into()),
            cutoff: Some(10 * 86_400_000_000),
            auc_threshold: DEFAULT_AUC_THRESHOLD,
            keys: vec!["id".into()],
        };
        let report = check(&schema, &[batch], &spec).expect("report");
        let leak = &report[0];
        assert_eq!(
            (leak.null_count, leak.auc, leak.flagged),
            (1, Some(1.0), true)
        );
        assert!(leak.message.contains("near-perfect"), "{}", leak.message);
        let noise = &report[1];
        assert_eq!(
            (noise.after_spine_time, noise.after_cutoff),
            (Some(1), Some(1))
        );
        assert!(noise.flagged);
        assert!(noise.message.contains("e.g. id = b"), "{}", noise.message);
        let kind = &report[2];
        assert_eq!(kind.auc, Some(0.5), "both categories have rate 1/2");
        assert!(!kind.flagged);
        let summary = report.last().expect("summary");
        assert_eq!(summary.feature, None);
        assert_eq!((summary.null_count, summary.after_spine_time), (1, Some(1)));
        assert!(
            summary.message.contains("flagged: leak (AUC 1.000), noise"),
            "{}",
            summary.message
        );
        let batch = to_batch(&report).expect("batch");
        assert_eq!(batch.num_rows(), 4);
        assert_eq!(batch.schema(), report_schema());
    }

    #[test]
    fn identifiers_and_non_binary_labels_get_no_auc() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("y", DataType::Int32, false),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(StringArray::from(vec!["a", "b", "c", "d"])),
                Arc::new(Int32Array::from(vec![0, 1, 0, 1])),
            ],
        )
        .expect("batch");
        let mut spec = CheckSpec {
            label: "y".into(),
            features: vec![feature("id", None)],
            spine_time: None,
            cutoff: None,
            auc_threshold: DEFAULT_AUC_THRESHOLD,
            keys: vec![],
        };
        let report = check(&schema, std::slice::from_ref(&batch), &spec).expect("report");
        assert_eq!(report[0].auc, None);
        assert!(
            report[0].message.contains("an identifier"),
            "{}",
            report[0].message
        );
        spec.label = "id".into();
        spec.features = vec![feature("y", None)];
        let report = check(&schema, &[batch], &spec).expect("report");
        assert_eq!(report[0].auc, None);
        assert!(
            report[0].message.contains("the label is not numeric"),
            "{}",
            report[0].message
        );
    }
}
