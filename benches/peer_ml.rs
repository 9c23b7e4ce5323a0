//! Firn beside Python XGBoost on identical inputs. `benches/peer/run.sh` builds
//! this program once (`--profile bench-ml`), runs it and
//! `benches/peer/xgboost_peer.py` three times each and tabulates the medians.
//!
//! Every subcommand prints one JSON object on standard output:
//!
//! - `seed --data DIR --out DIR`: the seed's training set built by Firn's SQL
//!   scripts (`sql/01`, `sql/02`: feature set v2), the 80/20 stratified split
//!   with seed 42 written to `train.csv` / `test.csv` (segment already coded
//!   ordinally, so XGBoost reads exactly the numbers Firn trains on), and the
//!   seed's three experiment runs: test AUC, F1, accuracy, precision, recall,
//!   fit seconds.
//! - `search --data DIR --out DIR`: the seed's random search (5 candidates ×
//!   3-fold CV scored by F1) over all 3,000 labelled customers, wall time; the
//!   candidates and folds go to `search.json` and the rows to `dataset.csv` so
//!   XGBoost fits exactly the same 15 models.
//! - `synthetic --rows N [--features K] --out DIR`: writes a deterministic
//!   N × K binary problem (K = 8 by default, or the wide variant; and a 20 %
//!   test set) as raw little-endian f64 for numpy (kept if `DIR` already holds
//!   the same problem), then measures, in a fresh child process so peak memory
//!   is training and scoring alone: fit seconds (100 trees, depth 6, lr 0.3),
//!   prediction throughput over all training rows, TreeSHAP seconds on 20,000
//!   rows, test AUC and peak RSS (`VmHWM`); `--fit-only` skips prediction
//!   throughput and TreeSHAP.
//! - `create-model --dir DIR`: `CREATE MODEL` end to end through SQL on a
//!   Parquet table of all rows `synthetic` wrote to `DIR` (training and test
//!   rows: the statement's own 80/20 split then trains on as many rows as
//!   `synthetic` does), in a fresh on-disk database: statement seconds and
//!   held-out AUC; then the same steps one by one through the library (scan,
//!   canonical row order, dataset, fingerprint, split, fit, held-out metrics)
//!   for a breakdown, the rest of the statement (planning, publishing, the
//!   run log) being the difference.
//!
//! `--threads` (default: all cores) is the training, scoring and SHAP thread
//! count; the peer gets the same number. `--trainer firn|forust` (default
//! `firn`) picks Firn's backend.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

/// The shell's script splitter and variables (part of the `firn` binary).
#[path = "../src/bin/firn/script/mod.rs"]
#[allow(dead_code)]
mod script;
use script::{ScriptItem, Variables, split_script};

#[path = "peer/synthetic.rs"]
mod synthetic;

use std::error::Error;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use clap::{Parser, Subcommand};
use firnml::Database;
use firnml::ml::canonical::canonical_rows;
use firnml::ml::cv::predict;
use firnml::ml::fingerprint::fingerprint;
use firnml::ml::metric::{Metric, evaluate};
use firnml::ml::params::TrainerKind;
use firnml::ml::search::{SearchConfig, SearchSpace, Strategy, search};
use firnml::ml::split::{k_folds, train_test_split};
use firnml::ml::{Dataset, GbdtParams, trainer_for};
use firnml_udfs::metrics::roc_auc;
use firnml_udfs::model::{CompactForest, FeatureKind, Objective, shap_values};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Feature set v2, in the order of `training_dataset`.
const SEED_FEATURES: [&str; 8] = [
    "days_since_last_order",
    "total_order_count",
    "order_count_2024",
    "total_order_amount",
    "avg_order_amount",
    "total_amount_2024",
    "return_rate",
    "segment",
];
const LABEL: &str = "is_churned";
const SEED: u64 = 42;

/// The seed's experiment runs: (name, max_depth, learning_rate, n_estimators, scale_pos_weight).
const SEED_RUNS: [(&str, usize, f64, usize, f64); 3] = [
    ("baseline", 5, 0.1, 100, 2.0),
    ("deeper", 10, 0.1, 100, 2.0),
    ("balanced", 5, 0.1, 150, 3.0),
];

