//! The forust-ml backend: pure-Rust histogram GBDT (XGBoost's parameters), its
//! trees converted into Firn's node table.

use std::collections::VecDeque;

use datafusion::common::{DataFusionError, Result, internal_err};
use firnml_udfs::model::{NodeTable, Objective, TreeEnsemble};
use forust_ml::data::Matrix;
use forust_ml::gradientbooster::GradientBooster;
use forust_ml::objective::ObjectiveType;
use forust_ml::tree::Tree;

use crate::ml::dataset::Dataset;
use crate::ml::params::GbdtParams;
use crate::ml::trainer::{Trainer, sample_weights};

/// Trains with forust-ml.
#[derive(Debug, Clone, Copy, Default)]
pub struct ForustTrainer;

fn forust_error(e: forust_ml::errors::ForustError) -> DataFusionError {
    DataFusionError::Execution(format!("training failed: {e}"))
}

/// A forust booster configured like XGBoost with `params`.
pub fn booster(params: &GbdtParams) -> Result<GradientBooster> {
    let objective = match params.objective {
        Objective::BinaryLogistic => ObjectiveType::LogLoss,
        Objective::SquaredError => ObjectiveType::SquaredLoss,
    };
    let threads = (params.threads > 0).then_some(params.threads);
    Ok(GradientBooster::default()
        .set_objective_type(objective)
        .set_iterations(params.n_estimators)
        .set_learning_rate(params.learning_rate as f32)
        .set_max_depth(params.max_depth)
        .set_max_leaves(if params.max_leaves == 0 {
            usize::MAX
        } else {
            params.max_leaves
        })
        .set_min_leaf_weight(params.min_child_weight as f32)
        .set_l2(params.reg_lambda as f32)
        .set_l1(params.reg_alpha as f32)
        .set_gamma(params.gamma as f32)
        .set_max_delta_step(params.max_delta_step as f32)
        .set_subsample(params.subsample as f32)
        .set_colsample_bytree(params.colsample_bytree)
        .set_nbins(params.nbins)
        .set_seed(params.seed)
        .set_num_threads(threads)
        .set_parallel(params.threads != 1)
        .set_allow_missing_splits(true)
        .set_create_missing_branch(false)
        .set_initialize_base_score(true))
}

impl Trainer for ForustTrainer {
    fn name(&self) -> &'static str {
        "forust-ml 0.8"
    }

    fn fit(&self, data: &Dataset, params: &GbdtParams) -> Result<TreeEnsemble> {
        let matrix_data = data.column_major();
        let matrix = Matrix::new(&matrix_data, data.rows(), data.columns.len());
        let weights = sample_weights(data, params);
        let mut booster = booster(params)?;
        booster
            .fit(&matrix, &data.labels, &weights, None)
            .map_err(forust_error)?;
        to_ensemble(&booster, params.objective, data)
    }
}

/// Converts forust's trees into Firn's node table. Nodes are renumbered in
/// breadth-first order, so every child's id is greater than its parent's.
pub fn to_ensemble(
    booster: &GradientBooster,
    objective: Objective,
    data: &Dataset,
) -> Result<TreeEnsemble> {
    let mut nodes = NodeTable::default();
    for (tree_id, tree) in booster.trees.iter().enumerate() {
        push_tree(&mut nodes, tree_id as u32, tree)?;
    }
    TreeEnsemble::try_new(objective, booster.base_score, data.features.clone(), nodes)
}

