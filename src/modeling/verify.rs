//! `VERIFY MODEL m@v` (and `verify_model('m@v')`): can a model version be
//! reproduced? Its training query (the first entry of its lineage) is run
//! again, the rows' fingerprint compared with the recorded one, and the model
//! re-trained exactly as `CREATE MODEL` trained it — the same canonical row
//! order, the recorded split (`SplitInfo`), the recorded parameters (after a
//! search: the chosen candidate's) and seed, the backend `trainer_for(params)`.
//! One row per check says `identical`, `differs` (and what) or `unavailable`
//! (and why). Nothing is published or logged.
//!
//! Firn's trainer is deterministic: histograms are summed in a fixed order
//! whatever the thread count (see `ml::gbdt`), subsampling draws from the
//! seeded generator, and the rows are put in canonical order before training,
//! so the same rows and build give bit-identical trees.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;
use datafusion::execution::session_state::SessionState;
use datafusion::prelude::DataFrame;
use firnml_udfs::model::TreeEnsemble;

use super::training::{split, training_data};
use crate::ml::{Dataset, GbdtParams, model_file, trainer_for};
use crate::monitoring::profile::predictions;
use crate::registry::Manifest;
use crate::registry::manifest::FIRN_VERSION;

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Reproduced exactly.
    Identical,
    /// Not reproduced: the detail says what differs.
    Differs,
    /// Could not be checked: the detail says why.
    Unavailable,
}

impl Status {
    /// The text of the `status` column.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Status::Identical => "identical",
            Status::Differs => "differs",
            Status::Unavailable => "unavailable",
        }
    }
}

/// One row of the result.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Check {
    /// What was checked.
    pub check: &'static str,
    /// Its outcome.
    pub status: Status,
    /// What the version recorded.
    pub expected: Option<String>,
    /// What the check found now.
    pub actual: Option<String>,
    /// In words.
    pub detail: String,
}

/// The result's columns.
pub(crate) fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("check", DataType::Utf8, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("expected", DataType::Utf8, true),
        Field::new("actual", DataType::Utf8, true),
        Field::new("detail", DataType::Utf8, false),
    ]))
}

/// The checks as one batch of [`schema`].
pub(crate) fn to_batch(checks: &[Check]) -> Result<RecordBatch> {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            checks.iter().map(|c| c.check),
        )),
        Arc::new(StringArray::from_iter_values(
            checks.iter().map(|c| c.status.name()),
        )),
        Arc::new(
            checks
                .iter()
                .map(|c| c.expected.as_deref())
                .collect::<StringArray>(),
        ),
        Arc::new(
            checks
                .iter()
                .map(|c| c.actual.as_deref())
                .collect::<StringArray>(),
        ),
        Arc::new(StringArray::from_iter_values(
            checks.iter().map(|c| c.detail.as_str()),
        )),
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}

fn check(
    check: &'static str,
    status: Status,
    expected: Option<String>,
    actual: Option<String>,
    detail: impl Into<String>,
) -> Check {
    Check {
        check,
        status,
        expected,
        actual,
        detail: detail.into(),
    }
}

/// The recorded training parameters, read back as `CREATE MODEL` wrote them.
fn recorded_params(manifest: &Manifest) -> std::result::Result<GbdtParams, String> {
    if manifest.params.is_empty() {
        return Err("the version records no training parameters".to_string());
    }
    let mut params = GbdtParams::default();
    for (name, value) in &manifest.params {
        if GbdtParams::is_parameter(name) {
            params.set(name, value).map_err(|e| {
                format!("the recorded parameter {name} = '{value}' is invalid: {e}")
            })?;
        }
    }
    Ok(params)
}

/// `n trees, m nodes`.
fn shape(model: &TreeEnsemble) -> String {
    format!("{} trees, {} nodes", model.num_trees(), model.nodes().len())
}

/// Where two models first differ, in words; `None` when they are bit-identical.
fn first_difference(stored: &TreeEnsemble, retrained: &TreeEnsemble) -> Option<String> {
    if stored.objective() != retrained.objective() {
        return Some(format!(
            "objective {} vs {}",
            stored.objective().name(),
            retrained.objective().name()
        ));
    }
    if stored.base_score().to_bits() != retrained.base_score().to_bits() {
        return Some(format!(
            "base score {:?} vs {:?}",
            stored.base_score(),
            retrained.base_score()
        ));
    }
    if stored.features() != retrained.features() {
        return Some("the features or their categories differ".to_string());
    }
    let (a, b) = (stored.nodes(), retrained.nodes());
    for i in 0..a.len().min(b.len()) {
        let same = a.tree_id[i] == b.tree_id[i]
            && a.node_id[i] == b.node_id[i]
            && a.feature[i] == b.feature[i]
            && a.threshold[i].to_bits() == b.threshold[i].to_bits()
            && a.default_left[i] == b.default_left[i]
            && a.left[i] == b.left[i]
            && a.right[i] == b.right[i]
            && a.leaf_value[i].to_bits() == b.leaf_value[i].to_bits()
            && a.gain[i].to_bits() == b.gain[i].to_bits()
            && a.cover[i].to_bits() == b.cover[i].to_bits();
        if !same {
            return Some(format!(
                "first difference in tree {} node {}",
                a.tree_id[i], a.node_id[i]
            ));
        }
    }
    (a.len() != b.len()).then(|| format!("{} nodes vs {}", a.len(), b.len()))
}

