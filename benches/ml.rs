//! Criterion benches of Firn's tree training, batch prediction and TreeSHAP on
//! the peer benchmark's synthetic problem (`benches/peer/synthetic.rs`). Not run
//! by CI (clippy compiles them); the whole set takes a few minutes on 2 cores:
//!
//! ```text
//! cargo bench --profile bench-ml --bench ml
//! cargo bench --profile bench-ml --bench ml -- predict     # one group
//! cargo bench --profile bench-ml --bench ml -- train_100_trees_depth_6/firn   # Firn's trainer only
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

#[path = "peer/synthetic.rs"]
mod synthetic;

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use firnml::ml::forust::ForustTrainer;
use firnml::ml::gbdt::FirnTrainer;
use firnml::ml::{GbdtParams, Trainer};
use firnml_udfs::model::{CompactForest, ShapForest};

/// The peer benchmark's model: 100 trees of depth 6, learning rate 0.3, all cores.
fn params() -> GbdtParams {
    GbdtParams {
        n_estimators: 100,
        max_depth: 6,
        learning_rate: 0.3,
        seed: 42,
        ..GbdtParams::default()
    }
}

fn training(c: &mut Criterion) {
    let mut group = c.benchmark_group("train_100_trees_depth_6");
    // Flat sampling: every sample runs the same number of fits, so 10 samples of a
    // multi-second fit take about ten fits' time.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1));
    let trainers: [(&str, &dyn Trainer); 2] = [("firn", &FirnTrainer), ("forust", &ForustTrainer)];
    for (rows, features, seconds) in [
        (10_000, 8, 3),
        (100_000, 8, 10),
        (100_000, 50, 20),
        (1_000_000, 8, 60),
    ] {
        let data = synthetic::dataset_wide(rows, 1, features);
        group.measurement_time(Duration::from_secs(seconds));
        group.throughput(Throughput::Elements(rows as u64));
        for (name, trainer) in trainers {
            group.bench_with_input(
                BenchmarkId::new(name, format!("{rows}x{features}")),
                &data,
                |b, data| b.iter(|| trainer.fit(data, &params()).expect("synthetic data trains")),
            );
        }
    }
    group.finish();
}

/// Rows scored per iteration of the prediction benches, whatever the batch size.
const SCORED_ROWS: usize = 65_536;

fn prediction(c: &mut Criterion) {
    let model = ForustTrainer
        .fit(&synthetic::dataset(100_000, 1), &params())
        .expect("synthetic data trains");
    let forest = CompactForest::new(&model);
    let data = synthetic::dataset(SCORED_ROWS, 2);
    let mut group = c.benchmark_group("predict_65536_rows_by_batch_size");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(SCORED_ROWS as u64));
    for batch in [1, 64, 1024, 65_536] {
        group.bench_with_input(BenchmarkId::from_parameter(batch), &batch, |b, &batch| {
            let mut out = vec![0.0; SCORED_ROWS];
            let mut slices: Vec<&[f64]> = Vec::with_capacity(data.columns.len());
            b.iter(|| {
                for (i, margins) in out.chunks_mut(batch).enumerate() {
                    let from = i * batch;
                    slices.clear();
                    slices.extend(data.columns.iter().map(|c| &c[from..from + margins.len()]));
                    forest.predict_margin_into(&slices, margins);
                }
                black_box(&out);
            })
        });
    }
    group.finish();
}

fn shap(c: &mut Criterion) {
    let model = ForustTrainer
        .fit(&synthetic::dataset(100_000, 1), &params())
        .expect("synthetic data trains");
    let shap = ShapForest::new(&model);
    let data = synthetic::dataset(2_000, 2);
    let mut group = c.benchmark_group("treeshap_2000_rows");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(data.rows() as u64));
    group.bench_function("shap_values", |b| {
        b.iter(|| black_box(shap.shap_values(&data.column_slices())))
    });
    group.finish();
}

criterion_group!(benches, training, prediction, shap);
criterion_main!(benches);