/// The seed's search space (SEED-GUIDE §Training).
const SEARCH_SPACE: [(&str, &str); 7] = [
    ("max_depth", "int(3, 9)"),
    ("learning_rate", "float(0.01, 0.3)"),
    ("n_estimators", "int(50, 299)"),
    ("min_child_weight", "int(1, 9)"),
    ("subsample", "float(0.6, 1.0)"),
    ("colsample_bytree", "float(0.6, 1.0)"),
    ("scale_pos_weight", "float(1, 4)"),
];

/// Rows per call of the batch predictor: DataFusion's default batch size, what a
/// SQL scoring function is handed.
const BATCH_ROWS: usize = 8192;

#[derive(Debug, Parser)]
#[command(about = "Firn's side of the peer benchmark against Python XGBoost")]
struct Args {
    /// Training, scoring and SHAP threads (default: all cores).
    #[arg(long, global = true)]
    threads: Option<usize>,
    /// Firn's training backend: firn or forust.
    #[arg(long, global = true, default_value = "firn")]
    trainer: String,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// The seed's three experiment runs on the 80/20 split.
    Seed {
        /// Directory of the seed CSVs.
        #[arg(long, default_value = "../shared/seed-data")]
        data: PathBuf,
        /// Where train.csv and test.csv go.
        #[arg(long)]
        out: PathBuf,
    },
    /// The seed's random search, 5 candidates × 3-fold CV by F1.
    Search {
        /// Directory of the seed CSVs.
        #[arg(long, default_value = "../shared/seed-data")]
        data: PathBuf,
        /// Where dataset.csv and search.json go.
        #[arg(long)]
        out: PathBuf,
    },
    /// A synthetic rows × features problem: write it, then measure in a child process.
    Synthetic {
        /// Training rows (the test set has a quarter as many, i.e. 20 % of all rows).
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Features: 8, or more for the wide variant.
        #[arg(long, default_value_t = synthetic::FEATURES)]
        features: usize,
        /// Measure the fit and the test AUC only.
        #[arg(long)]
        fit_only: bool,
        /// Rows explained by TreeSHAP.
        #[arg(long, default_value_t = 20_000)]
        shap_rows: usize,
        /// Where the raw f64 files go.
        #[arg(long)]
        out: PathBuf,
    },
    /// The measuring half of `synthetic`, on files it wrote.
    #[command(hide = true)]
    SyntheticMeasure {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        shap_rows: usize,
        #[arg(long)]
        fit_only: bool,
    },
    /// `CREATE MODEL` end to end through SQL on the rows `synthetic` wrote to `dir`.
    CreateModel {
        /// A directory `synthetic` wrote.
        #[arg(long)]
        dir: PathBuf,
        /// Skip the step-by-step breakdown.
        #[arg(long)]
        no_breakdown: bool,
    },
}

fn main() -> Result<()> {
    // `cargo bench` appends `--bench`; it means nothing here.
    let args = Args::parse_from(std::env::args().filter(|a| a != "--bench"));
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1);
    let trainer = match args.trainer.as_str() {
        "firn" => TrainerKind::Firn,
        "forust" => TrainerKind::Forust,
        other => return Err(format!("unknown trainer '{other}': firn or forust").into()),
    };
    let report = match args.command {
        None => {
            eprintln!(
                "nothing to measure: give a subcommand (seed, search, synthetic); see benches/peer/run.sh"
            );
            return Ok(());
        }
        Some(Cmd::Seed { data, out }) => seed(&data, &out, threads, trainer)?,
        Some(Cmd::Search { data, out }) => seed_search(&data, &out, threads, trainer)?,
        Some(Cmd::Synthetic {
            rows,
            features,
            fit_only,
            shap_rows,
            out,
        }) => synthetic(
            &Problem { rows, features },
            shap_rows,
            fit_only,
            &out,
            threads,
            trainer,
        )?,
        Some(Cmd::SyntheticMeasure {
            dir,
            shap_rows,
            fit_only,
        }) => synthetic_measure(&dir, shap_rows, fit_only, threads, trainer)?,
        Some(Cmd::CreateModel { dir, no_breakdown }) => {
            create_model(&dir, !no_breakdown, threads, trainer)?
        }
    };
    println!("{report}");
    Ok(())
}