fn push_tree(nodes: &mut NodeTable, tree_id: u32, tree: &Tree) -> Result<()> {
    let Some(root) = tree.nodes.first() else {
        return internal_err!("forust produced an empty tree");
    };
    // forust's node `num` is its index in `tree.nodes`.
    let by_num = |num: usize| tree.nodes.get(num).filter(|n| n.num == num);
    let mut order = vec![root.num];
    let mut queue = VecDeque::from([root.num]);
    let mut new_id = std::collections::HashMap::from([(root.num, 0i32)]);
    while let Some(num) = queue.pop_front() {
        let Some(node) = by_num(num) else {
            return internal_err!("forust tree refers to a missing node {num}");
        };
        if !node.is_leaf {
            for child in [node.left_child, node.right_child] {
                new_id.insert(child, order.len() as i32);
                order.push(child);
                queue.push_back(child);
            }
        }
    }
    for (id, num) in order.iter().enumerate() {
        let Some(node) = by_num(*num) else {
            return internal_err!("forust tree refers to a missing node {num}");
        };
        if node.is_leaf {
            nodes.push(
                tree_id,
                id as u32,
                -1,
                0.0,
                false,
                -1,
                -1,
                f64::from(node.weight_value),
                0.0,
                f64::from(node.hessian_sum),
            );
        } else {
            if node.missing_node != node.left_child && node.missing_node != node.right_child {
                return internal_err!(
                    "forust tree has a separate missing branch, which Firn's format does not hold"
                );
            }
            nodes.push(
                tree_id,
                id as u32,
                node.split_feature as i32,
                node.split_value,
                node.missing_node == node.left_child,
                new_id[&node.left_child],
                new_id[&node.right_child],
                f64::from(node.weight_value),
                f64::from(node.split_gain),
                f64::from(node.hessian_sum),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use firnml_udfs::model::{CompactForest, FeatureSpec};

    use super::*;
    use crate::ml::rng::Rng;

    /// A noisy synthetic classification set with missing values.
    pub(crate) fn synthetic(rows: usize, seed: u64) -> Dataset {
        let mut rng = Rng::new(seed);
        let mut columns: Vec<Vec<f64>> = (0..3).map(|_| Vec::with_capacity(rows)).collect();
        let mut labels = Vec::with_capacity(rows);
        for _ in 0..rows {
            let (a, b, c) = (rng.normal(), rng.normal(), rng.below(3) as f64);
            let margin = 1.5 * a - b + 0.5 * c + 0.7 * rng.normal();
            labels.push(f64::from(margin > 0.3));
            columns[0].push(if rng.chance(0.05) { f64::NAN } else { a });
            columns[1].push(b);
            columns[2].push(c);
        }
        Dataset {
            features: vec![
                FeatureSpec::numeric("a"),
                FeatureSpec::numeric("b"),
                FeatureSpec::numeric("c"),
            ],
            columns,
            labels,
        }
    }

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

    #[test]
    fn converted_trees_predict_exactly_like_forust() {
        let data = synthetic(2_000, 1);
        let model = ForustTrainer.fit(&data, &params()).expect("trains");
        assert_eq!(model.num_trees(), 20);
        // Re-fit forust directly to compare its own predictions with Firn's predictor.
        let flat = data.column_major();
        let matrix = Matrix::new(&flat, data.rows(), 3);
        let mut reference = booster(&params()).expect("booster");
        reference
            .fit(
                &matrix,
                &data.labels,
                &sample_weights(&data, &params()),
                None,
            )
            .expect("fit");
        let expected = reference.predict(&matrix, false);
        let got = CompactForest::new(&model).predict_margin(&data.column_slices());
        for (row, (e, g)) in expected.iter().zip(&got).enumerate() {
            assert!((e - g).abs() < 1e-9, "row {row}: forust {e}, firn {g}");
        }
        // missing values reached both directions somewhere
        assert!(model.nodes().default_left.iter().any(|d| *d));
    }

    #[test]
    fn same_seed_same_model() {
        let data = synthetic(1_000, 2);
        let p = GbdtParams {
            subsample: 0.8,
            colsample_bytree: 0.7,
            ..params()
        };
        let a = ForustTrainer.fit(&data, &p).expect("a");
        let b = ForustTrainer.fit(&data, &p).expect("b");
        assert_eq!(a, b);
    }
}
