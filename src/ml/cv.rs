//! k-fold cross-validation of one parameter set.

use std::time::Instant;

use datafusion::common::Result;
use firnml_udfs::model::{CompactForest, Objective};

use crate::ml::dataset::Dataset;
use crate::ml::metric::Metric;
use crate::ml::params::GbdtParams;
use crate::ml::progress::{NoProgress, Progress};
use crate::ml::split::{complement, k_folds};
use crate::ml::trainer::Trainer;

/// Scores of one cross-validation.
#[derive(Debug, Clone, PartialEq)]
pub struct CvResult {
    /// The metric on each held-out fold.
    pub fold_scores: Vec<f64>,
    /// Mean of the fold scores.
    pub mean: f64,
    /// Population standard deviation of the fold scores.
    pub std: f64,
    /// Total training time over the folds, in seconds.
    pub fit_seconds: f64,
}

/// Predictions of `model` for `data` (probabilities for classifiers).
pub fn predict(forest: &CompactForest, objective: Objective, data: &Dataset) -> Vec<f64> {
    let mut margins = forest.predict_margin(&data.column_slices());
    for m in &mut margins {
        *m = objective.transform(*m);
    }
    margins
}

/// Trains on all folds but one and scores the held-out fold, `folds` times
/// (stratified by class for classifiers).
pub fn cross_validate(
    trainer: &dyn Trainer,
    data: &Dataset,
    params: &GbdtParams,
    folds: usize,
    metric: Metric,
    seed: u64,
    threshold: f64,
) -> Result<CvResult> {
    cross_validate_with_progress(
        trainer,
        data,
        params,
        folds,
        metric,
        seed,
        threshold,
        &NoProgress,
    )
}

/// [`cross_validate`], advancing `progress` by one step per fold.
#[allow(clippy::too_many_arguments)]
pub fn cross_validate_with_progress(
    trainer: &dyn Trainer,
    data: &Dataset,
    params: &GbdtParams,
    folds: usize,
    metric: Metric,
    seed: u64,
    threshold: f64,
    progress: &dyn Progress,
) -> Result<CvResult> {
    let classification = params.objective == Objective::BinaryLogistic;
    let fold_rows = k_folds(&data.labels, folds, seed, classification)?;
    let mut fold_scores = Vec::with_capacity(folds);
    let mut fit_seconds = 0.0;
    for held_out in &fold_rows {
        let train = data.subset(&complement(data.rows(), held_out));
        let test = data.subset(held_out);
        let started = Instant::now();
        let model = trainer.fit(&train, params)?;
        fit_seconds += started.elapsed().as_secs_f64();
        let predictions = predict(&CompactForest::new(&model), params.objective, &test);
        fold_scores.push(metric.score(&predictions, &test.labels, threshold)?);
        progress.advance(1);
    }
    let mean = fold_scores.iter().sum::<f64>() / fold_scores.len() as f64;
    let std = (fold_scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>()
        / fold_scores.len() as f64)
        .sqrt();
    Ok(CvResult {
        fold_scores,
        mean,
        std,
        fit_seconds,
    })
}