/// The seed's `training_dataset`, built by running Firn's SQL scripts on an
/// in-memory database, ordered by customer id.
fn seed_training_set(data_dir: &Path) -> Result<Dataset> {
    let data_dir = std::fs::canonicalize(data_dir)
        .map_err(|e| format!("seed data directory '{}': {e}", data_dir.display()))?;
    let sql_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let batches = runtime.block_on(async {
        let db = Database::in_memory().await?;
        let mut variables = Variables::new();
        variables.set("data_dir", data_dir.to_string_lossy());
        let session = db.session();
        for script in ["01_data_exploration.sql", "02_features.sql"] {
            for item in split_script(&std::fs::read_to_string(sql_dir.join(script))?) {
                if let ScriptItem::Sql { text, line } = item {
                    session.sql(&variables.substitute(&text, line)?).await?;
                }
            }
        }
        let batches = db
            .sql("SELECT * FROM training_dataset ORDER BY customer_id")
            .await?;
        Ok::<_, Box<dyn Error>>(batches)
    })?;
    let features: Vec<String> = SEED_FEATURES.iter().map(|s| s.to_string()).collect();
    Ok(Dataset::for_training(
        &batches,
        LABEL,
        Some(&features),
        Objective::BinaryLogistic,
    )?)
}

/// Writes `data` as CSV: the feature names and the label as header, codes as numbers.
fn write_csv(path: &Path, data: &Dataset) -> Result<()> {
    let mut out =
        BufWriter::new(File::create(path).map_err(|e| format!("{}: {e}", path.display()))?);
    let names: Vec<&str> = data.features.iter().map(|f| f.name.as_str()).collect();
    writeln!(out, "{},{LABEL}", names.join(","))?;
    for row in 0..data.rows() {
        for column in &data.columns {
            write!(out, "{},", column[row])?;
        }
        writeln!(out, "{}", data.labels[row])?;
    }
    out.flush()?;
    Ok(())
}

fn metric(metrics: &[(&str, f64)], name: &str) -> f64 {
    metrics
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(f64::NAN, |(_, v)| *v)
}

fn seed(data_dir: &Path, out: &Path, threads: usize, trainer: TrainerKind) -> Result<Value> {
    let data = seed_training_set(data_dir)?;
    let (train_rows, test_rows) = train_test_split(&data.labels, 0.2, SEED, true)?;
    let (train, test) = (data.subset(&train_rows), data.subset(&test_rows));
    std::fs::create_dir_all(out)?;
    write_csv(&out.join("train.csv"), &train)?;
    write_csv(&out.join("test.csv"), &test)?;
    let mut runs = Vec::new();
    for (name, max_depth, learning_rate, n_estimators, scale_pos_weight) in SEED_RUNS {
        let params = GbdtParams {
            max_depth,
            learning_rate,
            n_estimators,
            scale_pos_weight,
            seed: SEED,
            threads,
            trainer,
            ..GbdtParams::default()
        };
        let started = Instant::now();
        let model = trainer_for(&params).fit(&train, &params)?;
        let fit_seconds = started.elapsed().as_secs_f64();
        let probabilities = predict(&CompactForest::new(&model), params.objective, &test);
        let metrics = evaluate(params.objective, &probabilities, &test.labels, 0.5)?;
        runs.push(json!({
            "name": name,
            "max_depth": max_depth,
            "learning_rate": learning_rate,
            "n_estimators": n_estimators,
            "scale_pos_weight": scale_pos_weight,
            "auc": metric(&metrics, "roc_auc"),
            "f1": metric(&metrics, "f1"),
            "accuracy": metric(&metrics, "accuracy"),
            "precision": metric(&metrics, "precision"),
            "recall": metric(&metrics, "recall"),
            "fit_seconds": fit_seconds,
        }));
    }
    let coding = data.features.iter().find_map(|f| match &f.kind {
        FeatureKind::Categorical { categories } => Some(json!({ f.name.clone(): categories })),
        FeatureKind::Numeric => None,
    });
    Ok(json!({
        "side": "firn",
        "command": "seed",
        "trainer": trainer.name(),
        "threads": threads,
        "train_rows": train.rows(),
        "test_rows": test.rows(),
        "test_positives": test.labels.iter().filter(|y| **y == 1.0).count(),
        "categorical_coding": coding,
        "runs": runs,
    }))
}

