//! Runs every `tests/slt/**/*.slt` file through Firn's own session, so Firn's
//! statements and functions are tested exactly as users call them.
//!
//! `cargo test --test sqllogictests` checks; `cargo test --test sqllogictests -- --complete`
//! rewrites the expected results in place; any other argument filters files by path.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use firnml::arrow::array::{Array, RecordBatch};
use firnml::arrow::datatypes::DataType;
use firnml::arrow::util::display::{ArrayFormatter, FormatOptions};
use firnml::registry::SteppingClock;
use firnml::{Database, Session};
use sqllogictest::{DBOutput, DefaultColumnType};
use std::sync::Arc;

struct FirnDb {
    session: Session,
}

fn column_type(data_type: &DataType) -> DefaultColumnType {
    match data_type {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => DefaultColumnType::Integer,
        DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal128(_, _)
        | DataType::Decimal256(_, _) => DefaultColumnType::FloatingPoint,
        _ => DefaultColumnType::Text,
    }
}

fn format_rows(batches: &[RecordBatch]) -> Result<Vec<Vec<String>>, firnml::Error> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| firnml::Error::DataFusion(e.into()))?;
        for row in 0..batch.num_rows() {
            rows.push(
                formatters
                    .iter()
                    .zip(batch.columns())
                    .map(|(f, column)| {
                        let text = f.value(row).to_string();
                        if text.is_empty() && !column.is_null(row) {
                            "(empty)".to_string()
                        } else {
                            text
                        }
                    })
                    .collect(),
            );
        }
    }
    Ok(rows)
}

#[async_trait]
impl sqllogictest::AsyncDB for FirnDb {
    type Error = firnml::Error;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, firnml::Error> {
        let output = self.session.execute(sql).await?;
        if output.schema.fields().is_empty() {
            return Ok(DBOutput::StatementComplete(0));
        }
        let types = output
            .schema
            .fields()
            .iter()
            .map(|f| column_type(f.data_type()))
            .collect();
        Ok(DBOutput::Rows {
            types,
            rows: format_rows(&output.batches)?,
        })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "firn"
    }

    async fn sleep(dur: std::time::Duration) {
        tokio::time::sleep(dur).await;
    }
}

fn slt_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            slt_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "slt") {
            out.push(path);
        }
    }
    Ok(())
}

fn make_runner() -> sqllogictest::Runner<FirnDb, impl sqllogictest::MakeConnection<Conn = FirnDb>> {
    // A stepping clock makes created_at and started_at reproducible.
    let mut runner = sqllogictest::Runner::new(|| async {
        let start = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
            .map_err(|e| firnml::Error::Unsupported(e.to_string()))?
            .to_utc();
        let clock = SteppingClock::new(start, chrono::TimeDelta::seconds(1));
        Ok(FirnDb {
            session: Database::in_memory_with_clock(Arc::new(clock))
                .await?
                .session(),
        })
    });
    runner.with_column_validator(sqllogictest::strict_column_validator);
    runner
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let complete = args.iter().any(|a| a == "--complete");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    // Paths in .slt files (tests/data/…, ../shared/seed-data/…) are relative to the project root.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(root)?;
    let mut files = Vec::new();
    slt_files(Path::new("tests/slt"), &mut files)?;
    files.sort();
    files.retain(|f| {
        filters.is_empty()
            || filters
                .iter()
                .any(|x| f.to_string_lossy().contains(x.as_str()))
    });

    let (mut passed, mut failed) = (0, 0);
    for file in &files {
        let mut runner = make_runner();
        let result = if complete {
            runner
                .update_test_file(
                    file,
                    " ",
                    sqllogictest::default_validator,
                    sqllogictest::default_normalizer,
                    sqllogictest::strict_column_validator,
                )
                .await
                .map_err(|e| e.to_string())
        } else {
            runner
                .run_file_async(file)
                .await
                .map_err(|e| e.display(true).to_string())
        };
        match result {
            Ok(()) => {
                passed += 1;
                println!("ok     {}", file.display());
            }
            Err(e) => {
                failed += 1;
                println!("FAILED {}\n{e}", file.display());
            }
        }
    }
    println!("sqllogictest: {passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}
