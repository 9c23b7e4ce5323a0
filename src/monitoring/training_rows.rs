//! The training rows of a model version, read again: its training query (the
//! first entry of its lineage) is run now, and its rows are used only when
//! they are the rows the model was trained on — their fingerprint, computed as
//! `CREATE MODEL` computed it, must equal the version's. A drift report then
//! compares new values with the exact training CDF instead of one rebuilt from
//! percentiles.

use datafusion::execution::session_state::SessionState;
use datafusion::prelude::DataFrame;
use firnml_udfs::model::{FeatureKind, TreeEnsemble};

use super::profile::predictions;
use crate::ml::Dataset;
use crate::ml::canonical::canonical_rows;
use crate::ml::fingerprint::fingerprint_like;
use crate::registry::Manifest;

/// The training values of a model version, read again.
#[derive(Debug, Clone)]
pub(crate) struct TrainingValues {
    /// Each feature's encoded values in model order (`None` for categorical features).
    pub features: Vec<Option<Vec<f64>>>,
    /// The model's predictions on the training rows.
    pub predictions: Vec<f64>,
}

/// Reads the training rows of `manifest`'s version again in `state`; `Err`
/// says (in a few words) why they cannot be used.
pub(crate) async fn read_again(
    state: &SessionState,
    manifest: &Manifest,
    model: &TreeEnsemble,
) -> Result<TrainingValues, String> {
    let Some(query) = manifest.lineage.first() else {
        return Err("the version records no training query".to_string());
    };
    let Some(label) = &manifest.label else {
        return Err("the version records no label column".to_string());
    };
    let unreadable = |e: &dyn std::fmt::Display| {
        // The first line says enough; DataFusion's errors can run long.
        let first = e.to_string();
        let first = first.lines().next().unwrap_or_default().to_string();
        format!("the training query cannot be read again ({first})")
    };
    crate::query::shape::check_shape(query).map_err(|e| unreadable(&e))?;
    let plan = state
        .create_logical_plan(query)
        .await
        .map_err(|e| unreadable(&e))?;
    let batches = DataFrame::new(state.clone(), plan)
        .collect()
        .await
        .map_err(|e| unreadable(&e))?;
    let Some(schema) = batches.first().map(|b| b.schema()) else {
        return Err("the training query returns no rows now".to_string());
    };
    let rows = canonical_rows(&schema, &batches).map_err(|e| unreadable(&e))?;
    let names: Vec<String> = model.features().iter().map(|f| f.name.clone()).collect();
    let data = Dataset::for_training(
        std::slice::from_ref(&rows),
        label,
        Some(&names),
        model.objective(),
    )
    .map_err(|e| unreadable(&e))?;
    let recorded = &manifest.training_data_fingerprint;
    if fingerprint_like(recorded, &schema, &data) != *recorded {
        return Err("the training query returns other rows now".to_string());
    }
    let slices = data.column_slices();
    let predictions = predictions(model, &slices);
    let features = model
        .features()
        .iter()
        .zip(data.columns)
        .map(|(spec, column)| matches!(spec.kind, FeatureKind::Numeric).then_some(column))
        .collect();
    Ok(TrainingValues {
        features,
        predictions,
    })
}