fn seed_search(data_dir: &Path, out: &Path, threads: usize, trainer: TrainerKind) -> Result<Value> {
    let data = seed_training_set(data_dir)?;
    let mut space = SearchSpace::default();
    for (name, range) in SEARCH_SPACE {
        space.add(name, range)?;
    }
    let config = SearchConfig {
        strategy: Strategy::Random { n_iter: 5 },
        folds: 3,
        metric: Metric::F1,
        seed: SEED,
        threshold: 0.5,
    };
    let base = GbdtParams {
        seed: SEED,
        threads,
        trainer,
        ..GbdtParams::default()
    };
    let started = Instant::now();
    let result = search(trainer_for(&base), &data, &base, &space, &config)?;
    let wall_seconds = started.elapsed().as_secs_f64();

    // What the peer needs to fit the same 15 models: the rows, the folds the search
    // used (cross_validate stratifies with the search's seed) and each candidate.
    std::fs::create_dir_all(out)?;
    write_csv(&out.join("dataset.csv"), &data)?;
    let folds = k_folds(&data.labels, config.folds, config.seed, true)?;
    let candidates: Vec<Value> = result
        .candidates
        .iter()
        .map(|c| {
            let params: serde_json::Map<String, Value> = c
                .params
                .to_pairs()
                .into_iter()
                .map(|(n, v)| (n.to_string(), Value::String(v)))
                .collect();
            json!({ "params": params, "fold_f1": c.cv.fold_scores, "mean_f1": c.cv.mean })
        })
        .collect();
    let plan = json!({ "folds": folds, "candidates": candidates });
    std::fs::write(
        out.join("search.json"),
        serde_json::to_string_pretty(&plan)?,
    )?;
    Ok(json!({
        "side": "firn",
        "command": "search",
        "trainer": trainer.name(),
        "threads": threads,
        "rows": data.rows(),
        "candidates": result.candidates.len(),
        "folds": config.folds,
        "wall_seconds": wall_seconds,
        "fit_seconds": result.candidates.iter().map(|c| c.cv.fit_seconds).sum::<f64>(),
        "best_mean_f1": result.best().cv.mean,
        "mean_f1": result.candidates.iter().map(|c| c.cv.mean).collect::<Vec<_>>(),
    }))
}

/// Writes `columns` row-major as little-endian f64 (numpy: `fromfile(..).reshape(-1, k)`).
fn write_matrix(path: &Path, columns: &[Vec<f64>]) -> Result<()> {
    let mut out =
        BufWriter::new(File::create(path).map_err(|e| format!("{}: {e}", path.display()))?);
    let rows = columns.first().map_or(0, Vec::len);
    for row in 0..rows {
        for column in columns {
            out.write_all(&column[row].to_le_bytes())?;
        }
    }
    out.flush()?;
    Ok(())
}

fn read_f64s(path: &Path) -> Result<Vec<f64>> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() % 8 != 0 {
        return Err(format!(
            "{}: {} bytes is not a whole number of f64",
            path.display(),
            bytes.len()
        )
        .into());
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        .collect())
}

/// The synthetic problem's size.
#[derive(Debug, Clone, PartialEq)]
struct Problem {
    rows: usize,
    features: usize,
}

