//! The training half of `CREATE MODEL`: split, optional search or
//! cross-validation, fit, held-out metrics. CPU-bound: callers run it off the
//! async threads.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::Schema;
use datafusion::common::Result as DFResult;
use firnml_udfs::model::{CompactForest, FeatureKind, Objective, TreeEnsemble};

use super::options::ModelOptions;
use crate::ml::canonical::canonical_rows;
use crate::ml::cv::{CvResult, cross_validate_with_progress, predict};
use crate::ml::fingerprint::{fingerprint, fingerprint_like};
use crate::ml::metric::{Metric, evaluate};
use crate::ml::progress::{Progress, cancelled_error};
use crate::ml::search::{SearchConfig, SearchResult, search_with_progress};
use crate::ml::split::train_test_split;
use crate::ml::{Dataset, GbdtParams, default_trainer};

/// What training produced.
pub(crate) struct Trained {
    /// The fitted model.
    pub model: TreeEnsemble,
    /// The parameters it was fitted with (the best candidate's after a search).
    pub params: GbdtParams,
    /// Rows trained on.
    pub rows_train: usize,
    /// Rows held out.
    pub rows_test: usize,
    /// Metrics on the held-out rows (empty when nothing was held out).
    pub held_out: Vec<(&'static str, f64)>,
    /// Cross-validation of the fitted parameters (the best candidate's, or `cv N`).
    pub cv: Option<(Metric, CvResult)>,
    /// Every candidate, when searched.
    pub search: Option<SearchResult>,
    /// The training data's fingerprint.
    pub fingerprint: String,
    /// Seconds spent fitting the final model.
    pub fit_seconds: f64,
    /// Seconds spent searching or cross-validating.
    pub tuning_seconds: f64,
    /// Entity keys left out of the features because they were not listed.
    pub left_out_keys: Vec<String>,
    /// Features that look like identifiers (see [`id_like_features`]).
    pub id_like: Vec<String>,
}

/// Fewer rows than this are too few to call a column an identifier.
const ID_CHECK_MIN_ROWS: usize = 20;

/// Features that look like identifiers rather than properties: a text column
/// with a category for more than half the rows, or a numeric column named like an
/// id (`id`, `…_id`, `…_key`, `…uuid`) whose values are nearly all distinct. A
/// tree splits on them happily and learns the training rows, not the customers.
pub(crate) fn id_like_features(data: &Dataset) -> Vec<String> {
    let rows = data.rows();
    if rows < ID_CHECK_MIN_ROWS {
        return Vec::new();
    }
    let named_like_id = |name: &str| {
        let name = name.to_ascii_lowercase();
        name == "id" || name.ends_with("_id") || name.ends_with("_key") || name.ends_with("uuid")
    };
    data.features
        .iter()
        .zip(&data.columns)
        .filter(|(spec, column)| match &spec.kind {
            FeatureKind::Categorical { categories } => categories.len() * 2 > rows,
            FeatureKind::Numeric if named_like_id(&spec.name) => {
                let distinct: HashSet<u64> = column.iter().map(|v| v.to_bits()).collect();
                distinct.len() * 10 >= rows * 9
            }
            FeatureKind::Numeric => false,
        })
        .map(|(spec, _)| spec.name.clone())
        .collect()
}

/// The training data of a query's rows and its fingerprint: the rows in
/// canonical order (the same rows in any order train the same model, see
/// `ml::canonical`), `label` and the `features` columns (default: all others).
/// `CREATE MODEL` and `VERIFY MODEL` both read their rows here.
pub(crate) fn training_data(
    batches: &[RecordBatch],
    label: &str,
    features: Option<&[String]>,
    objective: Objective,
    recorded: Option<&str>,
) -> DFResult<(Dataset, String)> {
    let schema = batches
        .first()
        .map(|b| b.schema())
        .unwrap_or_else(|| Arc::new(Schema::empty()));
    let rows = canonical_rows(&schema, batches)?;
    let data = Dataset::for_training(std::slice::from_ref(&rows), label, features, objective)?;
    // In the format of the fingerprint a version recorded, when one is compared.
    let fingerprint = match recorded {
        Some(recorded) => fingerprint_like(recorded, &schema, &data),
        None => fingerprint(&schema, &data),
    };
    Ok((data, fingerprint))
}

/// The rows fitted on and the rows held out (`None` when `test_fraction` is 0):
/// a stratified split (a classifier's) keeps the class balance. `CREATE MODEL` and
/// `VERIFY MODEL` both split here, the latter with the version's `SplitInfo`.
pub(crate) fn split(
    data: Dataset,
    test_fraction: f64,
    seed: u64,
    stratified: bool,
) -> DFResult<(Dataset, Option<Dataset>)> {
    if test_fraction > 0.0 {
        let (train, test) = train_test_split(&data.labels, test_fraction, seed, stratified)?;
        Ok((data.subset(&train), Some(data.subset(&test))))
    } else {
        Ok((data, None))
    }
}

/// Ends whatever stage is being shown when training ends, however it ends: a
/// cancelled or failed search must not leave a bar drawing over the next prompt.
struct FinishOnDrop<'a>(&'a dyn Progress);

