//! k-fold cross-validation of one or many parameter sets, every
//! (parameter set, fold) fit scheduled across the cores.
//!
//! The training data is prepared once ([`Trainer::share`]: Firn's trainer
//! bins it once) and each fold trains on a list of row indices into it — no
//! copy of the training rows per fold or candidate. All fits of a call are
//! tasks of one rayon pool of `threads` threads (0 = all cores): a fit runs in
//! that pool (see `gbdt::pool`), so small fits spread over the cores side by
//! side and a large one spreads its own work, without ever running more
//! threads than asked. Each fit is deterministic and the scores are gathered
//! in (candidate, fold) order, so results do not depend on the schedule.

use std::time::Instant;

use datafusion::common::Result;
use firnml_udfs::model::{CompactForest, Objective};
use rayon::prelude::*;

use crate::ml::dataset::Dataset;
use crate::ml::gbdt::pool::run_with_threads;
use crate::ml::metric::Metric;
use crate::ml::params::GbdtParams;
use crate::ml::progress::{NoProgress, Progress, cancelled_error};
use crate::ml::split::{complement, k_folds};
use crate::ml::trainer::{SharedData, Trainer};

/// Scores of one cross-validation.
#[derive(Debug, Clone, PartialEq)]
pub struct CvResult {
    /// The metric on each held-out fold.
    pub fold_scores: Vec<f64>,
    /// Mean of the fold scores.
    pub mean: f64,
    /// Population standard deviation of the fold scores.
    pub std: f64,
    /// Total training time over the folds, in seconds (summed over fits that
    /// may have run side by side).
    pub fit_seconds: f64,
}

impl CvResult {
    fn new(fold_scores: Vec<f64>, fit_seconds: f64) -> Self {
        let n = fold_scores.len().max(1) as f64;
        let mean = fold_scores.iter().sum::<f64>() / n;
        let std = (fold_scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n).sqrt();
        Self {
            fold_scores,
            mean,
            std,
            fit_seconds,
        }
    }
}

/// Rows scored per parallel task of [`predict`].
const PREDICT_BLOCK: usize = 8_192;

/// Predictions of `model` for `data` (probabilities for classifiers), blocks
/// of rows scored in parallel (each row's prediction does not depend on the block).
pub fn predict(forest: &CompactForest, objective: Objective, data: &Dataset) -> Vec<f64> {
    let mut out = vec![0.0; data.rows()];
    out.par_chunks_mut(PREDICT_BLOCK)
        .enumerate()
        .for_each(|(block, out)| {
            let start = block * PREDICT_BLOCK;
            let columns: Vec<&[f64]> = data
                .columns
                .iter()
                .map(|c| &c[start..start + out.len()])
                .collect();
            forest.predict_margin_into(&columns, out);
            for m in out.iter_mut() {
                *m = objective.transform(*m);
            }
        });
    out
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
    let settings = CvSettings {
        folds,
        metric,
        seed,
        threshold,
        threads: params.threads,
    };
    let mut results = cross_validate_all(
        trainer,
        data,
        std::slice::from_ref(params),
        &settings,
        progress,
    )?;
    Ok(results.remove(0))
}

/// How a set of cross-validations is run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CvSettings {
    /// Folds per parameter set.
    pub folds: usize,
    /// The score of a held-out fold.
    pub metric: Metric,
    /// Seed of the folds.
    pub seed: u64,
    /// Decision threshold of threshold metrics.
    pub threshold: f64,
    /// Threads of all fits together (0 = all cores).
    pub threads: usize,
}

/// The held-out rows and training rows of each fold.
struct Folds {
    stratified: bool,
    held_out: Vec<Vec<usize>>,
    train: Vec<Vec<usize>>,
}

