//! Model cards: pictures of a registered model version where people look
//! rather than read.
//!
//! `firn DB report model NAME[@VERSION|@ALIAS] --out DIR [--data 'SELECT …' | --data TABLE]`
//! writes `DIR/index.html` — one self-contained page (inline CSS and SVG, no
//! scripts, nothing fetched) — and each chart as an SVG file beside it:
//!
//! - the version: name, default/aliases, comment, created_at, trainer,
//!   objective, label, features and kinds, parameters, stored metrics, lineage;
//! - the evaluation rows: by default the version's **held-out rows,
//!   recomputed** — the training query (the manifest's lineage) is re-run, its
//!   fingerprint compared with the one recorded at training (a difference is
//!   shown on the card and as a warning), and the rows split as `CREATE MODEL`
//!   split them — or the rows of `--data`;
//! - classifiers: ROC curve with AUC, precision-recall curve with average
//!   precision and the base rate, confusion matrix at the split's threshold;
//!   regressors: predicted against actual values;
//! - both: importance by gain, mean |SHAP| and the SHAP beeswarm over at most
//!   500 rows sampled with a fixed seed.
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

pub mod axes;
pub mod bars;
pub mod beeswarm;
pub mod card;
pub mod charts;
pub mod color;
mod command;
pub mod confusion;
pub mod evaluation;
pub mod output;
pub mod pr;
pub mod roc;
pub mod scale;
pub mod scatter;
pub mod svg;

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
    pub async fn build(db: &Database, reference: &str, source: DataSource) -> Result<Self> {
        let reference = ModelRef::parse(reference)?;
        let session = db.session();
        let session = &session;
        let registry = db.registry();
        let info = registry.describe(&reference).await?;
        // Load exactly the version described, even if the default moves meanwhile.
        let exact = ModelRef::at(&info.manifest.name, &info.manifest.version)?;
        let (_, model) = registry.load(&exact).await?;
        let (batches, query) = evaluation::fetch(session, &info.manifest, &source).await?;
        tokio::task::spawn_blocking(move || assemble(&info, &model, &source, &batches, query))
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

/// Evaluates, draws and lays out the card. CPU-bound.
fn assemble(
    info: &VersionInfo,
    model: &TreeEnsemble,
    source: &DataSource,
    batches: &[RecordBatch],
    query: String,
) -> Result<ModelCard> {
    let manifest = &info.manifest;
    let evaluation = evaluation::evaluate(manifest, model, source, batches, query)?;
    let threshold = manifest.split.map_or(0.5, |s| s.threshold);
    let label = manifest.label.as_deref().unwrap_or("label");
    let figures = charts::figures(model, &evaluation, threshold, label)?;
    let name = format!("{}@{}", manifest.name, manifest.version);
    let warnings: Vec<String> = match &evaluation.fingerprint {
        FingerprintCheck::Differs { .. } | FingerprintCheck::Failed(_) => vec![format!(
            "the training data of {name} changed since it was trained: its training query \
             no longer returns the same rows, so the card evaluates rows that are not exactly \
             its held-out rows"
        )],
        _ => vec![],
    };
    let html = card::render(&card::CardInput {
        info,
        model,
        evaluation: &evaluation,
        figures: &figures,
        threshold,
        warnings: &warnings,
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
