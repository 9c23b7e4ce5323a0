//! Trains a model and publishes it: the use case behind `CREATE MODEL` and its
//! function form `train_model(…)`. Reads `OPTIONS (…)` once into
//! [`ModelOptions`], trains (with an optional search or cross-validation) on a
//! seeded, stratified split, scores the held-out rows, publishes the model in
//! the registry and logs the experiment run. The result is one row: the model,
//! its version, the row counts, the held-out metrics, and the cross-validation
//! mean and standard deviation when there was any.
//!
//! Everything that can be refused — options, version and run names — is
//! checked before training; the model version is published before the run is
//! logged, and the run records the version (as the version's manifest records
//! the run), so a failed statement leaves nothing behind.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::error::DataFusionError;
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::DataFrame;
use firnml_udfs::model::Objective;

use super::Modeling;
use super::cancel::Cancellable;
use super::options::{CLASSIFIER_COLUMNS, ModelOptions, REGRESSOR_COLUMNS};
use super::run::{run_for, run_records};
use super::training::{Trained, train};
use crate::error::{Error, Result};
use crate::ml::metric::Metric;
use crate::ml::progress::{NoProgress, Progress, ProgressHandle};
use crate::ml::run_with_threads;
use crate::ml::search::SearchResult;
use crate::ml::trainer_for;
use crate::monitoring::profile::training_profile;
use crate::registry::{NewVersion, Registry, SplitInfo, names};
use crate::storage::crash_point;
use crate::tracking::{NewRun, RunRecord, Tracking};

/// A model to train: everything of `CREATE MODEL` but the planned query.
#[derive(Debug, Clone)]
pub(crate) struct ModelRequest {
    /// The model's name (validated here).
    pub name: String,
    /// The version to publish; `None` is the next `vN`.
    pub version: Option<String>,
    /// `OPTIONS (…)` as written.
    pub options: Vec<(String, String)>,
    /// The training query's text (recorded as lineage).
    pub query: String,
}

/// How many next versions a `CREATE MODEL` without `VERSION` tries when
/// concurrent statements keep taking them.
const MAX_VERSION_ATTEMPTS: usize = 16;

/// Refuses an existing version before training (publishing checks again, atomically).
async fn ensure_new_version(registry: &Registry, name: &str, version: &str) -> Result<()> {
    // An unknown model has no versions; any other trouble is reported by publish.
    let Ok(versions) = registry.list_versions(name).await else {
        return Ok(());
    };
    if versions.iter().any(|m| m.version == version) {
        return Err(Error::version_exists(name, version));
    }
    Ok(())
}

/// The columns of the statement's result: model, version, row counts, the
/// held-out metrics of `objective`, the cross-validation's mean and standard
/// deviation of `cv_metric` when there is one, the parameters a search chose
/// (`searched`; BigQuery's `ML.TRIAL_INFO` in one cell) and the warning.
pub(crate) fn output_schema(
    objective: Objective,
    cv_metric: Option<Metric>,
    searched: bool,
) -> SchemaRef {
    let metric_columns = match objective {
        Objective::BinaryLogistic => CLASSIFIER_COLUMNS,
        Objective::SquaredError => REGRESSOR_COLUMNS,
    };
    let mut fields = vec![
        Field::new("model", DataType::Utf8, false),
        Field::new("version", DataType::Utf8, false),
        Field::new("rows_train", DataType::Int64, false),
        Field::new("rows_test", DataType::Int64, false),
    ];
    for metric in metric_columns {
        fields.push(Field::new(*metric, DataType::Float64, true));
    }
    if let Some(metric) = cv_metric {
        for suffix in ["mean", "std"] {
            fields.push(Field::new(
                format!("cv_{}_{suffix}", metric.name()),
                DataType::Float64,
                true,
            ));
        }
    }
    if searched {
        fields.push(Field::new("best_params", DataType::Utf8, true));
    }
    fields.push(Field::new("warning", DataType::Utf8, true));
    Arc::new(Schema::new(fields))
}

