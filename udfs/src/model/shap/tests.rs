//! Tests of TreeSHAP: hand-worked trees, a brute-force Shapley reference, edge cases.
use super::*;
use crate::model::ensemble::{FeatureSpec, NodeTable, Objective};
use crate::model::predict::CompactForest;

pub(super) fn features(n: usize) -> Vec<FeatureSpec> {
    (0..n)
        .map(|i| FeatureSpec::numeric(format!("x{i}")))
        .collect()
}

pub(super) fn model(nodes: NodeTable, num_features: usize, base_score: f64) -> TreeEnsemble {
    TreeEnsemble::try_new(
        Objective::SquaredError,
        base_score,
        features(num_features),
        nodes,
    )
    .expect("valid model")
}

pub(super) fn assert_close(got: &[f64], want: &[f64], tolerance: f64) {
    assert_eq!(got.len(), want.len(), "lengths differ: {got:?} vs {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tolerance,
            "entry {i}: got {g}, want {w}\n got {got:?}\nwant {want:?}"
        );
    }
}

/// Every row's SHAP values add up to its margin.
pub(super) fn assert_additive(
    model: &TreeEnsemble,
    columns: &[&[f64]],
    shap: &[f64],
    tolerance: f64,
) {
    let width = model.features().len() + 1;
    let margins = CompactForest::new(model).predict_margin(columns);
    assert_eq!(shap.len(), margins.len() * width);
    for (row, (phi, margin)) in shap.chunks_exact(width).zip(&margins).enumerate() {
        let sum: f64 = phi.iter().sum();
        assert!(
            (sum - margin).abs() <= tolerance,
            "row {row}: SHAP sum {sum}, margin {margin}"
        );
    }
}

/// A stump on x0 at 1.5: left -1 (cover 1), right +1 (cover 3); missing goes `default_left`.
fn stump(default_left: bool) -> NodeTable {
    let mut nodes = NodeTable::default();
    nodes.push(0, 0, 0, 1.5, default_left, 1, 2, 0.0, 2.0, 4.0);
    nodes.push(0, 1, -1, 0.0, false, -1, -1, -1.0, 0.0, 1.0);
    nodes.push(0, 2, -1, 0.0, false, -1, -1, 1.0, 0.0, 3.0);
    nodes
}

/// Depth 2: x0 < 0 then x1 < 0 on both sides, all covers equal, leaves `[a, b, c, d]`.
fn depth_two(leaves: [f64; 4]) -> NodeTable {
    let mut nodes = NodeTable::default();
    nodes.push(0, 0, 0, 0.0, true, 1, 2, 0.0, 1.0, 4.0);
    nodes.push(0, 1, 1, 0.0, true, 3, 4, 0.0, 1.0, 2.0);
    nodes.push(0, 2, 1, 0.0, false, 5, 6, 0.0, 1.0, 2.0);
    for (i, value) in leaves.into_iter().enumerate() {
        nodes.push(0, 3 + i as u32, -1, 0.0, false, -1, -1, value, 0.0, 1.0);
    }
    nodes
}

#[test]
fn stump_by_hand() {
    // E = 0.25 × -1 + 0.75 × 1 = 0.5; x1 is never split on.
    let m = model(stump(false), 2, 0.1);
    assert!((expected_value(&m) - 0.6).abs() < 1e-15);
    let x0 = [1.0, 2.0, f64::NAN];
    let x1 = [5.0, -5.0, f64::NAN];
    let shap = shap_values(&m, &[&x0, &x1]);
    assert_close(
        &shap,
        &[-1.5, 0.0, 0.6, 0.5, 0.0, 0.6, 0.5, 0.0, 0.6],
        1e-15,
    );
    assert_additive(&m, &[&x0, &x1], &shap, 1e-15);
}

