//! The trainer as a whole: determinism across thread counts, every parameter,
//! valid models with gain and cover, and quality against forust.

use firnml_udfs::metrics::roc_auc;
use firnml_udfs::model::{CompactForest, FeatureSpec, Objective, TreeEnsemble};

use super::*;
use crate::ml::cv::predict;
use crate::ml::forust::ForustTrainer;
use crate::ml::forust::tests::synthetic;
use crate::ml::metric::Metric;
use crate::ml::search::{SearchConfig, SearchSpace, Strategy, search};
use crate::ml::trainer::default_trainer;

fn params() -> GbdtParams {
    GbdtParams {
        n_estimators: 20,
        max_depth: 4,
        learning_rate: 0.2,
        scale_pos_weight: 2.0,
        seed: 7,
        ..GbdtParams::default()
    }
}

fn fit(data: &Dataset, params: &GbdtParams) -> TreeEnsemble {
    FirnTrainer.fit(data, params).expect("trains")
}

fn auc(model: &TreeEnsemble, data: &Dataset) -> f64 {
    let p = predict(&CompactForest::new(model), model.objective(), data);
    roc_auc(&p, &data.labels)
        .expect("auc")
        .expect("two classes")
}

/// A regression set: y = 3a - b² + noise, with missing values.
fn regression(rows: usize) -> Dataset {
    let mut data = synthetic(rows, 5);
    data.labels = (0..rows)
        .map(|i| {
            let a = data.columns[0][i];
            let a = if a.is_nan() { 0.5 } else { a };
            let b = data.columns[1][i];
            3.0 * a - b * b + 0.1 * ((i * 7919 % 101) as f64 / 101.0 - 0.5)
        })
        .collect();
    data
}

#[test]
fn the_same_trees_on_any_number_of_threads() {
    let data = synthetic(120_000, 11);
    let variants = [
        GbdtParams {
            n_estimators: 6,
            max_depth: 6,
            ..params()
        },
        GbdtParams {
            n_estimators: 6,
            subsample: 0.7,
            colsample_bytree: 0.67,
            ..params()
        },
        GbdtParams {
            n_estimators: 6,
            max_leaves: 9,
            max_depth: 8,
            ..params()
        },
        GbdtParams {
            objective: Objective::SquaredError,
            n_estimators: 6,
            reg_alpha: 0.5,
            max_delta_step: 0.7,
            ..params()
        },
    ];
    let regression = regression(120_000);
    for p in variants {
        let data = if p.objective == Objective::SquaredError {
            &regression
        } else {
            &data
        };
        let models: Vec<TreeEnsemble> = [1, 2, 4]
            .iter()
            .map(|&threads| {
                fit(
                    data,
                    &GbdtParams {
                        threads,
                        ..p.clone()
                    },
                )
            })
            .collect();
        assert_eq!(models[0], models[1], "1 vs 2 threads: {p:?}");
        assert_eq!(models[0], models[2], "1 vs 4 threads: {p:?}");
        assert!(models[0].nodes().len() > 6, "real trees: {p:?}");
    }
}

#[test]
fn search_and_cv_scores_do_not_depend_on_threads() {
    let data = synthetic(9_000, 3);
    let mut space = SearchSpace::default();
    space.add("max_depth", "int(2, 6)").expect("range");
    space.add("subsample", "float(0.6, 1.0)").expect("range");
    space.add("min_child_weight", "int(1, 5)").expect("range");
    let config = SearchConfig {
        strategy: Strategy::Random { n_iter: 4 },
        folds: 3,
        metric: Metric::RocAuc,
        seed: 42,
        threshold: 0.5,
    };
    let results: Vec<_> = [1, 2, 4]
        .iter()
        .map(|&threads| {
            let base = GbdtParams {
                n_estimators: 15,
                threads,
                ..GbdtParams::default()
            };
            let result = search(default_trainer(), &data, &base, &space, &config).expect("search");
            let scores: Vec<Vec<f64>> = result
                .candidates
                .iter()
                .map(|c| c.cv.fold_scores.clone())
                .collect();
            (scores, result.best)
        })
        .collect();
    assert_eq!(results[0], results[1], "1 vs 2 threads");
    assert_eq!(results[0], results[2], "1 vs 4 threads");
    assert!(
        results[0].0.iter().flatten().all(|s| *s > 0.8),
        "{:?}",
        results[0]
    );
}

