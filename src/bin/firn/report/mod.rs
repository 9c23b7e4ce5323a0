//! Model cards: pictures of a registered model version where people look
//! rather than read.
//!
//! `firn DB report model NAME[@VERSION|@ALIAS] --out DIR [--data 'SELECT …' | --data TABLE]
//! [--by COLUMN] [--compare previous|VERSION|ALIAS|MODEL@VERSION]`
//! writes `DIR/index.html` — one self-contained page (inline CSS and SVG, no
//! scripts, nothing fetched) — and each chart as an SVG file beside it. The
//! charts are drawn with plotters' SVG backend (`plot.rs`):
//!
//! - the version: name, default/aliases, comment, created_at, trainer,
//!   objective, label, features and kinds, parameters, stored metrics, lineage;
//! - the evaluation rows: by default the version's **held-out rows,
//!   recomputed** — the training query (the manifest's lineage) is re-run, its
//!   fingerprint compared with the one recorded at training (a difference is
//!   shown on the card and as a warning), and the rows split as `CREATE MODEL`
//!   split them — or the rows of `--data`;
//! - classifiers: ROC curve with AUC, precision-recall curve with average
//!   precision and the base rate, the threshold sweep (chart and table),
//!   cumulative gains with lift by decile, calibration, and the confusion
//!   matrix at the split's threshold; regressors: predicted against actual values;
//! - both: importance by gain, mean |SHAP| and the SHAP beeswarm over at most
//!   500 rows sampled with a fixed seed;
//! - `--by COLUMN`: metrics by the column's values; `--compare`: another
//!   version scored on the same rows, metrics side by side and both ROC curves;
//! - the training run from the experiment log (names, times, CV fold scores,
//!   search candidates) and the parameters marked as set, searched or default.
//!
//! Output is deterministic: the same model and data give byte-identical files.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> firnml::Result<()> {
//! use firnml::report::{DataSource, ModelCard};
//!
//! let db = firnml::Database::in_memory().await?;
//! db.sql("CREATE TABLE t AS SELECT value AS id, CAST(value % 7 AS DOUBLE) AS x, \
//!         CASE WHEN value % 7 > 3 THEN 1 ELSE 0 END AS y FROM generate_series(1, 200)").await?;
//! db.sql("CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id', \
//!         n_estimators 5) AS SELECT * FROM t").await?;
//! let card = ModelCard::build(&db, "m@v1", DataSource::HeldOut).await?;
//! assert_eq!(card.rows, 40);                              // 20 % of 200 rows held out
//! assert!(card.html().contains("ROC AUC"));
//! # Ok(()) }
//! ```

pub mod bars;
pub mod beeswarm;
pub mod calibration;
pub mod card;
pub mod charts;
pub mod color;
mod command;
pub mod compare;
pub mod confusion;
pub mod evaluation;
pub mod format;
pub mod gains;
pub mod output;
pub mod plot;
pub mod pr;
pub mod roc;
pub mod scatter;
pub mod slices;
pub mod sweep;
pub mod training_run;

use std::path::{Path, PathBuf};

use datafusion::arrow::array::RecordBatch;
use datafusion::error::DataFusionError;
use firnml_udfs::model::TreeEnsemble;

pub(crate) use command::open_existing;
pub use command::{ReportOptions, report_model};
pub use evaluation::{DataSource, FingerprintCheck};

use firnml::Database;
use firnml::Result;
use firnml::registry::{ModelRef, VersionInfo};
use training_run::TrainingRun;

/// What a card shows beyond the version itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRequest {
    /// The rows evaluated.
    pub source: DataSource,
    /// `--by`: a column of the evaluated rows to slice the metrics by.
    pub by: Option<String>,
    /// `--compare`: `previous`, a version or alias of the same model, or `model@version`.
    pub compare: Option<String>,
}

impl CardRequest {
    /// The card of `source`'s rows, with no slices and no comparison.
    #[allow(dead_code)] // used by tests/report.rs and the doc example
    pub fn of(source: DataSource) -> Self {
        Self {
            source,
            by: None,
            compare: None,
        }
    }
}

/// A model card, built in memory: write it with [`ModelCard::write`].
#[derive(Debug, Clone, PartialEq)]
pub struct ModelCard {
    /// The model's name.
    pub model: String,
    /// The version shown.
    pub version: String,
    /// The files (name, contents): the charts' SVGs, then `index.html`.
    pub files: Vec<(String, String)>,
    /// Metrics recomputed on the evaluated rows, by name.
    pub metrics: Vec<(String, f64)>,
    /// Number of rows evaluated.
    pub rows: usize,
    /// Problems the reader must know about (also shown on the card).
    pub warnings: Vec<String>,
}

impl ModelCard {
    /// Builds the card of `reference` (`name`, `name@version` or `name@alias`)
    /// in `db`, evaluated on `source`.
    #[allow(dead_code)] // used by tests/report.rs and the doc example
    pub async fn build(db: &Database, reference: &str, source: DataSource) -> Result<Self> {
        Self::build_with(db, reference, CardRequest::of(source)).await
    }

