//! TreeSHAP kernels on one model and one set of rows: the path walk (the
//! algorithm before the leaf tables) and the tabulated leaves, by thread count.
//! `benches/shap.sh` runs it beside XGBoost's `pred_contribs` and Firn's SQL
//! `explain_predict` on the same trees and rows.
//!
//! Every subcommand prints one JSON object on standard output:
//!
//! - `data --out DIR --train-rows N --rows M`: the synthetic 8-feature problem of
//!   the peer benchmark (`benches/peer/synthetic.rs`), `train.csv` (features and
//!   `label`, stream 1) for `CREATE MODEL` and `explain.csv` (features, stream 3)
//!   to explain.
//! - `kernel --model FILE --rows CSV --reps R --out-x FILE --out-shap FILE`:
//!   imports an XGBoost JSON model (Firn's export, so XGBoost reads the same trees),
//!   reads the rows (columns matched to the model's features by name; an empty
//!   field is missing), then times each algorithm `R` times, interleaved, on
//!   rayon's global pool (`RAYON_NUM_THREADS` threads; all cores without it):
//!   preparing the model (`ShapForest`) and explaining every row. Reports medians
//!   of wall time and of CPU time (all threads' run time, so a figure per core that
//!   does not count waiting for a CPU on a shared machine), rows per second of each,
//!   the largest difference between the two
//!   algorithms and the largest additivity error (SHAP sum against the margin), and
//!   writes the rows (row-major f64) and the tables' SHAP values for XGBoost's check.

#[path = "peer/synthetic.rs"]
#[allow(dead_code)]
mod synthetic;

use std::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Parser, Subcommand};
use firnml::ml::xgboost_json;
use firnml_udfs::model::shap::{ShapAlgorithm, ShapForest};
use firnml_udfs::model::{CompactForest, TreeEnsemble};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

#[derive(Debug, Parser)]
#[command(about = "Firn's TreeSHAP kernels, timed")]
struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Writes the synthetic problem as CSV.
    Data {
        #[arg(long)]
        out: PathBuf,
        /// Rows to train on.
        #[arg(long, default_value_t = 200_000)]
        train_rows: usize,
        /// Rows to explain.
        #[arg(long, default_value_t = 20_000)]
        rows: usize,
    },
    /// Times both algorithms on a model and rows.
    Kernel {
        /// XGBoost JSON model (`firn DB export model`).
        #[arg(long)]
        model: PathBuf,
        /// CSV of the rows to explain, with a header naming the model's features.
        #[arg(long)]
        rows: PathBuf,
        #[arg(long, default_value_t = 3)]
        reps: usize,
        /// Where the rows go as row-major f64 (model feature order).
        #[arg(long)]
        out_x: Option<PathBuf>,
        /// Where the tables' SHAP values go as row-major f64.
        #[arg(long)]
        out_shap: Option<PathBuf>,
        /// Time the leaf tables only (for tuning; no comparison with the walk).
        #[arg(long)]
        tables_only: bool,
    },
}

fn main() -> Result<()> {
    let report = match Args::parse().command {
        Cmd::Data {
            out,
            train_rows,
            rows,
        } => data(&out, train_rows, rows)?,
        Cmd::Kernel {
            model,
            rows,
            reps,
            out_x,
            out_shap,
            tables_only,
        } => kernel(
            &model,
            &rows,
            reps,
            out_x.as_deref(),
            out_shap.as_deref(),
            tables_only,
        )?,
    };
    println!("{report}");
    Ok(())
}

/// Writes `columns` (and `labels` as a last `label` column) as CSV; NaN is an empty field.
fn write_csv(path: &Path, columns: &[Vec<f64>], labels: Option<&[f64]>) -> Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    let mut header: Vec<String> = (0..columns.len()).map(|i| format!("x{i}")).collect();
    if labels.is_some() {
        header.push("label".into());
    }
    writeln!(out, "{}", header.join(","))?;
    let rows = columns.first().map_or(0, Vec::len);
    for row in 0..rows {
        let mut fields: Vec<String> = columns
            .iter()
            .map(|c| {
                let v = c[row];
                if v.is_nan() {
                    String::new()
                } else {
                    format!("{v:?}")
                }
            })
            .collect();
        if let Some(labels) = labels {
            fields.push(format!("{:?}", labels[row]));
        }
        writeln!(out, "{}", fields.join(","))?;
    }
    out.flush()?;
    Ok(())
}

fn data(out: &Path, train_rows: usize, rows: usize) -> Result<Value> {
    std::fs::create_dir_all(out)?;
    let train = synthetic::dataset(train_rows, 1);
    write_csv(&out.join("train.csv"), &train.columns, Some(&train.labels))?;
    let explain = synthetic::dataset(rows, 3);
    write_csv(&out.join("explain.csv"), &explain.columns, None)?;
    Ok(json!({ "train_rows": train_rows, "rows": rows, "features": synthetic::FEATURES }))
}