#[test]
fn shared_data_fits_like_a_plain_fit_and_folds_need_no_copy() {
    let data = synthetic(3_000, 4);
    let p = params();
    let shared = FirnTrainer
        .share(&data, std::slice::from_ref(&p))
        .expect("shared");
    let all: Vec<usize> = (0..data.rows()).collect();
    let on_rows = FirnTrainer.fit_rows(&shared, &all, &p).expect("fits");
    assert_eq!(on_rows, fit(&data, &p), "same bins, same rows, same trees");
    let half: Vec<usize> = (0..data.rows()).step_by(2).collect();
    let fold = FirnTrainer.fit_rows(&shared, &half, &p).expect("fits");
    assert_ne!(fold, on_rows);
    assert!(auc(&fold, &data) > 0.85);
    // Unsorted rows are refused, not trained on.
    assert!(FirnTrainer.fit_rows(&shared, &[3, 1], &p).is_err());
}

#[test]
fn models_are_valid_with_gain_cover_and_both_missing_directions() {
    let data = synthetic(5_000, 1);
    let p = GbdtParams {
        scale_pos_weight: 1.0,
        ..params()
    };
    let model = fit(&data, &p);
    assert_eq!(model.num_trees(), 20);
    let nodes = model.nodes();
    for t in 0..model.num_trees() {
        let range = model.tree_range(t);
        let root = range.start;
        // Logistic hessians: the root's cover is Σ p(1 − p) over all rows.
        assert!(nodes.cover[root] > 0.0 && nodes.cover[root] <= 0.25 * 5_000.0);
        for i in range.clone() {
            if !nodes.is_leaf(i) {
                assert!(nodes.gain[i] > 0.0, "tree {t} node {i}");
                let (l, r) = (
                    root + nodes.left[i] as usize,
                    root + nodes.right[i] as usize,
                );
                let sum = nodes.cover[l] + nodes.cover[r];
                assert!((sum - nodes.cover[i]).abs() <= 1e-9 * nodes.cover[i].max(1.0));
            }
        }
    }
    assert!(nodes.default_left.iter().any(|d| *d));
    assert!(
        nodes
            .default_left
            .iter()
            .zip(&nodes.feature)
            .any(|(d, f)| !*d && *f >= 0)
    );
    assert!(auc(&model, &data) > 0.9);
}

#[test]
fn every_parameter_takes_effect() {
    let data = synthetic(4_000, 2);
    let base = fit(&data, &params());
    let leaves =
        |m: &TreeEnsemble, t: usize| m.tree_range(t).filter(|&i| m.nodes().is_leaf(i)).count();
    let depth_of = |m: &TreeEnsemble, t: usize| {
        let r = m.tree_range(t);
        let mut depth = vec![0usize; r.len()];
        for i in 0..r.len() {
            if !m.nodes().is_leaf(r.start + i) {
                depth[m.nodes().left[r.start + i] as usize] = depth[i] + 1;
                depth[m.nodes().right[r.start + i] as usize] = depth[i] + 1;
            }
        }
        depth.into_iter().max().unwrap_or(0)
    };
    let limited = fit(
        &data,
        &GbdtParams {
            max_leaves: 5,
            max_depth: 10,
            ..params()
        },
    );
    assert!((0..20).all(|t| leaves(&limited, t) <= 5));
    assert!((0..20).any(|t| leaves(&limited, t) == 5));
    assert!((0..20).any(|t| depth_of(&limited, t) >= 3));
    let shallow = fit(
        &data,
        &GbdtParams {
            max_depth: 2,
            ..params()
        },
    );
    assert!((0..20).all(|t| depth_of(&shallow, t) <= 2));
    assert!((0..20).any(|t| depth_of(&base, t) == 4));
    let capped = fit(
        &data,
        &GbdtParams {
            max_delta_step: 0.1,
            ..params()
        },
    );
    assert!(
        capped
            .nodes()
            .leaf_value
            .iter()
            .all(|v| v.abs() <= 0.2 * 0.1 + 1e-12)
    );
    for (name, value) in [
        ("min_child_weight", "40"),
        ("reg_lambda", "30"),
        ("reg_alpha", "5"),
        ("gamma", "3"),
        ("subsample", "0.5"),
        ("colsample_bytree", "0.4"),
        ("scale_pos_weight", "1"),
        ("nbins", "8"),
        ("seed", "99"),
        ("learning_rate", "0.05"),
    ] {
        let sampled = GbdtParams {
            subsample: 0.8,
            ..params()
        };
        let (mut p, reference) = if name == "seed" {
            (sampled.clone(), fit(&data, &sampled))
        } else {
            (params(), base.clone())
        };
        p.set(name, value).expect("valid");
        let model = fit(&data, &p);
        assert_ne!(model, reference, "{name} {value} changed nothing");
        assert!(auc(&model, &data) > 0.8, "{name} {value}");
    }
    let heavy = fit(
        &data,
        &GbdtParams {
            gamma: 1e6,
            ..params()
        },
    );
    assert!(
        (0..20).all(|t| leaves(&heavy, t) == 1),
        "gamma stops every split"
    );
}

