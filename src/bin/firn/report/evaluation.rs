//! The rows a model card evaluates: the held-out rows of the training query,
//! recomputed (re-run the query, check the data's fingerprint, split the way
//! `CREATE MODEL` did), or rows the user names with `--data`. Then each row's
//! prediction and, on a seeded sample, its SHAP values.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::error::DataFusionError;
use firnml_udfs::model::{CompactForest, TreeEnsemble, shap_values};

use firnml::Session;
use firnml::ml::Dataset;
use firnml::ml::canonical::canonical_rows;
use firnml::ml::cv::predict;
use firnml::ml::fingerprint::fingerprint;
use firnml::ml::rng::Rng;
use firnml::ml::split::train_test_split;
use firnml::registry::{Manifest, SplitInfo};
use firnml::{Error, Result};

/// Most rows whose SHAP values are computed (the hands-on explains 500 sampled rows).
pub const SHAP_SAMPLE: usize = 500;
/// The sample's seed when the model records no split seed.
const DEFAULT_SEED: u64 = 42;

/// Where the evaluation rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    /// The held-out rows of the version's training query, recomputed.
    HeldOut,
    /// A query (`SELECT …`) or a table name given by the user.
    Given(String),
}

/// Whether the training query still returns the data the model was trained on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FingerprintCheck {
    /// Same fingerprint: the held-out rows are exactly those of training.
    Matches(String),
    /// The data changed since training: the rows evaluated are not the held-out rows.
    Differs {
        /// The fingerprint in the manifest.
        recorded: String,
        /// The fingerprint of the data now.
        now: String,
    },
    /// The manifest records no fingerprint.
    NotRecorded,
    /// The data could not be fingerprinted (it is no longer valid training data).
    Failed(String),
    /// The user gave the data; it is not compared with the training data.
    NotApplicable,
}

/// The evaluated rows, their predictions and a sample's SHAP values.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The label column.
    pub label: String,
    /// What the rows are, in words.
    pub description: String,
    /// The query that produced them.
    pub query: String,
    /// The training-data check (held-out rows only).
    pub fingerprint: FingerprintCheck,
    /// The rows, encoded with the model's features; labels from the label column.
    pub data: Dataset,
    /// Where each evaluated row is among the rows fetched (the held-out rows'
    /// positions in the training query's canonical order, or every row given).
    pub rows: Vec<usize>,
    /// Each row's prediction: a probability for classifiers, a value for regressors.
    pub predictions: Vec<f64>,
    /// The rows whose SHAP values were computed, ascending.
    pub sample: Vec<usize>,
    /// SHAP values of the sampled rows: `sample.len() × (features + 1)`, the expected value last.
    pub shap: Vec<f64>,
}

/// A planning error: something the user asked for that cannot be done.
pub(crate) fn plan(message: impl Into<String>) -> Error {
    Error::DataFusion(DataFusionError::Plan(message.into()))
}

