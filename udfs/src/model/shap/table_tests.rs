//! Tests of the tabulated leaves (FastTreeSHAP v2) against the path walk and
//! the brute-force Shapley values: random forests of depth 1 to 10 with
//! missing values, features met several times on a path and single-node trees;
//! additivity; the budget's fallback to the walk; thread-count independence.
use super::leaf_patterns::{MAX_SLOTS, PatternWorkspace, expanded_len, expanded_values};
use super::table_tree::BLOCK_BITS;
use super::tests::{
    Xorshift, assert_additive, assert_close, brute_force, model, random_columns, random_forest,
};
use super::*;
use crate::model::ensemble::NodeTable;

fn slices(columns: &[Vec<f64>]) -> Vec<&[f64]> {
    columns.iter().map(Vec::as_slice).collect()
}

/// `random_forest` with a single-node tree inserted after every third tree.
fn forest_with_stumps(rng: &mut Xorshift, trees: u32, depth: u32, features: usize) -> NodeTable {
    let grown = random_forest(rng, trees, depth, features);
    let mut nodes = NodeTable::default();
    let (mut tree, mut next) = (0, 0);
    for i in 0..grown.len() {
        if grown.node_id[i] == 0 {
            if grown.tree_id[i] % 3 == 1 {
                nodes.push(
                    next,
                    0,
                    -1,
                    0.0,
                    false,
                    -1,
                    -1,
                    rng.uniform() - 0.5,
                    0.0,
                    7.0,
                );
                next += 1;
            }
            tree = next;
            next += 1;
        }
        nodes.push(
            tree,
            grown.node_id[i],
            grown.feature[i],
            grown.threshold[i],
            grown.default_left[i],
            grown.left[i],
            grown.right[i],
            grown.leaf_value[i],
            grown.gain[i],
            grown.cover[i],
        );
    }
    nodes
}

