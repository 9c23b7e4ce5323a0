//! `firn DB export model NAME[@VERSION|@ALIAS] --out FILE`: writes a registered
//! version in XGBoost's JSON model format, which XGBoost 1.6–3.x load and score
//! like Firn (see `ml::xgboost_json`). The file is written under a temporary
//! name and renamed into place, so a failure leaves nothing half-written.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::report::open_existing;
use firnml::ml::xgboost_json;
use firnml::registry::ModelRef;
use firnml::{Error, Result};

/// What `firn export model` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// The database directory or `file://` URL.
    pub database: Option<String>,
    /// `name`, `name@version` or `name@alias`.
    pub model: String,
    /// The file to write.
    pub out: PathBuf,
}

async fn run(options: &ExportOptions) -> Result<(String, usize)> {
    let db = open_existing(options.database.as_deref()).await?;
    let (manifest, model) = db
        .registry()
        .load(&ModelRef::parse(&options.model)?)
        .await?;
    let json = xgboost_json::export(&model)?;
    let io = |what: &str, e: std::io::Error| {
        Error::io(format!("cannot {what} '{}'", options.out.display()), e)
    };
    let name = options
        .out
        .file_name()
        .ok_or_else(|| Error::Unsupported(format!("'{}' names no file", options.out.display())))?;
    let temporary = options.out.with_file_name(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&temporary, json.as_bytes()).map_err(|e| io("write", e))?;
    if let Err(e) = std::fs::rename(&temporary, &options.out) {
        let _ = std::fs::remove_file(&temporary);
        return Err(io("write", e));
    }
    Ok((
        format!("{}@{}", manifest.name, manifest.version),
        model.num_trees(),
    ))
}

/// Runs `firn export model`: prints what was written, or the error.
pub async fn export_model(options: ExportOptions) -> ExitCode {
    match run(&options).await {
        Ok((model, trees)) => {
            println!(
                "wrote {model} ({trees} trees) in XGBoost's JSON model format to {}",
                options.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("Error: {error}");
            ExitCode::FAILURE
        }
    }
}