impl Problem {
    /// The problem `synthetic` wrote to `dir` (its `meta.json`).
    fn read(dir: &Path) -> Result<Self> {
        let meta: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json"))?)?;
        let get = |key: &str| {
            meta.get(key)
                .and_then(Value::as_u64)
                .map(|v| v as usize)
                .ok_or_else(|| format!("meta.json has no {key}"))
        };
        Ok(Self {
            rows: get("rows")?,
            features: get("features")?,
        })
    }
}

/// Reads the files `write_matrix` wrote back into a dataset.
fn read_dataset(dir: &Path, part: &str) -> Result<Dataset> {
    let matrix = read_f64s(&dir.join(format!("x_{part}.f64")))?;
    let labels = read_f64s(&dir.join(format!("y_{part}.f64")))?;
    let k = Problem::read(dir)?.features;
    if matrix.len() != labels.len() * k {
        return Err(format!(
            "x_{part}.f64 holds {} values; expected {} rows × {k}",
            matrix.len(),
            labels.len()
        )
        .into());
    }
    let columns = (0..k)
        .map(|j| matrix.iter().skip(j).step_by(k).copied().collect())
        .collect();
    Ok(synthetic::from_columns(columns, labels))
}

fn synthetic(
    problem: &Problem,
    shap_rows: usize,
    fit_only: bool,
    out: &Path,
    threads: usize,
    trainer: TrainerKind,
) -> Result<Value> {
    std::fs::create_dir_all(out)?;
    if Problem::read(out).ok().as_ref() != Some(problem) {
        let _ = std::fs::remove_file(out.join("meta.json"));
        let _ = std::fs::remove_file(out.join("table.parquet"));
        let rows = problem.rows;
        for (part, n, stream) in [("train", rows, 1), ("test", rows / 4, 2)] {
            let data = synthetic::dataset_wide(n, stream, problem.features);
            write_matrix(&out.join(format!("x_{part}.f64")), &data.columns)?;
            write_matrix(
                &out.join(format!("y_{part}.f64")),
                std::slice::from_ref(&data.labels),
            )?;
        }
        let meta = json!({ "rows": rows, "test_rows": rows / 4, "features": problem.features });
        std::fs::write(out.join("meta.json"), meta.to_string())?;
    }
    let exe = std::env::current_exe()?;
    let mut command = Command::new(exe);
    command.args([
        "--threads",
        &threads.to_string(),
        "--trainer",
        trainer.name(),
        "synthetic-measure",
        "--shap-rows",
        &shap_rows.to_string(),
    ]);
    if fit_only {
        command.arg("--fit-only");
    }
    let output = command
        .arg("--dir")
        .arg(out)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "the measuring process failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Probabilities of every row: `threads` threads each score a contiguous share of
/// the rows, `BATCH_ROWS` at a time, with Firn's batch predictor.
fn predict_parallel(
    forest: &CompactForest,
    objective: Objective,
    columns: &[&[f64]],
    threads: usize,
) -> Vec<f64> {
    let rows = columns.first().map_or(0, |c| c.len());
    let mut out = vec![0.0; rows];
    let share = rows.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for (i, block) in out.chunks_mut(share).enumerate() {
            let start = i * share;
            scope.spawn(move || {
                for (j, batch) in block.chunks_mut(BATCH_ROWS).enumerate() {
                    let from = start + j * BATCH_ROWS;
                    let slices: Vec<&[f64]> = columns
                        .iter()
                        .map(|c| &c[from..from + batch.len()])
                        .collect();
                    forest.predict_margin_into(&slices, batch);
                    for value in batch.iter_mut() {
                        *value = objective.transform(*value);
                    }
                }
            });
        }
    });
    out
}

/// Peak resident set size of this process in MiB (`VmHWM`).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The synthetic benchmark's model: 100 trees of depth 6, learning rate 0.3.
fn synthetic_params(threads: usize, trainer: TrainerKind) -> GbdtParams {
    GbdtParams {
        n_estimators: 100,
        max_depth: 6,
        learning_rate: 0.3,
        seed: SEED,
        threads,
        trainer,
        ..GbdtParams::default()
    }
}