/// The metric cross-validation will report for `options`, if any.
pub(crate) fn cv_metric(options: &ModelOptions) -> Option<Metric> {
    match (&options.search, &options.validation) {
        (Some(search), _) => Some(search.metric),
        (None, Some(validation)) => Some(validation.metric),
        (None, None) => None,
    }
}

/// The statement's result row.
fn output(
    name: &str,
    version: &str,
    objective: Objective,
    trained: &Trained,
) -> Result<RecordBatch> {
    let metric_columns = match objective {
        Objective::BinaryLogistic => CLASSIFIER_COLUMNS,
        Objective::SquaredError => REGRESSOR_COLUMNS,
    };
    let schema = output_schema(
        objective,
        trained.cv.as_ref().map(|(m, _)| *m),
        trained.search.is_some(),
    );
    let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![name])),
        Arc::new(StringArray::from(vec![version])),
        Arc::new(Int64Array::from(vec![as_i64(trained.rows_train)])),
        Arc::new(Int64Array::from(vec![as_i64(trained.rows_test)])),
    ];
    for metric in metric_columns {
        let value = trained
            .held_out
            .iter()
            .find(|(n, _)| n == metric)
            .map(|(_, v)| *v)
            .filter(|v| v.is_finite());
        columns.push(Arc::new(Float64Array::from(vec![value])));
    }
    if let Some((_, cv)) = &trained.cv {
        for value in [cv.mean, cv.std] {
            columns.push(Arc::new(Float64Array::from(vec![
                Some(value).filter(|v| v.is_finite()),
            ])));
        }
    }
    if let Some(search) = &trained.search {
        columns.push(Arc::new(StringArray::from(vec![best_params(search)])));
    }
    let warning = warnings(trained);
    columns.push(Arc::new(StringArray::from(vec![
        (!warning.is_empty()).then(|| warning.join("; ")),
    ])));
    Ok(RecordBatch::try_new(schema, columns).map_err(DataFusionError::from)?)
}

