//! Firn's TreeSHAP checked against forust's own exact TreeSHAP
//! (`ContributionsMethod::Shapley`) on models forust trained, with missing values.

use firnml_udfs::model::{
    CompactForest, FeatureSpec, Objective, TreeEnsemble, expected_value, mean_abs_shap, shap_values,
};
use forust_ml::data::Matrix;
use forust_ml::gradientbooster::{ContributionsMethod, GradientBooster};

use crate::ml::dataset::Dataset;
use crate::ml::forust::{booster, to_ensemble};
use crate::ml::params::GbdtParams;
use crate::ml::rng::Rng;

/// Five features: two strong with missing values, an integer one, an interaction
/// partner, and pure noise. Labels are 0/1 for logistic, the margin for regression.
fn dataset(rows: usize, seed: u64, objective: Objective) -> Dataset {
    let mut rng = Rng::new(seed);
    let mut columns: Vec<Vec<f64>> = (0..5).map(|_| Vec::with_capacity(rows)).collect();
    let mut labels = Vec::with_capacity(rows);
    for _ in 0..rows {
        let (a, b, c, d, e) = (
            rng.normal(),
            rng.normal(),
            rng.below(4) as f64,
            rng.normal(),
            rng.normal(),
        );
        let a_missing = rng.chance(0.1);
        let b_missing = rng.chance(0.05);
        // A missing `a` carries signal of its own, so the trees route it deliberately.
        let a_effect = if a_missing { 0.8 } else { 1.5 * a };
        let margin = a_effect - b
            + 0.4 * c
            + if d > 0.0 && c >= 2.0 { 1.0 } else { -0.3 }
            + 0.5 * rng.normal();
        labels.push(match objective {
            Objective::BinaryLogistic => f64::from(margin > 0.2),
            Objective::SquaredError => margin,
        });
        columns[0].push(if a_missing { f64::NAN } else { a });
        columns[1].push(if b_missing { f64::NAN } else { b });
        columns[2].push(c);
        columns[3].push(d);
        columns[4].push(e);
    }
    Dataset {
        features: ["a", "b", "c", "d", "noise"]
            .into_iter()
            .map(FeatureSpec::numeric)
            .collect(),
        columns,
        labels,
    }
}

/// Trains forust directly (keeping the booster as the oracle) and converts its trees.
fn fit(data: &Dataset, params: &GbdtParams) -> (GradientBooster, TreeEnsemble) {
    let flat = data.column_major();
    let matrix = Matrix::new(&flat, data.rows(), data.columns.len());
    let mut reference = booster(params).expect("booster");
    reference
        .fit(&matrix, &data.labels, &vec![1.0; data.rows()], None)
        .expect("forust trains");
    let model = to_ensemble(&reference, params.objective, data).expect("converts");
    (reference, model)
}

fn check(objective: Objective, params: GbdtParams, seed: u64) {
    let data = dataset(2_000, seed, objective);
    let (reference, model) = fit(&data, &params);
    let width = data.columns.len() + 1;
    let flat = data.column_major();
    let matrix = Matrix::new(&flat, data.rows(), data.columns.len());
    let oracle = reference.predict_contributions(&matrix, ContributionsMethod::Shapley, false);
    let columns = data.column_slices();
    let shap = shap_values(&model, &columns);
    assert_eq!(shap.len(), oracle.len());
    assert_eq!(shap.len(), data.rows() * width);

    // forust walks the path in f32 (its covers and leaf weights are f32 too); Firn in f64.
    let mut worst = 0.0f64;
    for (row, (got, want)) in shap
        .chunks_exact(width)
        .zip(oracle.chunks_exact(width))
        .enumerate()
    {
        for (feature, (g, w)) in got.iter().zip(want).enumerate() {
            let diff = (g - w).abs();
            worst = worst.max(diff);
            assert!(
                diff < 1e-6,
                "{objective:?} row {row} feature {feature}: firn {g}, forust {w}"
            );
        }
    }
    eprintln!("{objective:?}: largest difference from forust {worst:e}");

    // Additivity against Firn's own predictor, and the bias.
    let margins = CompactForest::new(&model).predict_margin(&columns);
    let bias = expected_value(&model);
    for (row, (phi, margin)) in shap.chunks_exact(width).zip(&margins).enumerate() {
        let sum: f64 = phi.iter().sum();
        assert!(
            (sum - margin).abs() < 1e-9,
            "{objective:?} row {row}: SHAP sum {sum}, margin {margin}"
        );
        assert_eq!(phi[width - 1], bias);
    }
    // Missing values were routed both ways somewhere.
    let nodes = model.nodes();
    let splits = || {
        nodes
            .default_left
            .iter()
            .zip(&nodes.feature)
            .filter(|(_, f)| **f >= 0)
    };
    assert!(splits().any(|(left, _)| *left) && splits().any(|(left, _)| !*left));
    // The strong features matter more than the noise.
    let importance = mean_abs_shap(&model, &columns);
    assert!(importance[0] > 5.0 * importance[4], "{importance:?}");
    assert!(importance[1] > 5.0 * importance[4], "{importance:?}");
}

#[test]
fn logistic_model_matches_forust_shapley() {
    let params = GbdtParams {
        n_estimators: 40,
        max_depth: 5,
        learning_rate: 0.2,
        seed: 11,
        ..GbdtParams::default()
    };
    check(Objective::BinaryLogistic, params, 21);
}

#[test]
fn regression_model_with_deep_trees_matches_forust_shapley() {
    let params = GbdtParams {
        objective: Objective::SquaredError,
        n_estimators: 15,
        max_depth: 8,
        learning_rate: 0.3,
        subsample: 0.8,
        colsample_bytree: 0.8,
        seed: 5,
        ..GbdtParams::default()
    };
    check(Objective::SquaredError, params, 22);
}
