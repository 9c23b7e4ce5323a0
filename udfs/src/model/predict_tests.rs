//! Tests of the compact predictor: against the node table routed row by row,
//! and the vector path against the scalar path.

use super::*;
use crate::model::ensemble::{FeatureSpec, NodeTable, Objective};

#[test]
fn routes_values_and_missing_values() {
    let mut nodes = NodeTable::default();
    // tree 0: x0 < 1.5 → -1 else +1; missing → right
    nodes.push(0, 0, 0, 1.5, false, 1, 2, 0.0, 2.0, 4.0);
    nodes.push(0, 1, -1, 0.0, false, -1, -1, -1.0, 0.0, 2.0);
    nodes.push(0, 2, -1, 0.0, false, -1, -1, 1.0, 0.0, 2.0);
    // tree 1: x1 < 0 → 0.25 else 0.5 (via an inner split on x0 < 10); missing → left
    nodes.push(1, 0, 1, 0.0, true, 1, 2, 0.0, 1.0, 4.0);
    nodes.push(1, 1, -1, 0.0, false, -1, -1, 0.25, 0.0, 2.0);
    nodes.push(1, 2, 0, 10.0, true, 3, 4, 0.0, 1.0, 2.0);
    nodes.push(1, 3, -1, 0.0, false, -1, -1, 0.5, 0.0, 1.0);
    nodes.push(1, 4, -1, 0.0, false, -1, -1, 0.75, 0.0, 1.0);
    let features = vec![FeatureSpec::numeric("x0"), FeatureSpec::numeric("x1")];
    let model =
        TreeEnsemble::try_new(Objective::SquaredError, 0.5, features, nodes).expect("valid");
    let forest = CompactForest::new(&model);
    let x0 = [1.0, 2.0, f64::NAN, 20.0];
    let x1 = [-1.0, 1.0, 1.0, f64::NAN];
    let margins = forest.predict_margin(&[&x0, &x1]);
    assert_eq!(
        margins,
        vec![
            0.5 - 1.0 + 0.25,
            0.5 + 1.0 + 0.5,
            0.5 + 1.0 + 0.5,
            0.5 + 1.0 + 0.25
        ]
    );
    // Long enough for the lane blocks, chunk boundaries and a remainder.
    let n = 2 * CHUNK + 3 * LANES + 5;
    let x0: Vec<f64> = (0..n)
        .map(|i| {
            if i % 11 == 0 {
                f64::NAN
            } else {
                (i % 4) as f64 * 0.7
            }
        })
        .collect();
    let x1: Vec<f64> = (0..n)
        .map(|i| {
            if i % 7 == 0 {
                f64::NAN
            } else {
                (i % 5) as f64 - 2.0
            }
        })
        .collect();
    let blocked = forest.predict_margin(&[&x0, &x1]);
    for row in 0..n {
        let one = forest.predict_margin(&[&x0[row..=row], &x1[row..=row]]);
        assert_eq!(blocked[row], one[0], "row {row}");
    }
}

/// A small deterministic generator for the random-forest test.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Routes one row through the node table itself: the reference.
fn reference(model: &TreeEnsemble, row: &[f64]) -> f64 {
    let table = model.nodes();
    let mut margin = model.base_score();
    for t in 0..model.num_trees() {
        let start = model.tree_range(t).start;
        let mut at = start;
        while !table.is_leaf(at) {
            let value = row[table.feature[at] as usize];
            let right = if value.is_nan() {
                !table.default_left[at]
            } else {
                value >= table.threshold[at]
            };
            at = start
                + if right {
                    table.right[at]
                } else {
                    table.left[at]
                } as usize;
        }
        margin += table.leaf_value[at];
    }
    margin
}

#[test]
fn perfect_and_linked_trees_route_like_the_node_table() {
    let mut rng = Lcg(42);
    let mut nodes = NodeTable::default();
    for tree in 0..40 {
        // Depths straddle MAX_PERFECT_DEPTH, so both layouts are used.
        let depth = 1 + rng.below(u64::from(MAX_PERFECT_DEPTH) + 4) as u32;
        random_tree(&mut nodes, &mut rng, tree, 0, depth, 3);
    }
    let features = vec![
        FeatureSpec::numeric("a"),
        FeatureSpec::numeric("b"),
        FeatureSpec::numeric("c"),
    ];
    let model =
        TreeEnsemble::try_new(Objective::SquaredError, 0.25, features, nodes).expect("valid");
    let forest = CompactForest::new(&model);
    assert!(
        forest
            .trees
            .iter()
            .any(|t| matches!(t, Tree::Linked { .. }))
    );
    assert!(
        forest
            .trees
            .iter()
            .any(|t| matches!(t, Tree::Perfect { .. }))
    );
    let n = 3 * CHUNK + 5;
    let columns: Vec<Vec<f64>> = (0..3)
        .map(|_| {
            (0..n)
                .map(|_| match rng.below(12) {
                    0 => f64::NAN,
                    v => (v as f64) * 0.8 + (rng.below(10) as f64) / 10.0,
                })
                .collect()
        })
        .collect();
    let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let margins = forest.predict_margin(&slices);
    for (i, margin) in margins.iter().enumerate() {
        let row = [columns[0][i], columns[1][i], columns[2][i]];
        assert_eq!(*margin, reference(&model, &row), "row {i}");
    }
}

