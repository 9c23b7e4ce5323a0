//! The experiment run a `CREATE MODEL` logs: its parameters (the training
//! parameters and the statement's settings), its metrics (held-out, cross-
//! validation, timings), its tags (the model version it produced, the data's
//! fingerprint), and one child run per search candidate.
//!
//! Without `experiment`, the run goes to the experiment named like the model
//! and is named like the version; with `experiment` but no `run`, it is named
//! `<model>-<version>`.

use super::options::{ModelOptions, type_name};
use super::training::Trained;
use crate::error::Result;
use crate::feature_store::lineage::WARNING_PREFIX;
use crate::registry::NewVersion;
use crate::tracking::state::tags;
use crate::tracking::{NewRun, RunRecord, Tracking};

/// The experiment and run name a training of `model@version` is logged as.
pub(crate) fn run_for(model: &str, version: &str, options: &ModelOptions) -> Result<NewRun> {
    let experiment = options
        .experiment
        .clone()
        .unwrap_or_else(|| model.to_string());
    let name = match (&options.run, &options.experiment) {
        (Some(run), _) => run.clone(),
        (None, Some(_)) => format!("{model}-{version}"),
        (None, None) => version.to_string(),
    };
    NewRun::new(&experiment, &name)
}

/// The statement's settings that shaped the run, as parameters.
fn settings(options: &ModelOptions, features: &[String]) -> Vec<(String, String)> {
    let mut params = vec![
        ("type".to_string(), type_name(options.objective).to_string()),
        ("label".to_string(), options.label.clone()),
        ("features".to_string(), features.join(", ")),
        (
            "test_fraction".to_string(),
            options.test_fraction.to_string(),
        ),
        ("threshold".to_string(), options.threshold.to_string()),
    ];
    if let Some(search) = &options.search {
        let strategy = match search.strategy {
            crate::ml::search::Strategy::Grid => "grid".to_string(),
            crate::ml::search::Strategy::Random { n_iter } => {
                params.push(("n_iter".into(), n_iter.to_string()));
                "random".to_string()
            }
        };
        params.push(("search".into(), strategy));
        params.push(("cv".into(), search.folds.to_string()));
        params.push(("scoring".into(), search.metric.name().to_string()));
        for (name, range) in &search.space.ranges {
            params.push((format!("search.{name}"), range.to_string()));
        }
    } else if let Some(validation) = &options.validation {
        params.push(("cv".into(), validation.folds.to_string()));
        params.push(("scoring".into(), validation.metric.name().to_string()));
    }
    params
}

/// The runs to record for a published version: the training run, then one
/// child run per search candidate.
pub(crate) fn run_records(
    run: &NewRun,
    run_id: &str,
    version: &NewVersion,
    options: &ModelOptions,
    trained: &Trained,
    started_at: i64,
) -> Vec<RunRecord> {
    let features: Vec<String> = trained
        .model
        .features()
        .iter()
        .map(|f| f.name.clone())
        .collect();
    let mut params: Vec<(String, String)> = trained
        .params
        .to_pairs()
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
    params.extend(settings(options, &features));
    let mut metrics: Vec<(String, f64)> = trained
        .held_out
        .iter()
        .map(|(n, v)| (n.to_string(), *v))
        .collect();
    if let Some((metric, cv)) = &trained.cv {
        metrics.push((format!("cv_{}_mean", metric.name()), cv.mean));
        metrics.push((format!("cv_{}_std", metric.name()), cv.std));
        metrics.extend(fold_scores(metric.name(), &cv.fold_scores));
    }
    metrics.push(("rows_train".into(), trained.rows_train as f64));
    metrics.push(("rows_test".into(), trained.rows_test as f64));
    metrics.push(("fit_seconds".into(), trained.fit_seconds));
    if trained.search.is_some() || trained.cv.is_some() {
        metrics.push(("tuning_seconds".into(), trained.tuning_seconds));
    }
    let mut records = vec![RunRecord {
        run_id: run_id.to_string(),
        experiment: run.experiment.clone(),
        name: run.name.clone(),
        params,
        metrics,
        tags: run_tags(version),
        status: "FINISHED".into(),
        started_at: Some(started_at),
    }];
    if let (Some(search), Some((metric, _))) = (&trained.search, &trained.cv) {
        for (i, candidate) in search.candidates.iter().enumerate() {
            let mut metrics = vec![
                (format!("cv_{}_mean", metric.name()), candidate.cv.mean),
                (format!("cv_{}_std", metric.name()), candidate.cv.std),
                ("fit_seconds".to_string(), candidate.cv.fit_seconds),
            ];
            metrics.extend(fold_scores(metric.name(), &candidate.cv.fold_scores));
            records.push(RunRecord {
                run_id: Tracking::new_run_id(),
                experiment: run.experiment.clone(),
                name: format!("{}-candidate-{}", run.name, i + 1),
                params: candidate
                    .params
                    .to_pairs()
                    .into_iter()
                    .map(|(n, v)| (n.to_string(), v))
                    .collect(),
                metrics,
                tags: vec![
                    (tags::PARENT_RUN.into(), run_id.to_string()),
                    (tags::SOURCE.into(), "search".into()),
                    ("firn.best".into(), (i == search.best).to_string()),
                ],
                status: "FINISHED".into(),
                started_at: Some(started_at),
            });
        }
    }
    records
}

/// Each fold's score as a metric `cv_<metric>_fold_<k>`, k from 1.
fn fold_scores(metric: &str, scores: &[f64]) -> Vec<(String, f64)> {
    scores
        .iter()
        .enumerate()
        .map(|(fold, score)| (format!("cv_{metric}_fold_{}", fold + 1), *score))
        .collect()
}

/// The tags of the run that produced `manifest`'s version; warnings of a leakage
/// check on its training data (carried in the lineage) become a tag too.
fn run_tags(manifest: &NewVersion) -> Vec<(String, String)> {
    let mut tags = vec![
        (tags::MODEL.into(), manifest.name.clone()),
        (tags::MODEL_VERSION.into(), manifest.version.clone()),
        (tags::SOURCE.into(), "CREATE MODEL".into()),
        (
            tags::FINGERPRINT.into(),
            manifest.training_data_fingerprint.clone(),
        ),
    ];
    let warnings: Vec<&str> = manifest
        .lineage
        .iter()
        .filter_map(|entry| entry.strip_prefix(WARNING_PREFIX))
        .collect();
    if !warnings.is_empty() {
        tags.push((tags::LEAKAGE_WARNING.into(), warnings.join("; ")));
    }
    tags
}
