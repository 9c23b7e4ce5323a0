//! Scoring in SQL: `predict`, `predict_proba` and `predict_label`.

mod predict;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;

pub use predict::{PredictKind, PredictUdf};

use crate::model::resolver::ModelResolver;

/// The scoring functions over `resolver`'s models.
pub fn functions(resolver: Arc<dyn ModelResolver>) -> Vec<Arc<ScalarUDF>> {
    [PredictKind::Predict, PredictKind::Proba, PredictKind::Label]
        .into_iter()
        .map(|kind| {
            Arc::new(ScalarUDF::new_from_impl(PredictUdf::new(
                kind,
                Arc::clone(&resolver),
            )))
        })
        .collect()
}