#[test]
fn missing_values_follow_default_left() {
    let x0 = [f64::NAN];
    let left = shap_values(&model(stump(true), 1, 0.0), &[&x0]);
    assert_close(&left, &[-1.5, 0.5], 1e-15);
    let right = shap_values(&model(stump(false), 1, 0.0), &[&x0]);
    assert_close(&right, &[0.5, 0.5], 1e-15);
    // A value past the end of a short column, or of a column not given, is missing too.
    let m = model(stump(true), 1, 0.0);
    let short: [f64; 0] = [];
    let long = [2.0, 2.0];
    let two = shap_values(&m, &[&short, &long]);
    assert_close(&two, &[-1.5, 0.5, -1.5, 0.5], 1e-15);
    assert!(shap_values(&m, &[]).is_empty());
}

#[test]
fn depth_two_additive_tree_by_hand() {
    // f = 1 + 2·[x0 ≥ 0] + [x1 ≥ 0]: each feature gets its own term minus its mean.
    let m = model(depth_two([1.0, 2.0, 3.0, 4.0]), 3, 0.0);
    let x0 = [1.0, -1.0, f64::NAN, 1.0];
    let x1 = [1.0, 1.0, -1.0, f64::NAN];
    let x2 = [0.0; 4];
    let shap = shap_values(&m, &[&x0, &x1, &x2]);
    // Row 3: x0 missing goes left. Row 4: x1 missing goes left under x0 < 0 but right
    // under x0 ≥ 0, so x1 is only "known" next to x0: v({}) = 2.5, v({x0}) = 3.5,
    // v({x1}) = (1 + 4) / 2 = 2.5, v({x0, x1}) = 4, so φ0 = 1.25 and φ1 = 0.25.
    #[rustfmt::skip]
    let want = [
        1.0, 0.5, 0.0, 2.5,
        -1.0, 0.5, 0.0, 2.5,
        -1.0, -0.5, 0.0, 2.5,
        1.25, 0.25, 0.0, 2.5,
    ];
    assert_close(&shap, &want, 1e-15);
    assert_additive(&m, &[&x0, &x1, &x2], &shap, 1e-14);
}

#[test]
fn depth_two_interaction_by_hand() {
    // f = [x0 ≥ 0]·[x1 ≥ 0] with equal covers: E = 0.25; Shapley splits the interaction evenly.
    let m = model(depth_two([0.0, 0.0, 0.0, 1.0]), 2, 0.0);
    let x0 = [1.0, 1.0];
    let x1 = [1.0, -1.0];
    let shap = shap_values(&m, &[&x0, &x1]);
    assert_close(&shap, &[0.375, 0.375, 0.25, 0.125, -0.375, 0.25], 1e-15);
}

#[test]
fn leaf_only_tree_goes_to_the_expected_value() {
    let mut nodes = stump(false);
    nodes.push(1, 0, -1, 0.0, false, -1, -1, 0.25, 0.0, 4.0);
    let m = model(nodes, 1, 0.0);
    assert!((expected_value(&m) - 0.75).abs() < 1e-15);
    let shap = shap_values(&m, &[&[0.0]]);
    assert_close(&shap, &[-1.5, 0.75], 1e-15);
}

#[test]
fn odd_covers_give_finite_additive_values() {
    // A child no training row reached, a zero-cover parent, and corrupt covers.
    for (parent, left, right) in [
        (4.0, 0.0, 4.0),
        (0.0, 0.0, 0.0),
        (f64::NAN, 1.0, 2.0),
        (-1.0, -2.0, 5.0),
    ] {
        let mut nodes = depth_two([1.0, -2.0, 3.0, 0.5]);
        nodes.cover[0] = parent;
        nodes.cover[1] = left;
        nodes.cover[2] = right;
        let m = model(nodes, 2, 0.0);
        let x0 = [-1.0, 1.0, f64::NAN, 0.0];
        let x1 = [-1.0, 1.0, 0.5, f64::NAN];
        let shap = shap_values(&m, &[&x0, &x1]);
        assert!(
            shap.iter().all(|v| v.is_finite()),
            "{parent} {left} {right}: {shap:?}"
        );
        assert_additive(&m, &[&x0, &x1], &shap, 1e-12);
        assert_close(&shap, &brute_force(&m, &[&x0, &x1]), 1e-12);
    }
}

/// A tiny xorshift generator for random trees (this crate has no RNG of its own).
pub(super) struct Xorshift(pub(super) u64);