/// Whether `text` is a (possibly qualified) table name rather than a query.
fn is_table_name(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty()
        && text.split('.').all(|part| {
            part.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// The query to run for `--data`: `SELECT * FROM name` for a table name, else the text.
pub fn data_query(text: &str) -> String {
    if is_table_name(text) {
        format!("SELECT * FROM {}", text.trim())
    } else {
        text.trim().trim_end_matches(';').to_string()
    }
}

/// Runs `sql`, which must be exactly one query (never DDL or DML: reading
/// evaluation data must not change the database). Returns the rows and their schema.
pub(crate) async fn run_query(
    session: &Session,
    sql: &str,
    what: &str,
) -> Result<Vec<RecordBatch>> {
    if !firnml::is_single_query(sql) {
        return Err(plan(format!(
            "{what} must be one query (SELECT …) or a table name, not: {}",
            sql.trim()
        )));
    }
    let frame = session.dataframe(sql).await?;
    Ok(frame.collect().await?)
}

/// The model's label column, or an error saying how to proceed.
fn label_of(manifest: &Manifest) -> Result<&str> {
    manifest.label.as_deref().ok_or_else(|| {
        plan(format!(
            "model {}@{} does not record its label column, so its predictions cannot be \
             compared with actual values; publish it with CREATE MODEL",
            manifest.name, manifest.version
        ))
    })
}

/// The schema of `batches` (empty without batches).
fn schema_of(batches: &[RecordBatch]) -> SchemaRef {
    batches
        .first()
        .map(|b| b.schema())
        .unwrap_or_else(|| std::sync::Arc::new(Schema::empty()))
}

/// Checks the rows have the label column and at least one row.
fn check_rows(batches: &[RecordBatch], label: &str, what: &str) -> Result<()> {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    if rows == 0 {
        return Err(plan(format!("{what} has no rows to evaluate")));
    }
    let schema = schema_of(batches);
    if schema.index_of(label).is_err() {
        let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        return Err(plan(format!(
            "{what} has no column '{label}', the model's label; its columns are: {}",
            columns.join(", ")
        )));
    }
    Ok(())
}

/// The query text and split of the held-out rows, or why they cannot be found.
fn held_out_source(manifest: &Manifest) -> Result<(String, SplitInfo)> {
    let name = format!("{}@{}", manifest.name, manifest.version);
    let hint = "; name the rows to evaluate with --data 'SELECT …' or --data TABLE";
    let Some(query) = manifest.lineage.first() else {
        return Err(plan(format!(
            "model {name} records no training query, so its held-out rows cannot be recomputed{hint}"
        )));
    };
    let Some(split) = manifest.split else {
        return Err(plan(format!(
            "model {name} records no train/test split, so its held-out rows cannot be recomputed{hint}"
        )));
    };
    if split.test_fraction <= 0.0 {
        return Err(plan(format!(
            "model {name} was trained on every row (test_fraction 0): it has no held-out rows{hint}"
        )));
    }
    Ok((query.clone(), split))
}

/// Runs the query `source` names and returns its rows, the query and a description.
pub(crate) async fn fetch(
    session: &Session,
    manifest: &Manifest,
    source: &DataSource,
) -> Result<(Vec<RecordBatch>, String)> {
    let label = label_of(manifest)?;
    let (query, what) = match source {
        DataSource::HeldOut => (held_out_source(manifest)?.0, "the training query"),
        DataSource::Given(text) => (data_query(text), "--data"),
    };
    let batches = run_query(session, &query, what)
        .await
        .map_err(|e| match source {
            DataSource::HeldOut => plan(format!(
                "cannot re-run the training query of {}@{} to recompute its held-out rows: {e}; \
             name the rows to evaluate with --data",
                manifest.name, manifest.version
            )),
            DataSource::Given(_) => e,
        })?;
    check_rows(
        &batches,
        label,
        if what == "--data" {
            "the --data query"
        } else {
            what
        },
    )?;
    // CREATE MODEL split the training query's rows in canonical order; so must the card.
    let batches = match source {
        DataSource::HeldOut => vec![canonical_rows(&schema_of(&batches), &batches)?],
        DataSource::Given(_) => batches,
    };
    Ok((batches, query))
}

/// Evaluates `model` on `batches` (from [`fetch`]): encodes, splits, predicts
/// and explains a sample. CPU-bound.
pub(crate) fn evaluate(
    manifest: &Manifest,
    model: &TreeEnsemble,
    source: &DataSource,
    batches: &[RecordBatch],
    query: String,
) -> Result<Evaluation> {
    let label = label_of(manifest)?;
    let objective = model.objective();
    let all = Dataset::for_model(batches, label, model.features(), objective)?;
    let (data, rows, fingerprint, description, seed) = match source {
        DataSource::Given(_) => {
            let description = format!("{} rows given with --data", all.rows());
            let rows = (0..all.rows()).collect();
            (
                all,
                rows,
                FingerprintCheck::NotApplicable,
                description,
                DEFAULT_SEED,
            )
        }
        DataSource::HeldOut => {
            let (_, split) = held_out_source(manifest)?;
            let check = check_fingerprint(manifest, batches, label, model);
            let (_, test) = train_test_split(
                &all.labels,
                split.test_fraction,
                split.seed,
                split.stratified,
            )?;
            let description = format!(
                "the {} held-out rows of the training query ({} % of {} rows, seed {}{}), recomputed",
                test.len(),
                crate::report::format::format_fixed(100.0 * split.test_fraction, 0),
                all.rows(),
                split.seed,
                if split.stratified {
                    ", stratified by class"
                } else {
                    ""
                }
            );
            (all.subset(&test), test, check, description, split.seed)
        }
    };
    let predictions = predict(&CompactForest::new(model), objective, &data);
    let sample = sample_rows(data.rows(), SHAP_SAMPLE, seed);
    let shap = shap_values(model, &data.subset(&sample).column_slices());
    Ok(Evaluation {
        label: label.to_string(),
        description,
        query,
        fingerprint,
        data,
        rows,
        predictions,
        sample,
        shap,
    })
}

/// The predictions of another model (`--compare`) on the same evaluated
/// rows: its own features are read by name from the same fetched rows.
pub(crate) fn predict_rows(
    label: &str,
    model: &TreeEnsemble,
    batches: &[RecordBatch],
    rows: &[usize],
) -> Result<Vec<f64>> {
    let data = Dataset::for_model(batches, label, model.features(), model.objective())?;
    let data = data.subset(rows);
    Ok(predict(
        &CompactForest::new(model),
        model.objective(),
        &data,
    ))
}

/// Compares the fingerprint of the training query's rows now with the manifest's.
fn check_fingerprint(
    manifest: &Manifest,
    batches: &[RecordBatch],
    label: &str,
    model: &TreeEnsemble,
) -> FingerprintCheck {
    if manifest.training_data_fingerprint.is_empty() {
        return FingerprintCheck::NotRecorded;
    }
    let names: Vec<String> = model.features().iter().map(|f| f.name.clone()).collect();
    match Dataset::for_training(batches, label, Some(&names), model.objective()) {
        Ok(data) => {
            let now = fingerprint(&schema_of(batches), &data);
            if now == manifest.training_data_fingerprint {
                FingerprintCheck::Matches(now)
            } else {
                FingerprintCheck::Differs {
                    recorded: manifest.training_data_fingerprint.clone(),
                    now,
                }
            }
        }
        Err(e) => FingerprintCheck::Failed(e.strip_backtrace()),
    }
}

/// At most `max` of `n` row indices, drawn without replacement with `seed`, ascending.
pub fn sample_rows(n: usize, max: usize, seed: u64) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..n).collect();
    if n <= max {
        return rows;
    }
    let mut rng = Rng::new(seed);
    // A partial Fisher–Yates shuffle: the first `max` places are a uniform sample.
    for i in 0..max {
        let j = i + rng.below((n - i) as u64) as usize;
        rows.swap(i, j);
    }
    rows.truncate(max);
    rows.sort_unstable();
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_and_queries() {
        assert_eq!(data_query("scored"), "SELECT * FROM scored");
        assert_eq!(data_query(" public.t_2 "), "SELECT * FROM public.t_2");
        assert_eq!(
            data_query("SELECT * FROM t WHERE x > 1;"),
            "SELECT * FROM t WHERE x > 1"
        );
        assert!(!is_table_name("2fast"));
        assert!(!is_table_name("a b"));
        assert!(!is_table_name(""));
    }

    #[test]
    fn samples_are_seeded_sorted_and_bounded() {
        let a = sample_rows(10_000, 500, 42);
        assert_eq!(a.len(), 500);
        assert!(a.windows(2).all(|w| w[0] < w[1]), "ascending, no repeats");
        assert_eq!(a, sample_rows(10_000, 500, 42), "same seed, same rows");
        assert_ne!(a, sample_rows(10_000, 500, 43));
        assert_eq!(sample_rows(3, 500, 42), vec![0, 1, 2]);
    }

    #[tokio::test]
    async fn evaluation_data_must_be_a_query() {
        let db = firnml::Database::in_memory().await.expect("db");
        db.sql("CREATE TABLE t AS SELECT 1 AS x")
            .await
            .expect("table");
        let session = db.session();
        let err = run_query(&session, "DROP TABLE t", "--data")
            .await
            .expect_err("refused");
        assert!(
            err.to_string().contains("--data must be one query"),
            "{err}"
        );
        let err = run_query(&session, "SELECT 1; SELECT 2", "--data")
            .await
            .expect_err("refused");
        assert!(err.to_string().contains("must be one query"), "{err}");
        assert_eq!(
            db.sql("SELECT * FROM t").await.expect("still there")[0].num_rows(),
            1
        );
    }
}
