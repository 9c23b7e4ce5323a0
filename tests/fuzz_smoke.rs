//! The fuzz targets (`firnml::fuzz`, also built by cargo-fuzz in `fuzz/`) run on
//! stable: seeds made by Firn itself (SQL from the test scripts, a model file,
//! a manifest, a pointer entry, an XGBoost JSON export, a table commit, and
//! the inputs cargo-fuzz found, in `tests/data/fuzz/<target>/`), then
//! random mutations of them (flips, insertions, deletions, splices) for a bounded
//! time per target. Any panic fails the test. `FIRN_FUZZ_SECONDS` sets the time
//! per target (default 3), `FIRN_FUZZ_SEED` replays a run, and
//! `FIRN_FUZZ_WRITE_CORPUS=DIR` writes the seeds as cargo-fuzz corpora.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use firnml::Database;
use firnml::registry::ModelRef;

#[path = "support/seeded.rs"]
mod seeded;
use seeded::{Xorshift, env_number, seed_from_env};

/// Seeds per target, made by Firn.
async fn seeds() -> BTreeMap<&'static str, Vec<Vec<u8>>> {
    let mut seeds: BTreeMap<&'static str, Vec<Vec<u8>>> = BTreeMap::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sql = Vec::new();
    for dir in ["tests/slt", "sql"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            // Each block of statement text (sqllogictest directives dropped).
            for block in text.split("\n\n") {
                let statement: Vec<&str> = block
                    .lines()
                    .take_while(|l| !l.starts_with("----"))
                    .filter(|l| {
                        !(l.starts_with("statement")
                            || l.starts_with("query")
                            || l.starts_with('#'))
                    })
                    .collect();
                if !statement.is_empty() {
                    sql.push(statement.join("\n").into_bytes());
                }
            }
        }
    }
    seeds.insert("sql", sql);

    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::open(dir.path().join("db").to_string_lossy())
        .await
        .expect("db");
    db.sql(
        "CREATE TABLE t AS SELECT value AS id, CAST(value % 7 AS DOUBLE) AS x, \
         CASE WHEN value % 7 > 3 THEN 'a' ELSE 'b' END AS c, \
         CASE WHEN value % 7 >= 3 THEN 1 ELSE 0 END AS y FROM generate_series(1, 200); \
         CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id', n_estimators 3) \
         AS SELECT * FROM t",
    )
    .await
    .expect("model");
    let (manifest, model) = db
        .registry()
        .load(&ModelRef::parse("m").expect("ref"))
        .await
        .expect("load");
    seeds.insert(
        "model_file",
        vec![
            firnml::ml::model_file::to_parquet(&model)
                .expect("parquet")
                .to_vec(),
        ],
    );
    seeds.insert(
        "manifest",
        vec![serde_json::to_vec_pretty(&manifest).expect("json")],
    );
    let history = db.registry().history("m").await.expect("history");
    seeds.insert(
        "pointer_entry",
        history
            .iter()
            .map(|e| serde_json::to_vec_pretty(e).expect("json"))
            .collect(),
    );
    seeds.insert(
        "xgboost_json",
        vec![
            firnml::ml::xgboost_json::export(&model)
                .expect("export")
                .into_bytes(),
        ],
    );
    let commit = dir
        .path()
        .join("db/tables/t/_log/00000000000000000000.json");
    seeds.insert("table_commit", vec![std::fs::read(commit).expect("commit")]);
    // What cargo-fuzz found, kept as seeds so every run replays them
    // (tests/data/fuzz/<target>/; their exact errors are asserted beside the readers).
    for (target, inputs) in seeds.iter_mut() {
        let Ok(entries) = std::fs::read_dir(root.join("tests/data/fuzz").join(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            inputs.push(std::fs::read(entry.path()).expect("found input"));
        }
    }
    seeds
}

/// `seed` with a few random edits; `other` gives splices.
fn mutate(rng: &mut Xorshift, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..=rng.below(8) {
        match rng.below(5) {
            0 if !data.is_empty() => {
                let at = rng.below(data.len());
                data[at] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => {
                let at = rng.below(data.len());
                data[at] = [0, 0xFF, 0x7F, 0x80, b'"', b'{', b'9'][rng.below(7)];
            }
            2 => {
                let at = rng.below(data.len() + 1);
                data.insert(at, rng.next() as u8);
            }
            3 if !data.is_empty() => {
                let at = rng.below(data.len());
                let len = rng.below(16).min(data.len() - at);
                data.drain(at..at + len);
            }
            _ if !other.is_empty() => {
                let from = rng.below(other.len());
                let len = rng.below(64).min(other.len() - from);
                let at = rng.below(data.len() + 1);
                data.splice(at..at, other[from..from + len].iter().copied());
            }
            _ => {}
        }
    }
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_input_makes_a_reader_panic() {
    let seconds: u64 = env_number("FIRN_FUZZ_SECONDS", 3);
    let seed = seed_from_env("FIRN_FUZZ_SEED");
    let seeds = seeds().await;
    if let Ok(dir) = std::env::var("FIRN_FUZZ_WRITE_CORPUS") {
        for (target, inputs) in &seeds {
            let corpus = Path::new(&dir).join(target);
            std::fs::create_dir_all(&corpus).expect("corpus dir");
            for (i, input) in inputs.iter().enumerate() {
                std::fs::write(corpus.join(format!("seed-{i}")), input).expect("seed");
            }
        }
    }
    eprintln!("fuzz smoke: {seconds} s per target, FIRN_FUZZ_SEED={seed}");
    let mut rng = Xorshift(seed);
    for (name, target) in firnml::fuzz::TARGETS {
        let inputs = seeds.get(name).expect("seeds for every target");
        assert!(!inputs.is_empty(), "no seeds for {name}");
        for input in inputs {
            target(input);
        }
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut runs = 0u64;
        while Instant::now() < deadline {
            let seed = &inputs[rng.below(inputs.len())];
            let other = &inputs[rng.below(inputs.len())];
            let input = mutate(&mut rng, seed, other);
            let result = std::panic::catch_unwind(|| target(&input));
            if result.is_err() {
                let path = std::env::temp_dir().join(format!("firn-fuzz-{name}-crash"));
                let _ = std::fs::write(&path, &input);
                panic!("{name} panicked on an input saved to {}", path.display());
            }
            runs += 1;
        }
        eprintln!("{name}: {runs} mutated inputs, 0 panics");
    }
}