/// The searched parameters' chosen values, `max_depth=5, learning_rate=0.1`, in
/// the order the ranges were written (exact, to train the same model again).
fn best_params(search: &SearchResult) -> String {
    search
        .best()
        .assignments
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `'a'`, `'a', 'b'`.
fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Fewer training rows than this earn a warning.
const FEW_ROWS: usize = 50;

/// What a user should know about a model that trained without error: too few
/// rows to trust its metrics, or no split at all (it predicts one value).
pub(crate) fn warnings(trained: &Trained) -> Vec<String> {
    let mut warnings = Vec::new();
    if trained.rows_train < FEW_ROWS {
        warnings.push(format!(
            "trained on only {} rows; its metrics are unreliable below {FEW_ROWS}",
            trained.rows_train
        ));
    }
    if !trained.left_out_keys.is_empty() {
        warnings.push(format!(
            "left out the entity key {} (an identifier is not a feature); list it in option \
             features to train on it",
            quoted_list(&trained.left_out_keys)
        ));
    }
    if !trained.id_like.is_empty() {
        warnings.push(format!(
            "{} {} like an identifier (about one value per row): the model learns the rows, \
             not what generalises; leave it out with exclude '{}'",
            quoted_list(&trained.id_like),
            if trained.id_like.len() == 1 {
                "looks"
            } else {
                "look"
            },
            trained.id_like.join(", ")
        ));
    }
    let nodes = trained.model.nodes();
    if (0..nodes.len()).all(|i| nodes.is_leaf(i)) {
        warnings.push(
            "the model is constant: no split improved the loss, so every row gets the same \
             prediction (is the label constant, or are the features unrelated to it?)"
                .to_string(),
        );
    }
    warnings
}

impl Modeling {
    /// Trains the model `request` describes on the rows of `plan`, publishes it
    /// and logs its run; returns the statement's result row. `CREATE MODEL` and
    /// `train_model(…)` both end here.
    pub(crate) async fn train_and_register(
        &self,
        state: &SessionState,
        request: ModelRequest,
        plan: LogicalPlan,
    ) -> Result<RecordBatch> {
        train_and_register(self, state, request, plan).await
    }
}

async fn train_and_register(
    modeling: &Modeling,
    state: &SessionState,
    request: ModelRequest,
    plan: LogicalPlan,
) -> Result<RecordBatch> {
    let name = names::model_name(&request.name)?;
    let version = request.version.as_deref().map(names::version).transpose()?;
    let lineage = [
        vec![request.query.clone()],
        modeling.feature_store.lineage_of(&plan),
    ]
    .concat();
    let columns: Vec<String> = plan
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let entity_keys = modeling.feature_store.entity_keys_of(&plan);
    let options = ModelOptions::parse(&request.options, &columns, &entity_keys)?;

    let registry = &modeling.registry;
    let version = match version {
        Some(version) => {
            ensure_new_version(registry, &name, &version).await?;
            version
        }
        None => registry.next_version(&name).await?,
    };
    let run = run_for(&name, &version, &options)?;
    modeling.tracking.check_new_run(&run).await?;

    // The run's start: reading the training rows is part of training.
    let started_at = modeling.tracking.now();
    let batches = DataFrame::new(state.clone(), plan).collect().await?;
    let objective = options.objective;
    let split = SplitInfo {
        test_fraction: options.test_fraction,
        seed: options.params.seed,
        stratified: objective == Objective::BinaryLogistic,
        threshold: options.threshold,
    };
    let training_options = options.clone();
    let progress: Arc<dyn Progress> = match state.config().get_extension::<ProgressHandle>() {
        Some(handle) => Arc::clone(&handle.0),
        None => Arc::new(NoProgress),
    };
    // Dropping this future (timeout, cancel, Ctrl-C) stops the training too.
    let (progress, _cancel_on_drop) = Cancellable::new(progress);
    // The profile describes every row the query returned, held-out rows included.
    let (trained, profile) = tokio::task::spawn_blocking(move || {
        let trained = train(&batches, &training_options, &progress)?;
        // On the fit's threads, like the fit.
        let threads = training_options.params.threads;
        let profile = run_with_threads(threads, || training_profile(&batches, &trained.model))??;
        Ok::<_, DataFusionError>((trained, profile))
    })
    .await
    .map_err(|e| DataFusionError::External(Box::new(e)))??;

    let mut metrics: Vec<(String, f64)> = trained
        .held_out
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(n, v)| (n.to_string(), *v))
        .collect();
    if let Some((metric, cv)) = &trained.cv {
        metrics.push((format!("cv_{}_mean", metric.name()), cv.mean));
        metrics.push((format!("cv_{}_std", metric.name()), cv.std));
    }
    let run_id = Tracking::new_run_id();
    // The version and the runs to log with it; the runs are stored beside the
    // version before it becomes visible, so a crash before they are logged is
    // finished when the database next opens (see `Modeling::log_pending_runs`).
    let new_version = |version: String, run: &NewRun| -> Result<(NewVersion, Vec<RunRecord>)> {
        let mut new = NewVersion {
            name: name.clone(),
            version,
            comment: options.comment.clone(),
            params: trained
                .params
                .to_pairs()
                .into_iter()
                .map(|(n, v)| (n.to_string(), v))
                .collect(),
            param_origins: Some(options.param_origins.clone()),
            metrics: metrics.clone(),
            training_data_fingerprint: trained.fingerprint.clone(),
            // The backend that fitted this version, e.g. `firn-gbdt 1`.
            trainer: trainer_for(&trained.params).name().to_string(),
            lineage: lineage.clone(),
            run_id: Some(run_id.clone()),
            label: Some(options.label.clone()),
            split: Some(split),
            profile: profile.clone(),
            pending_run: None,
        };
        let mut records = run_records(run, &run_id, &new, &options, &trained, started_at);
        let warning = warnings(&trained);
        if let (false, Some(record)) = (warning.is_empty(), records.first_mut()) {
            record
                .tags
                .push(("firn.warning".to_string(), warning.join("; ")));
        }
        let json = serde_json::to_string(&records)
            .map_err(|e| DataFusionError::Internal(format!("cannot encode the run: {e}")))?;
        new.pending_run = Some(json);
        Ok((new, records))
    };
    let (new, mut records) = new_version(version, &run)?;
    let mut manifest = registry.publish(&trained.model, new).await;
    // Without VERSION, a concurrent CREATE MODEL that took the same next
    // version is not a failure: take the one after it, as appends retry.
    let mut attempts = 1;
    while request.version.is_none()
        && attempts < MAX_VERSION_ATTEMPTS
        && matches!(manifest, Err(Error::AlreadyExists { .. }))
    {
        attempts += 1;
        let version = registry.next_version(&name).await?;
        let run = run_for(&name, &version, &options)?;
        modeling.tracking.check_new_run(&run).await?;
        let (new, retried) = new_version(version, &run)?;
        records = retried;
        manifest = registry.publish(&trained.model, new).await;
    }
    let manifest = manifest?;
    crash_point::reached("model.before_run");
    modeling.tracking.record(&records).await?;
    // Logged: nothing is left for the next open to finish. Should the delete
    // fail, the next open finds the run logged and deletes the file then.
    let _ = registry
        .forget_pending_run(&manifest.name, &manifest.version)
        .await;
    output(&manifest.name, &manifest.version, objective, &trained)
}