#[test]
fn one_leaf_by_shapley_enumeration() {
    // Slot values against the Shapley formula for the leaf's own u-player game,
    // with zero fractions of 0 and 1 among them.
    let zeros = [0.3, 0.0, 1.0, 0.55, 0.8];
    let u = zeros.len();
    let value = 1.7;
    let mut table = vec![f64::NAN; expanded_len(u)];
    expanded_values(value, &zeros, &mut table, &mut PatternWorkspace::default());
    let factorial = |k: usize| (1..=k).map(|v| v as f64).product::<f64>();
    for pattern in 0..1usize << u {
        let game = |coalition: usize| -> f64 {
            (0..u)
                .map(|k| match (coalition >> k & 1, pattern >> k & 1) {
                    (1, 1) => 1.0,
                    (1, _) => 0.0,
                    _ => zeros[k],
                })
                .product::<f64>()
                * value
        };
        for j in 0..u {
            let mut want = 0.0;
            for coalition in (0..1usize << u).filter(|c| c >> j & 1 == 0) {
                let size = coalition.count_ones() as usize;
                let weight = factorial(size) * factorial(u - size - 1) / factorial(u);
                want += weight * (game(coalition | 1 << j) - game(coalition));
            }
            let got = table[pattern * u + j];
            assert!(
                (got - want).abs() < 1e-15,
                "pattern {pattern:05b} slot {j}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn random_forests_of_depth_1_to_10_match_the_walk_and_brute_force() {
    let mut rng = Xorshift(0x51A9_0C3E_D00D_F00D);
    for depth in 1..=10u32 {
        // Few features for deep trees, so paths meet the same feature again and again.
        for features in [1, 3, 6] {
            let trees = if depth > 7 { 4 } else { 12 };
            let m = model(
                forest_with_stumps(&mut rng, trees, depth, features),
                features,
                -0.2,
            );
            let tables = ShapForest::new(&m);
            assert_eq!(tables.tabulated_trees(), m.num_trees(), "depth {depth}");
            let walk = ShapForest::with_algorithm(&m, ShapAlgorithm::PathWalk);
            assert_eq!(walk.tabulated_trees(), 0);
            let columns = random_columns(&mut rng, 40, features);
            let columns = slices(&columns);
            let got = tables.shap_values(&columns);
            assert_close(&got, &walk.shap_values(&columns), 1e-12);
            assert_close(&got, &brute_force(&m, &columns), 1e-12);
            assert_additive(&m, &columns, &got, 1e-12);
        }
    }
}

#[test]
fn many_features_and_rows_stay_additive_and_equal_the_walk() {
    // 12 features (a full path of depth 10 can take 10 slots), more rows than one task.
    let mut rng = Xorshift(99);
    let m = model(random_forest(&mut rng, 30, 10, 12), 12, 0.5);
    let columns = random_columns(&mut rng, 5 * 64 + 3, 12);
    let columns = slices(&columns);
    let tables = ShapForest::new(&m);
    assert_eq!(tables.tabulated_trees(), 30);
    let got = tables.shap_values(&columns);
    let walk = ShapForest::with_algorithm(&m, ShapAlgorithm::PathWalk).shap_values(&columns);
    assert_close(&got, &walk, 1e-12);
    assert_additive(&m, &columns, &got, 1e-9);
}

#[test]
fn trees_past_the_budget_are_walked() {
    let mut rng = Xorshift(5);
    let m = model(random_forest(&mut rng, 20, 6, 4), 4, 0.0);
    let columns = random_columns(&mut rng, 100, 4);
    let columns = slices(&columns);
    let walk = ShapForest::with_algorithm(&m, ShapAlgorithm::PathWalk).shap_values(&columns);
    let all = ShapForest::new(&m);
    assert_eq!(all.tabulated_trees(), 20);
    let half = ShapForest::with_budget(&m, Some(all.table_bytes() / 16), BLOCK_BITS);
    assert!(
        (1..20).contains(&half.tabulated_trees()),
        "{} trees tabulated",
        half.tabulated_trees()
    );
    assert!(half.table_bytes() <= all.table_bytes() / 2);
    assert_close(&half.shap_values(&columns), &walk, 1e-12);
    let none = ShapForest::with_budget(&m, Some(0), BLOCK_BITS);
    assert_eq!(none.table_bytes(), 0);
    assert_close(&none.shap_values(&columns), &walk, 1e-12);
}

#[test]
fn a_path_over_more_features_than_a_table_takes_is_walked() {
    // A chain 60 deep over 60 distinct features: tabulating it would take 60 · 2^60 values.
    let depth = 60u32;
    let mut nodes = NodeTable::default();
    for d in 0..depth {
        let (id, leaf) = (2 * d, 2 * d + 1);
        let left = leaf as i32;
        nodes.push(
            0,
            id,
            d as i32,
            0.0,
            d % 2 == 0,
            left,
            left + 1,
            0.0,
            1.0,
            2.0,
        );
        nodes.push(
            0,
            leaf,
            -1,
            0.0,
            false,
            -1,
            -1,
            f64::from(d % 5) - 2.0,
            0.0,
            1.0,
        );
    }
    nodes.push(0, 2 * depth, -1, 0.0, false, -1, -1, 3.0, 0.0, 1.0);
    // A second, small tree is still tabulated.
    nodes.push(1, 0, 0, 0.5, true, 1, 2, 0.0, 1.0, 4.0);
    nodes.push(1, 1, -1, 0.0, false, -1, -1, -1.0, 0.0, 1.0);
    nodes.push(1, 2, -1, 0.0, false, -1, -1, 2.0, 0.0, 3.0);
    let m = model(nodes, depth as usize, 0.0);
    let forest = ShapForest::new(&m);
    assert_eq!(forest.tabulated_trees(), 1);
    assert!(forest.table_bytes() < 1024);
    let mut rng = Xorshift(11);
    let columns = random_columns(&mut rng, 50, depth as usize);
    let columns = slices(&columns);
    let got = forest.shap_values(&columns);
    let walk = ShapForest::with_algorithm(&m, ShapAlgorithm::PathWalk).shap_values(&columns);
    assert_close(&got, &walk, 1e-12);
    assert_additive(&m, &columns, &got, 1e-9);
    // Exactly MAX_SLOTS distinct features still fit.
    let mut nodes = NodeTable::default();
    for d in 0..MAX_SLOTS as u32 {
        let (id, leaf) = (2 * d, 2 * d + 1);
        let left = leaf as i32;
        nodes.push(0, id, d as i32, 0.0, true, left, left + 1, 0.0, 1.0, 2.0);
        nodes.push(0, leaf, -1, 0.0, false, -1, -1, f64::from(d), 0.0, 1.0);
    }
    nodes.push(
        0,
        2 * MAX_SLOTS as u32,
        -1,
        0.0,
        false,
        -1,
        -1,
        1.0,
        0.0,
        1.0,
    );
    let m = model(nodes, MAX_SLOTS, 0.0);
    assert_eq!(ShapForest::new(&m).tabulated_trees(), 1);
}

#[test]
fn results_do_not_depend_on_threads_or_batches() {
    let mut rng = Xorshift(2024);
    let m = model(random_forest(&mut rng, 25, 7, 5), 5, 0.1);
    let columns = random_columns(&mut rng, 7 * 64 + 9, 5);
    let columns = slices(&columns);
    let forest = ShapForest::new(&m);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool")
            .install(|| forest.shap_values(&columns))
    };
    let one = run(1);
    for threads in [2, 3, 8] {
        assert!(
            one.iter()
                .zip(&run(threads))
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{threads} threads differ from one"
        );
    }
    // A row explained alone, or from the middle of a task, gets the same bits.
    let width = 6;
    for row in [0, 63, 64, 200, 7 * 64 + 8] {
        let single: Vec<&[f64]> = columns.iter().map(|c| &c[row..=row]).collect();
        let alone = forest.shap_values(&single);
        let batch = &one[row * width..(row + 1) * width];
        assert!(
            alone
                .iter()
                .zip(batch)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "row {row}: {alone:?} vs {batch:?}"
        );
    }
}

#[test]
fn blocks_of_any_size_give_the_same_values() {
    // 0 bits: a table per leaf; 12: whole subtrees of up to 12 index bits.
    let mut rng = Xorshift(77);
    for (depth, features) in [(3, 2), (6, 8), (9, 5)] {
        let m = model(random_forest(&mut rng, 10, depth, features), features, 0.0);
        let columns = random_columns(&mut rng, 150, features);
        let columns = slices(&columns);
        let want = brute_force(&m, &columns);
        for bits in [0, 4, BLOCK_BITS, 12] {
            let forest = ShapForest::with_budget(&m, Some(TABLE_BUDGET), bits);
            assert_eq!(forest.tabulated_trees(), 10);
            let got = forest.shap_values(&columns);
            assert_close(&got, &want, 1e-12);
            assert_additive(&m, &columns, &got, 1e-12);
        }
    }
}