/// The training query's rows now, or why they cannot be read.
async fn rows_now(
    state: &SessionState,
    query: &str,
) -> std::result::Result<Vec<RecordBatch>, String> {
    let cannot = |e: &dyn std::fmt::Display| {
        let text = e.to_string();
        let first = text.lines().next().unwrap_or_default().to_string();
        format!("the training query cannot run now: {first}")
    };
    crate::query::shape::check_shape(query).map_err(|e| cannot(&e))?;
    let plan = state
        .create_logical_plan(query)
        .await
        .map_err(|e| cannot(&e))?;
    DataFrame::new(state.clone(), plan)
        .collect()
        .await
        .map_err(|e| cannot(&e))
}

/// What re-training produced, or why it could not run.
struct Retrained {
    model: TreeEnsemble,
    /// Predictions of the stored and the re-trained model on every training row.
    stored_predictions: Vec<f64>,
    retrained_predictions: Vec<f64>,
}

/// Re-trains on `data` as `CREATE MODEL` did (off the async threads).
async fn retrain(
    data: Dataset,
    params: GbdtParams,
    manifest: &Manifest,
    stored: &TreeEnsemble,
) -> std::result::Result<Retrained, String> {
    let Some(info) = manifest.split else {
        return Err("the version records no split (it was not made by CREATE MODEL)".to_string());
    };
    let stored = stored.clone();
    let work = move || -> Result<Retrained> {
        let columns = data.column_slices();
        let stored_predictions = predictions(&stored, &columns);
        let (train, _held_out) =
            split(data.clone(), info.test_fraction, info.seed, info.stratified)?;
        let model = trainer_for(&params).fit(&train, &params)?;
        let retrained_predictions = predictions(&model, &data.column_slices());
        Ok(Retrained {
            model,
            stored_predictions,
            retrained_predictions,
        })
    };
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| format!("re-training stopped: {e}"))?
        .map_err(|e| {
            let text = e.to_string();
            format!(
                "re-training failed: {}",
                text.lines().next().unwrap_or_default()
            )
        })
}

/// Checks whether the version `manifest` describes (its model `stored`) can be
/// reproduced in `state`; the rows of the result, the overall verdict last.
pub(crate) async fn verify(
    state: &SessionState,
    manifest: &Manifest,
    stored: &TreeEnsemble,
) -> Result<Vec<Check>> {
    let mut checks = Vec::new();
    let params = recorded_params(manifest);
    let not_retrained = |reason: &str, checks: &mut Vec<Check>| {
        for name in ["trees", "predictions"] {
            checks.push(check(
                name,
                Status::Unavailable,
                None,
                None,
                format!("not re-trained: {reason}"),
            ));
        }
    };

    let data = match (manifest.lineage.first(), &manifest.label) {
        (None, _) => Err("the version records no training query".to_string()),
        (_, None) => Err("the version records no label column".to_string()),
        (Some(query), Some(label)) => match rows_now(state, query).await {
            Err(reason) => Err(reason),
            Ok(batches) if batches.iter().all(|b| b.num_rows() == 0) => {
                Err("the training query returns no rows now".to_string())
            }
            Ok(batches) => {
                let names: Vec<String> = stored.features().iter().map(|f| f.name.clone()).collect();
                training_data(
                    &batches,
                    label,
                    Some(&names),
                    stored.objective(),
                    Some(&manifest.training_data_fingerprint),
                )
                .map_err(|e| {
                    let text = e.to_string();
                    format!(
                        "the training query's rows are no training set for this model now: {}",
                        text.lines().next().unwrap_or_default()
                    )
                })
            }
        },
    };
    let expected_fingerprint = Some(manifest.training_data_fingerprint.clone());
    match data {
        Err(reason) => {
            checks.push(check(
                "data fingerprint",
                Status::Unavailable,
                expected_fingerprint,
                None,
                reason.clone(),
            ));
            not_retrained(&reason, &mut checks);
        }
        Ok((data, fingerprint)) => {
            let rows = data.rows();
            let same = fingerprint == manifest.training_data_fingerprint;
            checks.push(check(
                "data fingerprint",
                if same {
                    Status::Identical
                } else {
                    Status::Differs
                },
                expected_fingerprint,
                Some(fingerprint),
                if same {
                    format!("the training query returns the same {rows} rows")
                } else {
                    format!(
                        "the training query returns other rows now ({rows} rows); the model is re-trained on them"
                    )
                },
            ));
            match &params {
                Err(reason) => not_retrained(reason, &mut checks),
                Ok(params) => match retrain(data, params.clone(), manifest, stored).await {
                    Err(reason) => not_retrained(&reason, &mut checks),
                    Ok(retrained) => {
                        checks.push(trees_check(stored, &retrained.model));
                        checks.push(predictions_check(&retrained));
                    }
                },
            }
        }
    }

    let firn_same = manifest.firn_version.as_deref() == Some(FIRN_VERSION);
    checks.push(check(
        "firn version",
        match &manifest.firn_version {
            None => Status::Unavailable,
            Some(_) if firn_same => Status::Identical,
            Some(_) => Status::Differs,
        },
        manifest.firn_version.clone(),
        Some(FIRN_VERSION.to_string()),
        match &manifest.firn_version {
            None => "the version was published before Firn recorded its version".to_string(),
            Some(_) if firn_same => "published by this Firn version".to_string(),
            Some(v) => format!("published by Firn {v}, verified with Firn {FIRN_VERSION}"),
        },
    ));
    checks.push(match &params {
        Err(reason) => check(
            "trainer",
            Status::Unavailable,
            Some(manifest.trainer.clone()),
            None,
            reason.clone(),
        ),
        Ok(params) => {
            let now = trainer_for(params).name().to_string();
            let same = now == manifest.trainer;
            check(
                "trainer",
                if same {
                    Status::Identical
                } else {
                    Status::Differs
                },
                Some(manifest.trainer.clone()),
                Some(now.clone()),
                if same {
                    format!("the recorded parameters select {now}, as when it was trained")
                } else {
                    format!(
                        "trained by {}, the recorded parameters select {now} now",
                        manifest.trainer
                    )
                },
            )
        }
    });
    checks.push(overall(&checks));
    Ok(checks)
}