#[cfg(test)]
mod tests {

    #[tokio::test]
    async fn publishes_params_metrics_fingerprint_and_lineage() {
        let db = crate::Database::in_memory().await.expect("db");
        db.sql(
            "CREATE TABLE t AS SELECT value AS id, CAST(value % 20 AS DOUBLE) AS x, \
             CASE WHEN value % 20 >= 10 THEN 1 ELSE 0 END AS y FROM generate_series(1, 200)",
        )
        .await
        .expect("table");
        let sql = "CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id', \
                   n_estimators 5, seed 9, comment 'searched', search 'grid', cv 2, \
                   max_depth 'int(2,3)') AS SELECT * FROM t";
        db.sql(sql).await.expect("trains");
        db.sql(sql).await.expect("trains v2");
        let versions = db.registry().list_versions("m").await.expect("versions");
        let [v1, v2] = versions.as_slice() else {
            panic!("two versions: {versions:?}");
        };
        assert_eq!((v1.version.as_str(), v2.version.as_str()), ("v1", "v2"));
        assert_eq!(v1.comment.as_deref(), Some("searched"));
        assert!(v1.training_data_fingerprint.starts_with("firn64:"));
        assert_eq!(v1.training_data_fingerprint, v2.training_data_fingerprint);
        assert_eq!(v1.params, v2.params, "same seed, same search");
        let param = |name: &str| v1.params.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        assert!(matches!(
            param("max_depth").map(String::as_str),
            Some("2" | "3")
        ));
        assert_eq!(param("seed").map(String::as_str), Some("9"));
        let metric = |name: &str| v1.metrics.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        assert!(
            metric("cv_f1_mean").is_some_and(|f1| f1 > 0.9),
            "{:?}",
            v1.metrics
        );
        assert!(metric("cv_f1_std").is_some());
        assert!(metric("f1").is_some() && metric("roc_auc").is_some());
        assert_eq!(
            v1.trainer,
            crate::ml::trainer_for(&Default::default()).name()
        );
        assert_eq!(v1.lineage, vec!["SELECT * FROM t".to_string()]);
    }
}

#[cfg(test)]
mod concurrency_tests {
    /// Issue 12, finding 7: two CREATE MODEL without VERSION at once both land,
    /// as v1 and v2, each with its own run.
    #[tokio::test]
    async fn concurrent_creators_without_a_version_take_the_next_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = crate::Database::open(dir.path().join("db").to_string_lossy())
            .await
            .expect("db");
        db.sql(
            "CREATE TABLE t AS SELECT value AS id, CAST(value % 23 AS DOUBLE) AS x, \
             CASE WHEN value % 23 >= 11 THEN 1 ELSE 0 END AS y FROM generate_series(1, 200)",
        )
        .await
        .expect("table");
        let sql = "CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'y', n_estimators 4) \
                   AS SELECT x, y FROM t";
        let (a, b) = tokio::join!(db.sql(sql), db.sql(sql));
        a.expect("first creator");
        b.expect("second creator");
        let versions: Vec<String> = db
            .registry()
            .list_versions("m")
            .await
            .expect("versions")
            .into_iter()
            .map(|m| m.version)
            .collect();
        let mut sorted = versions.clone();
        sorted.sort();
        assert_eq!(sorted, ["v1", "v2"]);
        let runs = db
            .sql("SELECT run FROM firn.runs WHERE experiment = 'm'")
            .await
            .expect("runs");
        assert_eq!(runs.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
    }
}