#[test]
fn regression_fits_the_signal() {
    let data = regression(6_000);
    let p = GbdtParams {
        objective: Objective::SquaredError,
        n_estimators: 60,
        max_depth: 5,
        learning_rate: 0.2,
        ..GbdtParams::default()
    };
    let model = fit(&data, &p);
    let mean = data.labels.iter().sum::<f64>() / data.rows() as f64;
    assert!((model.base_score() - mean).abs() < 1e-9);
    let predictions = predict(&CompactForest::new(&model), Objective::SquaredError, &data);
    let mse = predictions
        .iter()
        .zip(&data.labels)
        .map(|(p, y)| (p - y).powi(2))
        .sum::<f64>()
        / data.rows() as f64;
    let variance = data.labels.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / data.rows() as f64;
    assert!(mse < 0.02 * variance, "mse {mse} vs variance {variance}");
}

#[test]
fn quality_matches_forust() {
    let train = synthetic(20_000, 8);
    let test = synthetic(10_000, 9);
    let p = GbdtParams {
        n_estimators: 50,
        max_depth: 5,
        learning_rate: 0.1,
        ..params()
    };
    let firn = auc(&fit(&train, &p), &test);
    let forust = auc(&ForustTrainer.fit(&train, &p).expect("forust"), &test);
    assert!(
        (firn - forust).abs() < 0.005,
        "firn {firn}, forust {forust}"
    );
}

#[test]
fn refuses_bad_input_without_panicking() {
    let mut data = synthetic(100, 1);
    data.labels[3] = f64::NAN;
    assert!(FirnTrainer.fit(&data, &params()).is_err());
    let empty = Dataset {
        features: vec![FeatureSpec::numeric("x")],
        columns: vec![vec![]],
        labels: vec![],
    };
    assert!(FirnTrainer.fit(&empty, &params()).is_err());
    let bad = GbdtParams {
        max_depth: 0,
        ..params()
    };
    assert!(FirnTrainer.fit(&synthetic(100, 1), &bad).is_err());
    // One row, one class in a fold: trains a constant model rather than failing.
    let one = synthetic(1, 1);
    let model = FirnTrainer.fit(&one, &params()).expect("trains");
    assert!(model.base_score().is_finite());
}

#[test]
fn a_watched_fit_reports_every_tree_and_stops_when_told() {
    let data = synthetic(2_000, 3);
    let params = params();
    let seen = std::sync::Mutex::new(Vec::new());
    let watched = FirnTrainer
        .fit_observed(&data, &params, &|trees| {
            seen.lock().map(|mut s| s.push(trees)).is_ok()
        })
        .expect("trains");
    assert_eq!(watched, fit(&data, &params), "watching changes nothing");
    let seen = seen.into_inner().expect("not poisoned");
    assert_eq!(seen, (1..=params.n_estimators).collect::<Vec<_>>());

    let stopped = FirnTrainer.fit_observed(&data, &params, &|trees| trees < 3);
    let message = stopped.expect_err("stopped").to_string();
    assert!(message.contains("training was cancelled"), "{message}");
}