fn synthetic_measure(
    dir: &Path,
    shap_rows: usize,
    fit_only: bool,
    threads: usize,
    trainer: TrainerKind,
) -> Result<Value> {
    let train = read_dataset(dir, "train")?;
    let test = read_dataset(dir, "test")?;
    let params = synthetic_params(threads, trainer);
    let started = Instant::now();
    let model = trainer_for(&params).fit(&train, &params)?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let features = train.columns.len();
    if fit_only {
        let forest = CompactForest::new(&model);
        let test_probabilities =
            predict_parallel(&forest, params.objective, &test.column_slices(), threads);
        return Ok(json!({
            "side": "firn",
            "command": "synthetic",
            "trainer": trainer.name(),
            "threads": threads,
            "rows": train.rows(),
            "test_rows": test.rows(),
            "features": features,
            "trees": model.num_trees(),
            "nodes": model.nodes().len(),
            "fit_seconds": fit_seconds,
            "auc": roc_auc(&test_probabilities, &test.labels)?,
            "peak_rss_mib": peak_rss_mib(),
        }));
    }

    let started = Instant::now();
    let forest = CompactForest::new(&model);
    let probabilities =
        predict_parallel(&forest, params.objective, &train.column_slices(), threads);
    let predict_seconds = started.elapsed().as_secs_f64();
    let train_auc = roc_auc(&probabilities, &train.labels)?;

    let shap_rows = shap_rows.clamp(1, train.rows().max(1));
    let explained: Vec<&[f64]> = train.columns.iter().map(|c| &c[..shap_rows]).collect();
    let started = Instant::now();
    let contributions = shap_values(&model, &explained);
    let shap_seconds = started.elapsed().as_secs_f64();
    // Sanity: the first row's contributions add up to its margin.
    let margin: f64 = contributions[..=features].iter().sum();
    let expected = forest.predict_margin(&explained.iter().map(|c| &c[..1]).collect::<Vec<_>>())[0];

    let test_probabilities =
        predict_parallel(&forest, params.objective, &test.column_slices(), threads);
    let auc = roc_auc(&test_probabilities, &test.labels)?;
    Ok(json!({
        "side": "firn",
        "command": "synthetic",
        "trainer": trainer.name(),
        "threads": threads,
        "rows": train.rows(),
        "test_rows": test.rows(),
        "features": features,
        "trees": model.num_trees(),
        "nodes": model.nodes().len(),
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        "predict_rows_per_second": train.rows() as f64 / predict_seconds,
        "shap_rows": shap_rows,
        "shap_seconds": shap_seconds,
        "shap_additivity_error": (margin - expected).abs(),
        "auc": auc,
        "train_auc": train_auc,
        "peak_rss_mib": peak_rss_mib(),
    }))
}

/// Writes the training and test rows of `dir` as one Parquet table: columns
/// `x0` … (Float64, NULL where missing) and the label `y` (Int64).
fn write_table(dir: &Path, path: &Path) -> Result<()> {
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::parquet::arrow::ArrowWriter;

    let parts = [read_dataset(dir, "train")?, read_dataset(dir, "test")?];
    let k = parts[0].columns.len();
    let mut fields: Vec<Field> = (0..k)
        .map(|j| Field::new(format!("x{j}"), DataType::Float64, true))
        .collect();
    fields.push(Field::new("y", DataType::Int64, false));
    let schema = Arc::new(Schema::new(fields));
    let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut writer = ArrowWriter::try_new(file, Arc::clone(&schema), None)?;
    for data in &parts {
        for start in (0..data.rows()).step_by(65_536) {
            let end = (start + 65_536).min(data.rows());
            let mut columns: Vec<ArrayRef> = data
                .columns
                .iter()
                .map(|c| {
                    Arc::new(Float64Array::from_iter(
                        c[start..end].iter().map(|v| (!v.is_nan()).then_some(*v)),
                    )) as ArrayRef
                })
                .collect();
            columns.push(Arc::new(Int64Array::from_iter_values(
                data.labels[start..end].iter().map(|y| *y as i64),
            )));
            writer.write(&RecordBatch::try_new(Arc::clone(&schema), columns)?)?;
        }
    }
    writer.close()?;
    Ok(())
}

