//! Feature importance: XGBoost's split statistics (`weight`, `gain`,
//! `total_gain`, `cover`, `total_cover`) read from the node table, and the mean
//! absolute SHAP value of each feature over a set of rows.

use rayon::prelude::*;

use crate::model::ensemble::TreeEnsemble;
use crate::model::shap::{ShapForest, num_rows};

/// Rows per parallel task: a constant, so the sums are added in the same order
/// whatever the thread count.
const ROWS_PER_TASK: usize = 1024;

/// How much one feature is used by a model's splits (XGBoost's `get_score` types).
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureImportance {
    /// The feature's name.
    pub feature: String,
    /// Number of splits on the feature.
    pub weight: u64,
    /// Average loss reduction of those splits (`total_gain / weight`; 0 without splits).
    pub gain: f64,
    /// Sum of the loss reductions of those splits.
    pub total_gain: f64,
    /// Average cover (hessian sum) of those splits (`total_cover / weight`; 0 without splits).
    pub cover: f64,
    /// Sum of the covers of those splits.
    pub total_cover: f64,
}

/// Split statistics of every feature, in the model's feature order; a feature
/// no tree splits on has zeros everywhere.
pub fn importance(model: &TreeEnsemble) -> Vec<FeatureImportance> {
    let mut out: Vec<FeatureImportance> = model
        .features()
        .iter()
        .map(|spec| FeatureImportance {
            feature: spec.name.clone(),
            weight: 0,
            gain: 0.0,
            total_gain: 0.0,
            cover: 0.0,
            total_cover: 0.0,
        })
        .collect();
    let nodes = model.nodes();
    for i in 0..nodes.len() {
        if nodes.is_leaf(i) {
            continue;
        }
        // Validation guarantees a split's feature is one of the model's.
        if let Some(entry) = out.get_mut(nodes.feature[i] as usize) {
            entry.weight += 1;
            entry.total_gain += nodes.gain[i];
            entry.total_cover += nodes.cover[i];
        }
    }
    for entry in &mut out {
        if entry.weight > 0 {
            entry.gain = entry.total_gain / entry.weight as f64;
            entry.cover = entry.total_cover / entry.weight as f64;
        }
    }
    out
}

/// Mean absolute SHAP value of each feature over the rows of `columns` (one
/// slice per feature, as for [`crate::model::shap::shap_values`]), in the
/// model's feature order; zeros when there are no rows. Rows are explained in
/// parallel blocks without holding the whole SHAP matrix; the result does not
/// depend on the number of threads.
pub fn mean_abs_shap(model: &TreeEnsemble, columns: &[&[f64]]) -> Vec<f64> {
    let forest = ShapForest::new(model);
    let num_features = forest.num_features();
    let width = num_features + 1;
    let rows = num_rows(columns);
    let tasks = rows.div_ceil(ROWS_PER_TASK);
    let block_sums: Vec<Vec<f64>> = (0..tasks)
        .into_par_iter()
        .map_init(
            || {
                (
                    forest.scratch(ROWS_PER_TASK),
                    vec![0.0; ROWS_PER_TASK * width],
                )
            },
            |(scratch, block), task| {
                let first = task * ROWS_PER_TASK;
                let block = &mut block[..(rows - first).min(ROWS_PER_TASK) * width];
                forest.explain_rows(columns, first, block, scratch);
                let mut sums = vec![0.0; num_features];
                for phi in block.chunks_exact(width) {
                    for (sum, value) in sums.iter_mut().zip(phi) {
                        *sum += value.abs();
                    }
                }
                sums
            },
        )
        .collect();
    // Adding the blocks in order keeps the result identical whatever the thread count.
    let mut means = vec![0.0; num_features];
    for sums in &block_sums {
        for (mean, sum) in means.iter_mut().zip(sums) {
            *mean += sum;
        }
    }
    if rows > 0 {
        for mean in &mut means {
            *mean /= rows as f64;
        }
    }
    means
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ensemble::{FeatureSpec, NodeTable, Objective};
    use crate::model::shap::shap_values;

    /// Tree 0 splits x0 then x2; tree 1 splits x0 once; x1 is never used.
    fn model() -> TreeEnsemble {
        let mut nodes = NodeTable::default();
        nodes.push(0, 0, 0, 0.0, true, 1, 2, 0.0, 10.0, 8.0);
        nodes.push(0, 1, -1, 0.0, false, -1, -1, -1.0, 0.0, 3.0);
        nodes.push(0, 2, 2, 1.0, false, 3, 4, 0.0, 4.0, 5.0);
        nodes.push(0, 3, -1, 0.0, false, -1, -1, 0.5, 0.0, 2.0);
        nodes.push(0, 4, -1, 0.0, false, -1, -1, 2.0, 0.0, 3.0);
        nodes.push(1, 0, 0, 2.0, false, 1, 2, 0.0, 2.0, 6.0);
        nodes.push(1, 1, -1, 0.0, false, -1, -1, -0.2, 0.0, 4.0);
        nodes.push(1, 2, -1, 0.0, false, -1, -1, 0.4, 0.0, 2.0);
        let features = ["x0", "x1", "x2"]
            .into_iter()
            .map(FeatureSpec::numeric)
            .collect();
        TreeEnsemble::try_new(Objective::BinaryLogistic, 0.0, features, nodes).expect("valid model")
    }

    #[test]
    fn split_statistics_like_xgboost() {
        let got = importance(&model());
        let want = vec![
            FeatureImportance {
                feature: "x0".into(),
                weight: 2,
                gain: 6.0,
                total_gain: 12.0,
                cover: 7.0,
                total_cover: 14.0,
            },
            FeatureImportance {
                feature: "x1".into(),
                weight: 0,
                gain: 0.0,
                total_gain: 0.0,
                cover: 0.0,
                total_cover: 0.0,
            },
            FeatureImportance {
                feature: "x2".into(),
                weight: 1,
                gain: 4.0,
                total_gain: 4.0,
                cover: 5.0,
                total_cover: 5.0,
            },
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn mean_abs_shap_averages_the_shap_matrix() {
        let m = model();
        let rows = 3 * ROWS_PER_TASK + 17;
        let x0: Vec<f64> = (0..rows)
            .map(|i| {
                if i % 11 == 0 {
                    f64::NAN
                } else {
                    (i % 7) as f64 - 2.5
                }
            })
            .collect();
        let x1: Vec<f64> = (0..rows).map(|i| i as f64).collect();
        let x2: Vec<f64> = (0..rows).map(|i| (i % 3) as f64).collect();
        let columns = [x0.as_slice(), &x1, &x2];
        let got = mean_abs_shap(&m, &columns);
        let shap = shap_values(&m, &columns);
        let mut want = [0.0; 3];
        for phi in shap.chunks_exact(4) {
            for (w, v) in want.iter_mut().zip(phi) {
                *w += v.abs() / rows as f64;
            }
        }
        assert_eq!(got.len(), 3);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
        }
        assert_eq!(got[1], 0.0);
        assert!(got[0] > got[2] && got[2] > 0.0, "{got:?}");
        assert_eq!(mean_abs_shap(&m, &[]), vec![0.0; 3]);
    }
}