/// A random model of `trees` trees up to `depth` deep over `width` features.
fn random_model(rng: &mut Lcg, trees: u32, depth: u32, width: u64) -> TreeEnsemble {
    let mut nodes = NodeTable::default();
    for tree in 0..trees {
        let tree_depth = 1 + rng.below(u64::from(depth)) as u32;
        random_tree(&mut nodes, rng, tree, 0, tree_depth, width);
    }
    let features = (0..width)
        .map(|f| FeatureSpec::numeric(format!("f{f}")))
        .collect();
    TreeEnsemble::try_new(Objective::BinaryLogistic, -0.5, features, nodes).expect("valid")
}

/// Appends a random subtree at most `depth` deep over `width` features as
/// node `id` of `tree`; returns the next free node id.
fn random_tree(
    nodes: &mut NodeTable,
    rng: &mut Lcg,
    tree: u32,
    id: u32,
    depth: u32,
    width: u64,
) -> u32 {
    let at = nodes.len();
    if depth == 0 || rng.below(6) == 0 {
        let leaf = rng.below(1000) as f64 / 100.0 - 5.0;
        nodes.push(tree, id, -1, 0.0, false, -1, -1, leaf, 0.0, 1.0);
        return id + 1;
    }
    let feature = rng.below(width) as i32;
    let threshold = rng.below(100) as f64 / 10.0;
    let default_left = rng.below(2) == 0;
    nodes.push(
        tree,
        id,
        feature,
        threshold,
        default_left,
        0,
        0,
        0.0,
        1.0,
        2.0,
    );
    let left = id + 1;
    let right = random_tree(nodes, rng, tree, left, depth - 1, width);
    let next = random_tree(nodes, rng, tree, right, depth - 1, width);
    nodes.left[at] = left as i32;
    nodes.right[at] = right as i32;
    next
}

#[test]
fn the_vector_path_sums_like_the_scalar_path() {
    if !vector::available() {
        eprintln!("this CPU has no AVX-512: only the scalar path runs here");
    }
    let mut rng = Lcg(7);
    for width in 1..=9u64 {
        // Depths up to 8: shallow trees take the vector path, deeper ones stay scalar.
        let model = random_model(&mut rng, 30, 8, width);
        let forest = CompactForest::new(&model);
        // One row (single-row scoring), and two chunks and a partial one with
        // missing values in some chunks only.
        let many = 2 * CHUNK + 37;
        for (n, missing_every) in [(1, 0u64), (1, 1), (many, 0), (many, 3), (many, 40)] {
            let columns: Vec<Vec<f64>> = (0..width)
                .map(|_| {
                    (0..n)
                        .map(|i| {
                            let missing = missing_every > 0
                                && (i >= CHUNK || n == 1)
                                && rng.below(missing_every) == 0;
                            if missing {
                                f64::NAN
                            } else {
                                rng.below(110) as f64 / 10.0
                            }
                        })
                        .collect()
                })
                .collect();
            let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
            let mut scalar = vec![0.0; n];
            forest.margins(&slices, &mut scalar, false);
            for (i, margin) in scalar.iter().enumerate() {
                let row: Vec<f64> = columns.iter().map(|c| c[i]).collect();
                assert_eq!(*margin, reference(&model, &row), "row {i}");
            }
            if vector::available() && forest.binned.is_some() {
                let mut vectored = vec![0.0; n];
                forest.margins(&slices, &mut vectored, true);
                assert_eq!(
                    vectored.iter().map(|m| m.to_bits()).collect::<Vec<_>>(),
                    scalar.iter().map(|m| m.to_bits()).collect::<Vec<_>>(),
                    "width {width}, missing every {missing_every}"
                );
            }
        }
    }
}

#[test]
fn signed_zeros_infinities_and_missing_values_route_alike_on_both_paths() {
    // Splits at -0.0, 0.0 (one cut), ±infinity and a subnormal; values on every
    // side of them, exactly on them, and missing.
    let cuts = [
        -0.0,
        0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MIN_POSITIVE / 4.0,
    ];
    let mut nodes = NodeTable::default();
    for (tree, threshold) in cuts.iter().enumerate() {
        let tree = tree as u32;
        let default_left = tree.is_multiple_of(2);
        nodes.push(tree, 0, 0, *threshold, default_left, 1, 2, 0.0, 1.0, 2.0);
        let (left, right) = (f64::from(tree) + 0.25, -f64::from(tree) - 0.5);
        nodes.push(tree, 1, -1, 0.0, false, -1, -1, left, 0.0, 1.0);
        nodes.push(tree, 2, -1, 0.0, false, -1, -1, right, 0.0, 1.0);
    }
    let model = TreeEnsemble::try_new(
        Objective::SquaredError,
        0.0,
        vec![FeatureSpec::numeric("x")],
        nodes,
    )
    .expect("valid");
    let forest = CompactForest::new(&model);
    let values = [
        -0.0,
        0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        f64::MIN_POSITIVE / 4.0,
        f64::MIN_POSITIVE,
        -1.0,
        1.0,
        f64::MAX,
    ];
    let column: Vec<f64> = values.iter().cycle().take(CHUNK + 40).copied().collect();
    for vector in [false, true] {
        if vector && !(vector::available() && forest.binned.is_some()) {
            continue;
        }
        let mut out = vec![0.0; column.len()];
        forest.margins(&[&column], &mut out, vector);
        for (i, margin) in out.iter().enumerate() {
            assert_eq!(
                margin.to_bits(),
                reference(&model, &[column[i]]).to_bits(),
                "value {}, vector path {vector}",
                column[i]
            );
        }
    }
}