impl Drop for FinishOnDrop<'_> {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// Splits, searches or cross-validates (if asked), fits and scores.
pub(crate) fn train(
    batches: &[RecordBatch],
    options: &ModelOptions,
    progress: &dyn Progress,
) -> DFResult<Trained> {
    let _finish = FinishOnDrop(progress);
    let objective = options.objective;
    let (data, fingerprint) = training_data(
        batches,
        &options.label,
        options.features.as_deref(),
        objective,
        None,
    )?;
    let id_like = id_like_features(&data);
    let stratified = objective == Objective::BinaryLogistic;
    let (train, test) = split(data, options.test_fraction, options.params.seed, stratified)?;
    let trainer = default_trainer();
    let mut params = options.params.clone();
    let mut cv = None;
    let mut searched = None;
    let tuning = Instant::now();
    if let Some(settings) = &options.search {
        let config = SearchConfig {
            strategy: settings.strategy,
            folds: settings.folds,
            metric: settings.metric,
            seed: params.seed,
            threshold: options.threshold,
        };
        let result =
            search_with_progress(trainer, &train, &params, &settings.space, &config, progress)?;
        params = result.best().params.clone();
        cv = Some((settings.metric, result.best().cv.clone()));
        searched = Some(result);
    } else if let Some(validation) = &options.validation {
        progress.start(
            &format!("cross-validation: {} folds", validation.folds),
            validation.folds as u64,
        );
        let result = cross_validate_with_progress(
            trainer,
            &train,
            &params,
            validation.folds,
            validation.metric,
            params.seed,
            options.threshold,
            progress,
        )?;
        progress.finish();
        cv = Some((validation.metric, result));
    }
    let tuning_seconds = tuning.elapsed().as_secs_f64();
    let fitting = Instant::now();
    progress.start(
        &format!(
            "fit: {} trees on {} rows",
            params.n_estimators,
            train.rows()
        ),
        params.n_estimators as u64,
    );
    if progress.cancelled() {
        return Err(cancelled_error());
    }
    // Trees done so far: the bar counts trees, and a cancel stops the fit between two.
    let trees_shown = AtomicUsize::new(0);
    let after_tree = |trees: usize| {
        let before = trees_shown.swap(trees, Ordering::Relaxed);
        progress.advance(trees.saturating_sub(before) as u64);
        !progress.cancelled()
    };
    let model = trainer.fit_observed(&train, &params, &after_tree)?;
    progress.finish();
    let fit_seconds = fitting.elapsed().as_secs_f64();
    let held_out = match &test {
        Some(test) => {
            let predictions = predict(&CompactForest::new(&model), objective, test);
            evaluate(objective, &predictions, &test.labels, options.threshold)?
        }
        None => vec![],
    };
    Ok(Trained {
        model,
        params,
        rows_train: train.rows(),
        rows_test: test.as_ref().map_or(0, Dataset::rows),
        held_out,
        cv,
        search: searched,
        fingerprint,
        fit_seconds,
        tuning_seconds,
        left_out_keys: options.left_out_keys.clone(),
        id_like,
    })
}