/// Cross-validates each of `candidates` on the same folds, all fits spread
/// over `settings.threads` threads; one result per candidate, in order.
/// `progress` advances once per fit.
pub fn cross_validate_all(
    trainer: &dyn Trainer,
    data: &Dataset,
    candidates: &[GbdtParams],
    settings: &CvSettings,
    progress: &dyn Progress,
) -> Result<Vec<CvResult>> {
    // Folds depend on the labels, the seed and whether they are stratified (by objective).
    let mut plans: Vec<Folds> = Vec::new();
    for params in candidates {
        let stratified = params.objective == Objective::BinaryLogistic;
        if !plans.iter().any(|p| p.stratified == stratified) {
            let held_out = k_folds(&data.labels, settings.folds, settings.seed, stratified)?;
            let train = held_out
                .iter()
                .map(|fold| complement(data.rows(), fold))
                .collect();
            plans.push(Folds {
                stratified,
                held_out,
                train,
            });
        }
    }
    let jobs: Vec<(usize, usize)> = (0..candidates.len())
        .flat_map(|c| (0..settings.folds).map(move |f| (c, f)))
        .collect();
    let best = BestSoFar::new(candidates.len(), settings);
    let scored = run_with_threads(settings.threads, || -> Result<Vec<(f64, f64)>> {
        let shared = trainer.share(data, candidates)?;
        jobs.par_iter()
            .map(|&(c, f)| {
                if progress.cancelled() {
                    return Err(cancelled_error());
                }
                let params = &candidates[c];
                let stratified = params.objective == Objective::BinaryLogistic;
                let Some(plan) = plans.iter().find(|p| p.stratified == stratified) else {
                    return datafusion::common::internal_err!("no folds for a candidate");
                };
                let scored = fit_and_score(
                    trainer,
                    &shared,
                    &plan.train[f],
                    &plan.held_out[f],
                    params,
                    settings,
                );
                progress.advance(1);
                if let Ok((score, _)) = &scored {
                    best.fold_scored(c, *score, progress);
                }
                scored
            })
            .collect()
    })??;
    Ok(scored
        .chunks(settings.folds.max(1))
        .map(|fits| {
            CvResult::new(
                fits.iter().map(|(score, _)| *score).collect(),
                fits.iter().map(|(_, seconds)| seconds).sum(),
            )
        })
        .collect())
}

/// Fits on `train` and scores `held_out`: (score, fit seconds).
fn fit_and_score(
    trainer: &dyn Trainer,
    shared: &SharedData<'_>,
    train: &[usize],
    held_out: &[usize],
    params: &GbdtParams,
    settings: &CvSettings,
) -> Result<(f64, f64)> {
    let started = Instant::now();
    let model = trainer.fit_rows(shared, train, params)?;
    let seconds = started.elapsed().as_secs_f64();
    let test = shared.data().subset(held_out);
    let predictions = predict(&CompactForest::new(&model), params.objective, &test);
    let score = settings
        .metric
        .score(&predictions, &test.labels, settings.threshold)?;
    Ok((score, seconds))
}

/// The best mean score among candidates whose folds are all scored, told to
/// `progress` as it improves (folds finish in any order across threads).
struct BestSoFar {
    state: std::sync::Mutex<Tally>,
    folds: usize,
    metric: Metric,
}

/// Per candidate: folds scored and their sum; the best mean so far.
struct Tally {
    per_candidate: Vec<(usize, f64)>,
    best: Option<f64>,
}

impl BestSoFar {
    fn new(candidates: usize, settings: &CvSettings) -> Self {
        Self {
            state: std::sync::Mutex::new(Tally {
                per_candidate: vec![(0, 0.0); candidates],
                best: None,
            }),
            folds: settings.folds,
            metric: settings.metric,
        }
    }

    fn fold_scored(&self, candidate: usize, score: f64, progress: &dyn Progress) {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Tally {
            per_candidate,
            best,
        } = &mut *guard;
        let Some(entry) = per_candidate.get_mut(candidate) else {
            return;
        };
        entry.0 += 1;
        entry.1 += score;
        if entry.0 < self.folds {
            return;
        }
        let mean = entry.1 / self.folds as f64;
        let improves = match *best {
            None => true,
            Some(b) if self.metric.greater_is_better() => mean > b,
            Some(b) => mean < b,
        };
        if improves {
            *best = Some(mean);
            progress.best(self.metric.name(), mean);
        }
    }
}
