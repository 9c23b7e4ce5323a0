//! `firn DB report model …`: opens the database, builds the card, writes it
//! and says where; any error is one message on stderr and exit status 1.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::evaluation::plan;
use super::{CardRequest, DataSource, ModelCard};
use firnml::Database;
use firnml::Result;

/// What `firn report model` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOptions {
    /// The database directory or `file://` URL (required: a card reads a registry).
    pub database: Option<String>,
    /// `name`, `name@version` or `name@alias`.
    pub model: String,
    /// The output directory.
    pub out: PathBuf,
    /// `--data`: a query or table name; `None` recomputes the held-out rows.
    pub data: Option<String>,
    /// `--by`: a column to slice the metrics by.
    pub by: Option<String>,
    /// `--compare`: another version to score on the same rows.
    pub compare: Option<String>,
}

/// Opens an existing database: a report never creates one.
pub(crate) async fn open_existing(location: Option<&str>) -> Result<Database> {
    let Some(location) = location else {
        return Err(plan(
            "firn report needs a database: firn DB report model NAME[@VERSION] --out DIR",
        ));
    };
    if matches!(location, ":memory:" | "memory://") {
        return Err(plan(
            "an in-memory database has no models to report on; name a database directory",
        ));
    }
    let local = location.strip_prefix("file://").unwrap_or(location);
    if !location.contains("://") || location.starts_with("file://") {
        let dir = Path::new(local);
        // The marker every Firn database holds (see `Database::open`).
        if !dir.join("firn.json").is_file() {
            return Err(plan(format!(
                "'{location}' is not a Firn database (no such directory, or no firn.json in it)"
            )));
        }
    }
    Database::open(location).await
}

async fn run(options: &ReportOptions) -> Result<(ModelCard, Vec<PathBuf>, Vec<String>)> {
    let db = open_existing(options.database.as_deref()).await?;
    let source = match &options.data {
        Some(data) => DataSource::Given(data.clone()),
        None => DataSource::HeldOut,
    };
    let request = CardRequest {
        source,
        by: options.by.clone(),
        compare: options.compare.clone(),
    };
    let card = ModelCard::build_with(&db, &options.model, request).await?;
    let written = card.write(&options.out)?;
    Ok((card, written, db.warnings()))
}

/// Runs `firn report model`: prints what was written, or the error.
pub async fn report_model(options: ReportOptions) -> ExitCode {
    match run(&options).await {
        Ok((card, written, db_warnings)) => {
            for warning in db_warnings.iter().chain(&card.warnings) {
                eprintln!("Warning: {warning}");
            }
            let index = written.last().map_or_else(
                || options.out.display().to_string(),
                |p| p.display().to_string(),
            );
            println!(
                "wrote the model card of {}@{} ({} rows evaluated, {} charts) to {index}",
                card.model,
                card.version,
                card.rows,
                card.files.len().saturating_sub(1)
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("Error: {error}");
            ExitCode::FAILURE
        }
    }
}
