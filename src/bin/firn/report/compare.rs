//! `--compare`: another model version scored on the card's rows — which
//! version (`previous`, a version or alias of the same model, or
//! `model@version`), its predictions (its own features read by name from the
//! same rows) and its metrics, shown beside the card's and as a second ROC curve.

use datafusion::arrow::array::RecordBatch;
use firnml_udfs::model::TreeEnsemble;

use super::evaluation::{self, Evaluation, plan};
use firnml::Result;
use firnml::ml::metric::evaluate;
use firnml::registry::{Manifest, ModelRef, Registry};

/// Another version scored on the same rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// `name@version`.
    pub name: String,
    /// Its predictions on the evaluated rows.
    pub predictions: Vec<f64>,
    /// Its metrics on them, by name.
    pub metrics: Vec<(String, f64)>,
}

/// The version `--compare` names, relative to `manifest`'s model: `previous`
/// (the version published just before), a version or alias of the same
/// model, or `model@version`.
pub(crate) async fn resolve(
    registry: &Registry,
    manifest: &Manifest,
    text: &str,
) -> Result<(String, TreeEnsemble)> {
    let text = text.trim();
    let reference = if text.eq_ignore_ascii_case("previous") {
        let versions = registry.list_versions(&manifest.name).await?;
        let at = versions
            .iter()
            .position(|v| v.version == manifest.version)
            .unwrap_or(0);
        let Some(previous) = at.checked_sub(1).and_then(|i| versions.get(i)) else {
            return Err(plan(format!(
                "--compare previous: {}@{} is the first version of {}; name another version \
                 (--compare VERSION) or model (--compare MODEL@VERSION)",
                manifest.name, manifest.version, manifest.name
            )));
        };
        ModelRef::at(&previous.name, &previous.version)?
    } else if text.contains('@') && !text.starts_with('@') {
        ModelRef::parse(text)?
    } else {
        ModelRef::parse(&format!(
            "{}@{}",
            manifest.name,
            text.trim_start_matches('@')
        ))?
    };
    let (other, model) = registry.load(&reference).await?;
    Ok((format!("{}@{}", other.name, other.version), model))
}

/// `other` (named `other_name`) scored on the rows `evaluation` evaluated
/// `model` (named `name`) on, at `threshold`.
pub(crate) fn score(
    other_name: &str,
    other: &TreeEnsemble,
    name: &str,
    model: &TreeEnsemble,
    batches: &[RecordBatch],
    evaluation: &Evaluation,
    threshold: f64,
) -> Result<Comparison> {
    if other.objective() != model.objective() {
        return Err(plan(format!(
            "--compare: {other_name} is a {} and {name} a {}; only models of the same \
             kind can be compared",
            other.objective().name(),
            model.objective().name()
        )));
    }
    let label = evaluation.label.as_str();
    let predictions =
        evaluation::predict_rows(label, other, batches, &evaluation.rows).map_err(|e| {
            plan(format!(
                "--compare: {other_name} cannot score these rows: {e}"
            ))
        })?;
    let metrics = evaluate(
        other.objective(),
        &predictions,
        &evaluation.data.labels,
        threshold,
    )?
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect();
    Ok(Comparison {
        name: other_name.to_string(),
        predictions,
        metrics,
    })
}