/// The CSV's columns in the order of `model`'s features.
fn read_rows(path: &Path, model: &TreeEnsemble) -> Result<Vec<Vec<f64>>> {
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or("empty CSV")?.split(',').collect();
    let positions: Vec<usize> = model
        .features()
        .iter()
        .map(|f| {
            header
                .iter()
                .position(|h| h.trim_matches('"') == f.name)
                .ok_or_else(|| format!("{} has no column {}", path.display(), f.name))
        })
        .collect::<std::result::Result<_, _>>()?;
    let mut columns = vec![Vec::new(); positions.len()];
    for line in lines.filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        for (column, &at) in columns.iter_mut().zip(&positions) {
            let field = fields.get(at).copied().unwrap_or("").trim();
            column.push(if field.is_empty() {
                f64::NAN
            } else {
                field.parse()?
            });
        }
    }
    Ok(columns)
}

fn write_f64(path: &Path, values: impl Iterator<Item = f64>) -> Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    for v in values {
        out.write_all(&v.to_le_bytes())?;
    }
    out.flush()?;
    Ok(())
}

/// CPU seconds all threads of this process have run so far (`/proc/self/task/*/schedstat`):
/// on a shared machine, what a measurement cost in CPU rather than in waiting for one.
fn cpu_seconds() -> Result<f64> {
    let mut nanos = 0u64;
    for task in std::fs::read_dir("/proc/self/task")? {
        let stat = std::fs::read_to_string(task?.path().join("schedstat"))?;
        nanos += stat
            .split_whitespace()
            .next()
            .ok_or("empty schedstat")?
            .parse::<u64>()?;
    }
    Ok(nanos as f64 * 1e-9)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn kernel(
    model_path: &Path,
    rows_path: &Path,
    reps: usize,
    out_x: Option<&Path>,
    out_shap: Option<&Path>,
    tables_only: bool,
) -> Result<Value> {
    let model = xgboost_json::import(&std::fs::read_to_string(model_path)?)?;
    let columns = read_rows(rows_path, &model)?;
    let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let rows = slices.first().map_or(0, |c| c.len());
    let width = model.features().len() + 1;
    let algorithms = [
        ("path_walk", ShapAlgorithm::PathWalk),
        ("leaf_tables", ShapAlgorithm::LeafTables),
    ];
    let mut prepare = vec![Vec::new(); algorithms.len()];
    let mut explain = vec![Vec::new(); algorithms.len()];
    let mut explain_cpu = vec![Vec::new(); algorithms.len()];
    let mut results: Vec<Vec<f64>> = vec![Vec::new(); algorithms.len()];
    let mut tables = (0, 0);
    for _ in 0..reps.max(1) {
        for (i, &(_, algorithm)) in algorithms.iter().enumerate() {
            if tables_only && algorithm == ShapAlgorithm::PathWalk {
                continue;
            }
            let started = Instant::now();
            let forest = ShapForest::with_algorithm(&model, algorithm);
            prepare[i].push(started.elapsed().as_secs_f64());
            let (started, cpu) = (Instant::now(), cpu_seconds()?);
            results[i] = forest.shap_values(&slices);
            explain[i].push(started.elapsed().as_secs_f64());
            explain_cpu[i].push(cpu_seconds()? - cpu);
            if algorithm == ShapAlgorithm::LeafTables {
                tables = (forest.tabulated_trees(), forest.table_bytes());
            }
        }
    }
    let margins = CompactForest::new(&model).predict_margin(&slices);
    // The largest of `values`, NaN if any is NaN.
    let largest = |values: &mut dyn Iterator<Item = f64>| {
        values.fold(0.0, |a: f64, b| if b.is_nan() || b > a { b } else { a })
    };
    let additivity = |shap: &[f64]| {
        largest(
            &mut shap
                .chunks_exact(width)
                .zip(&margins)
                .map(|(phi, m)| (phi.iter().sum::<f64>() - m).abs()),
        )
    };
    let difference = largest(
        &mut results[0]
            .iter()
            .zip(&results[1])
            .map(|(a, b)| (a - b).abs()),
    );
    if let Some(path) = out_x {
        write_f64(
            path,
            (0..rows).flat_map(|r| columns.iter().map(move |c| c[r])),
        )?;
    }
    if let Some(path) = out_shap {
        write_f64(path, results[1].iter().copied())?;
    }
    let mut report = json!({
        "model": model_path.display().to_string(),
        "trees": model.num_trees(),
        "nodes": model.nodes().len(),
        "leaves": model.nodes().feature.iter().filter(|&&f| f < 0).count(),
        "features": model.features().len(),
        "rows": rows,
        "rayon_num_threads": std::env::var("RAYON_NUM_THREADS").ok(),
        "reps": reps,
        "tabulated_trees": tables.0,
        "table_mib": tables.1 as f64 / (1 << 20) as f64,
        "max_abs_difference": difference,
    });
    for (i, (name, _)) in algorithms.iter().enumerate() {
        let seconds = median(explain[i].clone());
        let cpu = median(explain_cpu[i].clone());
        report[*name] = json!({
            "prepare_seconds": median(prepare[i].clone()),
            "explain_seconds": seconds,
            "explain_runs": explain[i],
            "explain_cpu_seconds": cpu,
            "explain_cpu_runs": explain_cpu[i],
            "rows_per_second": rows as f64 / seconds,
            "rows_per_cpu_second": rows as f64 / cpu,
            "max_additivity_error": additivity(&results[i]),
        });
    }
    Ok(report)
}