fn trees_check(stored: &TreeEnsemble, retrained: &TreeEnsemble) -> Check {
    let bytes = |m: &TreeEnsemble| model_file::to_parquet(m).ok();
    let (expected, actual) = (Some(shape(stored)), Some(shape(retrained)));
    match first_difference(stored, retrained) {
        None => {
            let same_bytes = bytes(stored).is_some_and(|a| Some(a) == bytes(retrained));
            check(
                "trees",
                Status::Identical,
                expected,
                actual,
                if same_bytes {
                    "the re-trained trees are bit-identical (the same model file bytes)"
                } else {
                    "the re-trained trees are bit-identical"
                },
            )
        }
        Some(difference) => check(
            "trees",
            Status::Differs,
            expected,
            actual,
            format!("the re-trained trees differ: {difference}"),
        ),
    }
}

fn predictions_check(retrained: &Retrained) -> Check {
    let (a, b) = (
        &retrained.stored_predictions,
        &retrained.retrained_predictions,
    );
    let mut max = 0.0f64;
    let mut differing = 0usize;
    for (x, y) in a.iter().zip(b) {
        if x.to_bits() != y.to_bits() {
            differing += 1;
            let gap = (x - y).abs();
            max = if gap.is_nan() {
                f64::INFINITY
            } else {
                max.max(gap)
            };
        }
    }
    let rows = a.len();
    check(
        "predictions",
        if differing == 0 {
            Status::Identical
        } else {
            Status::Differs
        },
        Some("0.0".to_string()),
        Some(format!("{max:?}")),
        if differing == 0 {
            format!("the same prediction on all {rows} training rows (max abs difference 0)")
        } else {
            format!(
                "{differing} of {rows} training rows are predicted differently; max abs difference {max:?}"
            )
        },
    )
}

/// The verdict over every check: `identical` only when all are.
fn overall(checks: &[Check]) -> Check {
    let named = |status: Status| -> Vec<&str> {
        checks
            .iter()
            .filter(|c| c.status == status)
            .map(|c| c.check)
            .collect()
    };
    let (differs, unavailable) = (named(Status::Differs), named(Status::Unavailable));
    let (status, detail) = if !differs.is_empty() {
        let mut detail = format!("not reproduced: {} differ", differs.join(", "));
        if !unavailable.is_empty() {
            detail.push_str(&format!("; not checked: {}", unavailable.join(", ")));
        }
        (Status::Differs, detail)
    } else if !unavailable.is_empty() {
        (
            Status::Unavailable,
            format!("cannot tell: not checked: {}", unavailable.join(", ")),
        )
    } else {
        (
            Status::Identical,
            "reproduced: the same data, trees, predictions, Firn and trainer".to_string(),
        )
    };
    check("overall", status, None, None, detail)
}