#[cfg(test)]
mod cancel_tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    use crate::ml::progress::Progress;

    /// Counts the fits training reports.
    #[derive(Debug, Default)]
    struct Fits(AtomicU64);

    impl Progress for Fits {
        fn start(&self, _stage: &str, _total: u64) {}
        fn advance(&self, steps: u64) {
            self.0.fetch_add(steps, Ordering::SeqCst);
        }
        fn finish(&self) {}
    }

    /// A CREATE MODEL stopped by its statement timeout stops training too
    /// (between fits), and publishes nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stopped_statement_stops_its_training() {
        let db = crate::Database::in_memory().await.expect("db");
        db.sql(
            "CREATE TABLE t AS SELECT value AS id, CAST(value % 23 AS DOUBLE) AS x, \
             CAST(value % 7 AS DOUBLE) AS z, CASE WHEN value % 23 >= 11 THEN 1 ELSE 0 END AS y \
             FROM generate_series(1, 3000)",
        )
        .await
        .expect("table");
        let fits = Arc::new(Fits::default());
        let session = db
            .session_builder()
            .with_progress(Arc::clone(&fits) as Arc<dyn Progress>)
            .with_statement_timeout(Duration::from_secs(1))
            .build();
        let err = session
            .sql(
                "CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id', \
                 n_estimators 20, search 'random', n_iter 500, cv 3, max_depth 'int(2,6)') \
                 AS SELECT * FROM t",
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, crate::Error::StatementTimeout { .. }),
            "{err}"
        );
        // The fit in progress ends; then no more start.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let settled = fits.0.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(fits.0.load(Ordering::SeqCst), settled, "training went on");
        assert!(
            settled < 1500,
            "all {settled} fits ran: nothing was stopped"
        );
        assert!(db.models().await.expect("models").is_empty());
    }
}

#[cfg(test)]
mod order_tests {
    /// SQL gives no row order: the same rows in another order train the same model.
    #[tokio::test]
    async fn row_order_does_not_change_the_model() {
        let db = crate::Database::in_memory().await.expect("db");
        db.sql(
            "CREATE TABLE t AS SELECT value AS id, CAST(value % 23 AS DOUBLE) AS x, \
             CASE WHEN (value % 23 >= 11) <> (value % 7 = 0) THEN 1 ELSE 0 END AS y \
             FROM generate_series(1, 300)",
        )
        .await
        .expect("table");
        for order in ["id", "id DESC", "x, id DESC"] {
            db.sql(&format!(
                "CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'y', n_estimators 8, seed 5, \
                 subsample 0.8) AS SELECT * FROM t ORDER BY {order}"
            ))
            .await
            .expect("train");
        }
        let versions = db.registry().list_versions("m").await.expect("versions");
        assert_eq!(versions.len(), 3);
        for v in &versions[1..] {
            assert_eq!(
                v.training_data_fingerprint,
                versions[0].training_data_fingerprint
            );
            assert_eq!(v.metrics, versions[0].metrics, "{} vs v1", v.version);
        }
        let same = db
            .sql(
                "SELECT bool_and(predict('m@v1', id, x) = predict('m@v2', id, x) \
                 AND predict('m@v1', id, x) = predict('m@v3', id, x)) FROM t",
            )
            .await
            .expect("scores");
        let same = same[0]
            .column(0)
            .as_any()
            .downcast_ref::<datafusion::arrow::array::BooleanArray>();
        assert_eq!(same.map(|b| b.value(0)), Some(true));
    }
}