/// Seconds since `started`, restarting it.
fn lap(started: &mut Instant) -> f64 {
    let seconds = started.elapsed().as_secs_f64();
    *started = Instant::now();
    seconds
}

fn create_model(
    dir: &Path,
    breakdown: bool,
    threads: usize,
    trainer: TrainerKind,
) -> Result<Value> {
    let problem = Problem::read(dir)?;
    let table = dir.join("table.parquet");
    if !table.exists() {
        write_table(dir, &table)?;
    }
    let table = std::fs::canonicalize(&table)?;
    let home = tempfile::tempdir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let db = Database::open(home.path().to_string_lossy()).await?;
        db.sql(&format!(
            "SET datafusion.execution.target_partitions = {threads}"
        ))
        .await?;
        db.sql(&format!(
            "CREATE EXTERNAL TABLE synth STORED AS PARQUET LOCATION '{}'",
            table.display()
        ))
        .await?;
        let sql = format!(
            "CREATE MODEL synth_model OPTIONS (type 'gbdt_classifier', label 'y', \
             n_estimators 100, max_depth 6, learning_rate 0.3, seed {SEED}, threads {threads}, \
             trainer '{}') AS SELECT * FROM synth",
            trainer.name()
        );
        let started = Instant::now();
        let output = db.sql(&sql).await?;
        let statement_seconds = started.elapsed().as_secs_f64();
        let column = |name: &str| -> Option<f64> {
            let batch = output.first()?;
            let array = batch.column_by_name(name)?;
            let cast = datafusion::arrow::compute::cast(
                array,
                &datafusion::arrow::datatypes::DataType::Float64,
            )
            .ok()?;
            cast.as_any()
                .downcast_ref::<datafusion::arrow::array::Float64Array>()
                .map(|a| a.value(0))
        };
        let mut report = json!({
            "side": "firn",
            "command": "create_model",
            "trainer": trainer.name(),
            "threads": threads,
            "rows": problem.rows + problem.rows / 4,
            "features": problem.features,
            "rows_train": column("rows_train"),
            "statement_seconds": statement_seconds,
            "auc": column("roc_auc"),
        });
        if breakdown {
            // The statement's steps one by one (src/session/training.rs's order).
            let mut clock = Instant::now();
            let batches = db.sql("SELECT * FROM synth").await?;
            let scan = lap(&mut clock);
            let schema = batches.first().map(|b| b.schema()).ok_or("no rows")?;
            let rows = canonical_rows(&schema, &batches)?;
            let canonical = lap(&mut clock);
            let data = Dataset::for_training(
                std::slice::from_ref(&rows),
                "y",
                None,
                Objective::BinaryLogistic,
            )?;
            let dataset = lap(&mut clock);
            let print = fingerprint(&schema, &data);
            let fingerprinting = lap(&mut clock);
            let (train_rows, test_rows) = train_test_split(&data.labels, 0.2, SEED, true)?;
            let (train, test) = (data.subset(&train_rows), data.subset(&test_rows));
            let split = lap(&mut clock);
            let params = synthetic_params(threads, trainer);
            let model = trainer_for(&params).fit(&train, &params)?;
            let fit = lap(&mut clock);
            let probabilities = predict(&CompactForest::new(&model), params.objective, &test);
            let metrics = evaluate(params.objective, &probabilities, &test.labels, 0.5)?;
            let held_out = lap(&mut clock);
            let steps = scan + canonical + dataset + fingerprinting + split + fit + held_out;
            report["breakdown"] = json!({
                "scan": scan,
                "canonical_rows": canonical,
                "dataset": dataset,
                "fingerprint": fingerprinting,
                "split": split,
                "fit": fit,
                "held_out_metrics": held_out,
                "rest_of_statement": statement_seconds - steps,
                "fingerprint_value": print,
                "auc": metric(&metrics, "roc_auc"),
            });
        }
        Ok::<_, Box<dyn Error>>(report)
    })
}