    /// Builds the card of `reference` as `request` asks.
    pub async fn build_with(db: &Database, reference: &str, request: CardRequest) -> Result<Self> {
        let reference = ModelRef::parse(reference)?;
        let session = db.session();
        let session = &session;
        let registry = db.registry();
        let info = registry.describe(&reference).await?;
        // Load exactly the version described, even if the default moves meanwhile.
        let exact = ModelRef::at(&info.manifest.name, &info.manifest.version)?;
        let (_, model) = registry.load(&exact).await?;
        let other = match &request.compare {
            Some(text) => Some(compare::resolve(&registry, &info.manifest, text).await?),
            None => None,
        };
        // The experiment log adds to the card; a log that cannot be read does not stop it.
        let mut log_warning = None;
        let run = match &info.manifest.run_id {
            Some(id) => match db.tracking().refresh().await {
                Ok(state) => TrainingRun::find(&state, id),
                Err(e) => {
                    log_warning = Some(format!(
                        "the experiment log cannot be read, so the card shows no training run: {e}"
                    ));
                    None
                }
            },
            None => None,
        };
        let (batches, query) = evaluation::fetch(session, &info.manifest, &request.source).await?;
        tokio::task::spawn_blocking(move || {
            assemble(&Inputs {
                info: &info,
                model: &model,
                request: &request,
                batches: &batches,
                query,
                other,
                run,
                log_warning,
            })
        })
        .await
        .map_err(|e| DataFusionError::External(Box::new(e)))?
    }

    /// Writes the files into `dir` (created if needed), all or nothing; returns their paths.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        output::write_files(dir, &self.files)
    }

    /// The contents of file `name`.
    #[allow(dead_code)] // read by tests/report.rs
    pub fn file(&self, name: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, contents)| contents.as_str())
    }

    /// The page, `index.html`.
    #[allow(dead_code)] // read by tests/report.rs
    pub fn html(&self) -> &str {
        self.file("index.html").unwrap_or_default()
    }
}

/// Everything `assemble` draws from.
struct Inputs<'a> {
    info: &'a VersionInfo,
    model: &'a TreeEnsemble,
    request: &'a CardRequest,
    batches: &'a [RecordBatch],
    query: String,
    other: Option<(String, TreeEnsemble)>,
    run: Option<TrainingRun>,
    log_warning: Option<String>,
}

/// Evaluates, draws and lays out the card. CPU-bound.
fn assemble(inputs: &Inputs<'_>) -> Result<ModelCard> {
    let (info, model) = (inputs.info, inputs.model);
    let manifest = &info.manifest;
    let evaluation = evaluation::evaluate(
        manifest,
        model,
        &inputs.request.source,
        inputs.batches,
        inputs.query.clone(),
    )?;
    let threshold = manifest.split.map_or(0.5, |s| s.threshold);
    let label = manifest.label.as_deref().unwrap_or("label");
    let name = format!("{}@{}", manifest.name, manifest.version);
    let comparison = match &inputs.other {
        Some((other_name, other)) => Some(compare::score(
            other_name,
            other,
            &name,
            model,
            inputs.batches,
            &evaluation,
            threshold,
        )?),
        None => None,
    };
    let figures = charts::figures(
        model,
        &evaluation,
        threshold,
        label,
        &name,
        comparison.as_ref(),
    )?;
    let slices = match &inputs.request.by {
        Some(column) => {
            let values = slices::slice_values(inputs.batches, column, &evaluation.rows)?;
            let (slices, left_out) = slices::slices(
                &values,
                &evaluation.predictions,
                &evaluation.data.labels,
                model.objective(),
                threshold,
            )?;
            Some((column.clone(), slices, left_out))
        }
        None => None,
    };
    let mut warnings: Vec<String> = match &evaluation.fingerprint {
        FingerprintCheck::Differs { .. } | FingerprintCheck::Failed(_) => vec![format!(
            "the training data of {name} changed since it was trained: its training query \
             no longer returns the same rows, so the card evaluates rows that are not exactly \
             its held-out rows"
        )],
        _ => vec![],
    };
    warnings.extend(inputs.log_warning.clone());
    if let Some(other) = &comparison
        && matches!(inputs.request.source, DataSource::HeldOut)
    {
        warnings.push(format!(
            "{} is compared on the held-out rows of {name}; {} may have been trained on \
             some of them, which flatters it — compare on new rows with --data",
            other.name, other.name
        ));
    }
    let html = card::render(&card::CardInput {
        info,
        model,
        evaluation: &evaluation,
        figures: &figures,
        threshold,
        warnings: &warnings,
        slices: slices
            .as_ref()
            .map(|(column, s, left_out)| (column.as_str(), s.as_slice(), *left_out)),
        comparison: comparison.as_ref(),
        run: inputs.run.as_ref(),
    });
    let mut files: Vec<(String, String)> = figures
        .charts
        .iter()
        .map(|c| (c.file.to_string(), c.svg.clone()))
        .collect();
    files.push(("index.html".to_string(), html));
    Ok(ModelCard {
        model: manifest.name.clone(),
        version: manifest.version.clone(),
        files,
        metrics: figures.metrics,
        rows: evaluation.data.rows(),
        warnings,
    })
}
