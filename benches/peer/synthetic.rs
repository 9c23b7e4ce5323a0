//! The synthetic binary problem both ML benchmarks train on: 8 features, a
//! nonlinear margin with an interaction, a threshold step and noise, and 2 %
//! missing values in one feature. Deterministic for a seed, independent of
//! Firn's own generator (which is private to the library). [`dataset_wide`]
//! adds more features (normal, uniform, small integer codes, log-normal; every
//! third one weakly informative, every tenth with 2 % missing values) for the
//! wide 1M × 50 benchmark.
//!
//! Every value is rounded to `f32` before it is stored: XGBoost reads its input
//! as `f32`, so rounding here gives both libraries exactly the same numbers.

use firnml::ml::Dataset;
use firnml_udfs::model::FeatureSpec;

/// Number of features.
pub const FEATURES: usize = 8;

/// SplitMix64: small, fast and good enough for benchmark data.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller, one value per call).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.uniform();
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn f32_exact(v: f64) -> f64 {
    f64::from(v as f32)
}

/// `rows` rows of the problem from generator stream `seed`: one column per
/// feature (NaN = missing) and 0/1 labels, about 40 % positive.
pub fn dataset(rows: usize, seed: u64) -> Dataset {
    let mut rng = SplitMix(seed.wrapping_mul(0xA076_1D64_78BD_642F) ^ 0x5EED);
    let mut columns: Vec<Vec<f64>> = (0..FEATURES).map(|_| Vec::with_capacity(rows)).collect();
    let mut labels = Vec::with_capacity(rows);
    let mut row = [0.0; FEATURES];
    for _ in 0..rows {
        row[0] = rng.normal();
        row[1] = rng.normal();
        row[2] = rng.normal();
        row[3] = 2.0 * rng.uniform() - 1.0;
        row[4] = rng.uniform();
        row[5] = (rng.uniform() * 10.0).floor();
        row[6] = (0.8 * rng.normal()).exp();
        row[7] = rng.normal();
        for v in &mut row {
            *v = f32_exact(*v);
        }
        let missing = rng.uniform() < 0.02;
        let margin = 1.2 * row[0] - 0.8 * row[1] + 0.7 * row[0] * row[2] + (3.0 * row[3]).sin()
            - 0.15 * row[5]
            + 0.6 * (1.0 + row[6]).ln()
            + if row[4] > 0.7 { 1.5 } else { 0.0 }
            + if missing { 0.5 } else { 0.5 * row[7] }
            + rng.normal();
        if missing {
            row[7] = f64::NAN;
        }
        labels.push(f64::from(margin > 0.0));
        for (column, v) in columns.iter_mut().zip(row) {
            column.push(v);
        }
    }
    from_columns(columns, labels)
}

/// `rows` rows of the problem with `features` (≥ 8) features from generator
/// stream `seed`; 8 features give exactly [`dataset`].
pub fn dataset_wide(rows: usize, seed: u64, features: usize) -> Dataset {
    if features <= FEATURES {
        return dataset(rows, seed);
    }
    let mut rng = SplitMix(seed.wrapping_mul(0xE703_7ED1_A0B4_28DB) ^ 0x51DE);
    let mut columns: Vec<Vec<f64>> = (0..features).map(|_| Vec::with_capacity(rows)).collect();
    let mut labels = Vec::with_capacity(rows);
    let mut row = vec![0.0; features];
    for _ in 0..rows {
        row[0] = rng.normal();
        row[1] = rng.normal();
        row[2] = rng.normal();
        row[3] = 2.0 * rng.uniform() - 1.0;
        row[4] = rng.uniform();
        row[5] = (rng.uniform() * 10.0).floor();
        row[6] = (0.8 * rng.normal()).exp();
        row[7] = rng.normal();
        for (j, v) in row.iter_mut().enumerate().skip(FEATURES) {
            *v = match j % 4 {
                0 => rng.normal(),
                1 => rng.uniform(),
                2 => (rng.uniform() * 20.0).floor(),
                _ => (0.5 * rng.normal()).exp(),
            };
        }
        for v in &mut row {
            *v = f32_exact(*v);
        }
        let missing = rng.uniform() < 0.02;
        let mut margin = 1.2 * row[0] - 0.8 * row[1] + 0.7 * row[0] * row[2] + (3.0 * row[3]).sin()
            - 0.15 * row[5]
            + 0.6 * (1.0 + row[6]).ln()
            + if row[4] > 0.7 { 1.5 } else { 0.0 }
            + if missing { 0.5 } else { 0.5 * row[7] }
            + rng.normal();
        for j in (FEATURES..features).filter(|j| j % 3 == 0) {
            let x = row[j];
            margin += match j % 4 {
                0 => 0.15 * x,
                1 => {
                    if x > 0.5 {
                        0.2
                    } else {
                        -0.2
                    }
                }
                2 => 0.02 * (x - 10.0),
                _ => 0.3 * x.ln(),
            };
        }
        if missing {
            row[7] = f64::NAN;
        }
        for j in (FEATURES..features).filter(|j| j % 10 == 9) {
            if rng.uniform() < 0.02 {
                row[j] = f64::NAN;
            }
        }
        labels.push(f64::from(margin > 0.0));
        for (column, v) in columns.iter_mut().zip(&row) {
            column.push(*v);
        }
    }
    from_columns(columns, labels)
}

/// A dataset of this problem's features (`x0` … `x{k-1}`) from its columns and labels.
pub fn from_columns(columns: Vec<Vec<f64>>, labels: Vec<f64>) -> Dataset {
    Dataset {
        features: (0..columns.len())
            .map(|i| FeatureSpec::numeric(format!("x{i}")))
            .collect(),
        columns,
        labels,
    }
}