impl Xorshift {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub(super) fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Random trees over `num_features` features (features repeat along paths), nodes in
/// breadth-first order, covers that add up like hessian sums.
pub(super) fn random_forest(
    rng: &mut Xorshift,
    trees: u32,
    max_depth: u32,
    num_features: usize,
) -> NodeTable {
    let mut nodes = NodeTable::default();
    for tree in 0..trees {
        // (depth, cover) of each node in breadth-first order.
        let mut queue = vec![(0u32, 1.0 + 100.0 * rng.uniform())];
        let mut i = 0;
        while i < queue.len() {
            let (depth, cover) = queue[i];
            let split = depth < max_depth && (depth == 0 || rng.below(4) != 0);
            if split {
                let share = 0.05 + 0.9 * rng.uniform();
                let left = queue.len() as i32;
                queue.push((depth + 1, cover * share));
                queue.push((depth + 1, cover * (1.0 - share)));
                let feature = rng.below(num_features as u64) as i32;
                let threshold = (rng.below(5) as f64 - 2.0) * 0.5;
                let default_left = rng.below(2) == 0;
                nodes.push(
                    tree,
                    i as u32,
                    feature,
                    threshold,
                    default_left,
                    left,
                    left + 1,
                    0.0,
                    1.0,
                    cover,
                );
            } else {
                let value = rng.uniform() * 2.0 - 1.0;
                nodes.push(tree, i as u32, -1, 0.0, false, -1, -1, value, 0.0, cover);
            }
            i += 1;
        }
    }
    nodes
}

pub(super) fn random_columns(
    rng: &mut Xorshift,
    rows: usize,
    num_features: usize,
) -> Vec<Vec<f64>> {
    (0..num_features)
        .map(|_| {
            (0..rows)
                .map(|_| {
                    if rng.below(8) == 0 {
                        f64::NAN
                    } else {
                        (rng.below(7) as f64 - 3.0) * 0.5 + 0.25
                    }
                })
                .collect()
        })
        .collect()
}

/// E[f(x) | x_S] as the trees remember the data: at a split on a feature of the
/// coalition follow the row, otherwise average the children by cover.
fn conditional_expectation(
    nodes: &NodeTable,
    start: usize,
    node: usize,
    x: &[f64],
    coalition: u32,
) -> f64 {
    let row = start + node;
    if nodes.is_leaf(row) {
        return nodes.leaf_value[row];
    }
    let (l, r) = (nodes.left[row] as usize, nodes.right[row] as usize);
    let feature = nodes.feature[row] as usize;
    if coalition & (1 << feature) != 0 {
        let value = x[feature];
        let go_left = if value.is_nan() {
            nodes.default_left[row]
        } else {
            value < nodes.threshold[row]
        };
        conditional_expectation(nodes, start, if go_left { l } else { r }, x, coalition)
    } else {
        let f = split_fractions(
            nodes.cover[row],
            nodes.cover[start + l],
            nodes.cover[start + r],
        );
        f[0] * conditional_expectation(nodes, start, l, x, coalition)
            + f[1] * conditional_expectation(nodes, start, r, x, coalition)
    }
}

/// Shapley values by enumerating every coalition (Algorithm 1 of the paper).
pub(super) fn brute_force(model: &TreeEnsemble, columns: &[&[f64]]) -> Vec<f64> {
    let n = model.features().len();
    let rows = columns[0].len();
    let nodes = model.nodes();
    let factorial = |k: usize| (1..=k).map(|v| v as f64).product::<f64>();
    let mut out = Vec::new();
    for row in 0..rows {
        let x: Vec<f64> = columns.iter().map(|c| c[row]).collect();
        let value = |coalition: u32| {
            model.base_score()
                + model
                    .tree_starts()
                    .iter()
                    .map(|&start| conditional_expectation(nodes, start, 0, &x, coalition))
                    .sum::<f64>()
        };
        for feature in 0..n {
            let mut phi = 0.0;
            for coalition in 0..(1u32 << n) {
                if coalition & (1 << feature) != 0 {
                    continue;
                }
                let size = coalition.count_ones() as usize;
                let weight = factorial(size) * factorial(n - size - 1) / factorial(n);
                phi += weight * (value(coalition | (1 << feature)) - value(coalition));
            }
            out.push(phi);
        }
        out.push(value(0));
    }
    out
}

#[test]
fn random_trees_match_brute_force_shapley_values() {
    let mut rng = Xorshift(0x9E37_79B9_7F4A_7C15);
    for (trees, depth, num_features) in [(3, 3, 2), (5, 4, 3), (4, 6, 4), (2, 8, 3), (3, 5, 5)] {
        let m = model(
            random_forest(&mut rng, trees, depth, num_features),
            num_features,
            0.3,
        );
        let columns = random_columns(&mut rng, 40, num_features);
        let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        let shap = shap_values(&m, &slices);
        assert_close(&shap, &brute_force(&m, &slices), 1e-12);
        assert_additive(&m, &slices, &shap, 1e-12);
    }
}

#[test]
fn a_feature_never_split_on_gets_zero() {
    let mut rng = Xorshift(42);
    let mut nodes = random_forest(&mut rng, 10, 5, 3);
    // Move every split on feature 1 to feature 0: feature 1 is then unused.
    for f in &mut nodes.feature {
        if *f == 1 {
            *f = 0;
        }
    }
    let m = model(nodes, 3, 0.0);
    let columns = random_columns(&mut rng, 200, 3);
    let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let shap = shap_values(&m, &slices);
    assert!(shap.chunks_exact(4).all(|phi| phi[1] == 0.0));
    assert!(shap.chunks_exact(4).any(|phi| phi[0] != 0.0));
    assert_additive(&m, &slices, &shap, 1e-12);
}

#[test]
fn deep_trees_and_many_rows_stay_additive() {
    // A 300-deep chain alternating two features (each met again and again) next to a bushy
    // tree, over more rows than one parallel task.
    let mut nodes = NodeTable::default();
    let depth = 300u32;
    for d in 0..depth {
        let (id, leaf) = (2 * d, 2 * d + 1);
        let threshold = f64::from(d % 7) - 3.0;
        nodes.push(
            0,
            id,
            (d % 2) as i32,
            threshold,
            d % 3 == 0,
            leaf as i32,
            leaf as i32 + 1,
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
    nodes.push(0, 2 * depth, -1, 0.0, false, -1, -1, 7.0, 0.0, 1.0);
    let mut rng = Xorshift(7);
    let bushy = random_forest(&mut rng, 1, 10, 2);
    for i in 0..bushy.len() {
        nodes.push(
            1,
            bushy.node_id[i],
            bushy.feature[i],
            bushy.threshold[i],
            bushy.default_left[i],
            bushy.left[i],
            bushy.right[i],
            bushy.leaf_value[i],
            bushy.gain[i],
            bushy.cover[i],
        );
    }
    let m = model(nodes, 2, -1.0);
    let columns = random_columns(&mut rng, 3 * 64 + 5, 2);
    let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let shap = shap_values(&m, &slices);
    assert_additive(&m, &slices, &shap, 1e-9);
    let few: Vec<&[f64]> = slices.iter().map(|c| &c[..20]).collect();
    assert_close(&shap[..20 * 3], &brute_force(&m, &few), 1e-9);
}

#[test]
fn shared_children_are_refused_before_shap_can_explode() {
    // A node with two parents would make path enumeration exponential on a crafted file.
    let mut nodes = NodeTable::default();
    nodes.push(0, 0, 0, 0.0, true, 1, 2, 0.0, 1.0, 4.0);
    nodes.push(0, 1, 1, 0.0, false, 2, 3, 0.0, 1.0, 2.0);
    nodes.push(0, 2, 1, 1.0, true, 3, 4, 0.0, 1.0, 2.0);
    nodes.push(0, 3, -1, 0.0, false, -1, -1, 1.0, 0.0, 1.0);
    nodes.push(0, 4, -1, 0.0, false, -1, -1, -3.0, 0.0, 1.0);
    let err = TreeEnsemble::try_new(Objective::SquaredError, 0.0, features(2), nodes)
        .expect_err("refused");
    assert!(err.to_string().contains("has 2 parents"), "{err}");
}
