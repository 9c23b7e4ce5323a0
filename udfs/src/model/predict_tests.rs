//! Tests of the compact predictor: against the node table routed row by row,
//! and every scoring path this CPU can run against the scalar path, bit for bit.

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

/// The paths this CPU can run, the scalar one first; printed so that a test
/// log says which ran.
fn paths() -> Vec<PredictPath> {
    let paths: Vec<PredictPath> = PredictPath::ALL
        .into_iter()
        .filter(|p| p.available())
        .collect();
    eprintln!(
        "scoring paths run here: {}",
        paths
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    paths
}

/// Scores `columns` by every path; each must equal the node table routed row
/// by row, bit for bit.
fn assert_every_path_agrees(model: &TreeEnsemble, columns: &[Vec<f64>], what: &str) {
    let forest = CompactForest::new(model);
    let n = columns.first().map_or(0, Vec::len);
    let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let expected: Vec<u64> = (0..n)
        .map(|i| {
            let row: Vec<f64> = columns.iter().map(|c| c[i]).collect();
            reference(model, &row).to_bits()
        })
        .collect();
    for path in paths() {
        let mut out = vec![0.0; n];
        forest.margins(&slices, &mut out, path);
        for (i, (margin, expected)) in out.iter().zip(&expected).enumerate() {
            assert_eq!(
                margin.to_bits(),
                *expected,
                "{what}: row {i} of {n}, path {path}: {margin} vs {}",
                f64::from_bits(*expected)
            );
        }
    }
}

/// Random values for `width` features and `n` rows: steps of `1 / scale` in
/// [0, 11), missing with probability `1 / missing_every` (never if 0) in the
/// rows from `missing_from`.
fn random_columns(
    rng: &mut Lcg,
    width: u64,
    n: usize,
    scale: u64,
    missing_every: u64,
    missing_from: usize,
) -> Vec<Vec<f64>> {
    (0..width)
        .map(|_| {
            (0..n)
                .map(|i| {
                    if missing_every > 0 && i >= missing_from && rng.below(missing_every) == 0 {
                        f64::NAN
                    } else {
                        rng.below(11 * scale) as f64 / scale as f64
                    }
                })
                .collect()
        })
        .collect()
}

#[test]
fn every_path_sums_like_the_scalar_path() {
    let mut rng = Lcg(7);
    // Narrow and wide models (a level may read up to 32 columns), shallow and
    // deep trees (the top six levels in the vector kernels, the rest linked).
    for (width, depth) in [
        (1, 8),
        (2, 8),
        (3, 8),
        (5, 8),
        (8, 6),
        (8, 8),
        (9, 8),
        (16, 7),
        (30, 6),
        (40, 12),
    ] {
        let model = random_model(&mut rng, 30, depth, width);
        // One row (single-row scoring), a few rows below and around the vector
        // paths' minimum, and two chunks and a partial one with missing values
        // in some chunks only.
        let many = 2 * binned::CHUNK + 37;
        for (n, missing_every, missing_from) in [
            (1, 0u64, 0),
            (1, 1, 0),
            (MIN_BINNED_ROWS - 1, 3, 0),
            (MIN_BINNED_ROWS, 0, 0),
            (MIN_BINNED_ROWS + 1, 3, 0),
            (many, 0, 0),
            (many, 3, binned::CHUNK),
            (many, 40, binned::CHUNK),
        ] {
            let columns = random_columns(&mut rng, width, n, 10, missing_every, missing_from);
            assert_every_path_agrees(
                &model,
                &columns,
                &format!("width {width}, depth {depth}, missing every {missing_every}"),
            );
        }
    }
}

#[test]
fn levels_reading_more_columns_than_a_lookup_takes_continue_below() {
    // 64 features and full trees 8 deep: levels 6 and 7 read more than
    // MAX_LOCAL columns, so those trees' top parts end above them.
    let mut rng = Lcg(5);
    let mut nodes = NodeTable::default();
    for tree in 0..6 {
        full_tree(&mut nodes, &mut rng, tree, 0, 8, 64);
    }
    let features = (0..64)
        .map(|f| FeatureSpec::numeric(format!("f{f}")))
        .collect();
    let model =
        TreeEnsemble::try_new(Objective::SquaredError, 0.5, features, nodes).expect("valid");
    let binned = BinnedForest::new(&model).expect("binned");
    assert!(
        binned
            .trees
            .iter()
            .any(|t| t.levels.len() < 8 && t.bottom.is_some()),
        "a top part ends early"
    );
    let columns = random_columns(&mut rng, 64, binned::CHUNK + 9, 10, 15, 0);
    assert_every_path_agrees(&model, &columns, "64 features, full trees 8 deep");
}

#[test]
fn full_trees_of_every_top_depth_route_alike_on_every_path() {
    // Complete trees 1 to 10 deep over 8 features: leaves from planes of 64,
    // 128 and 256 positions, and two levels below the top part.
    let mut rng = Lcg(9);
    let mut nodes = NodeTable::default();
    for (tree, depth) in (1..=10).chain([7, 8, 10]).enumerate() {
        full_tree(&mut nodes, &mut rng, tree as u32, 0, depth, 8);
    }
    let features = (0..8)
        .map(|f| FeatureSpec::numeric(format!("f{f}")))
        .collect();
    let model =
        TreeEnsemble::try_new(Objective::SquaredError, 0.5, features, nodes).expect("valid");
    for missing_every in [0, 7] {
        let columns = random_columns(&mut rng, 8, 2 * binned::CHUNK + 1, 10, missing_every, 0);
        assert_every_path_agrees(&model, &columns, "complete trees");
    }
}

/// Appends a complete tree `depth` deep over `width` features as node `id`
/// of `tree`; returns the next free node id.
fn full_tree(
    nodes: &mut NodeTable,
    rng: &mut Lcg,
    tree: u32,
    id: u32,
    depth: u32,
    width: u64,
) -> u32 {
    let at = nodes.len();
    if depth == 0 {
        let leaf = rng.below(1000) as f64 / 100.0 - 5.0;
        nodes.push(tree, id, -1, 0.0, false, -1, -1, leaf, 0.0, 1.0);
        return id + 1;
    }
    let feature = rng.below(width) as i32;
    let threshold = rng.below(100) as f64 / 10.0;
    nodes.push(
        tree,
        id,
        feature,
        threshold,
        rng.below(2) == 0,
        0,
        0,
        0.0,
        1.0,
        2.0,
    );
    let left = id + 1;
    let right = full_tree(nodes, rng, tree, left, depth - 1, width);
    let next = full_tree(nodes, rng, tree, right, depth - 1, width);
    nodes.left[at] = left as i32;
    nodes.right[at] = right as i32;
    next
}

#[test]
fn features_with_more_cuts_than_a_byte_holds_route_alike_on_every_path() {
    // Thresholds in steps of 1/1000 over 400 trees: about 2,000 cuts a feature,
    // so each feature is binned into several columns.
    let mut rng = Lcg(11);
    let mut nodes = NodeTable::default();
    for tree in 0..400 {
        random_tree_scaled(&mut nodes, &mut rng, tree, 0, 7, 3, 1000);
    }
    let features = (0..3)
        .map(|f| FeatureSpec::numeric(format!("f{f}")))
        .collect();
    let model =
        TreeEnsemble::try_new(Objective::SquaredError, 0.5, features, nodes).expect("valid");
    let binned = BinnedForest::new(&model).expect("binned");
    assert!(binned.columns() > 3 * 4, "{} columns", binned.columns());
    let columns = random_columns(&mut rng, 3, binned::CHUNK + 50, 1000, 20, 0);
    assert_every_path_agrees(&model, &columns, "thousands of cuts");
}

/// [`random_tree`] with thresholds in steps of `1 / scale` over [0, 10).
fn random_tree_scaled(
    nodes: &mut NodeTable,
    rng: &mut Lcg,
    tree: u32,
    id: u32,
    depth: u32,
    width: u64,
    scale: u64,
) -> u32 {
    let at = nodes.len();
    if depth == 0 || rng.below(6) == 0 {
        let leaf = rng.below(1000) as f64 / 100.0 - 5.0;
        nodes.push(tree, id, -1, 0.0, false, -1, -1, leaf, 0.0, 1.0);
        return id + 1;
    }
    let feature = rng.below(width) as i32;
    let threshold = rng.below(10 * scale) as f64 / scale as f64;
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
    let right = random_tree_scaled(nodes, rng, tree, left, depth - 1, width, scale);
    let next = random_tree_scaled(nodes, rng, tree, right, depth - 1, width, scale);
    nodes.left[at] = left as i32;
    nodes.right[at] = right as i32;
    next
}

#[test]
fn signed_zeros_infinities_and_missing_values_route_alike_on_every_path() {
    // Splits at -0.0, 0.0 (one cut), ±infinity and subnormals; values on every
    // side of them, exactly on them, and missing; in trees of every depth up
    // to 9, so that the values take every level of the vector kernels and of
    // the linked part below them.
    let cuts = [
        -0.0,
        0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MIN_POSITIVE / 4.0,
        -f64::MIN_POSITIVE / 4.0,
        f64::MIN_POSITIVE,
        1.0,
    ];
    let mut nodes = NodeTable::default();
    let mut tree = 0u32;
    for depth in 1..=9u32 {
        for (c, threshold) in cuts.iter().enumerate() {
            // A chain of `depth` splits on this threshold: the split at level `l`
            // has id 2l, its exit leaf id 2l + 1, and the chain goes on (left or
            // right) at id 2l + 2, a leaf after the last split.
            let chain_left = (c + depth as usize).is_multiple_of(2);
            let default_left = (c / 2 + depth as usize).is_multiple_of(2);
            for level in 0..depth {
                let id = 2 * level;
                let (left, right) = if chain_left {
                    (id + 2, id + 1)
                } else {
                    (id + 1, id + 2)
                };
                nodes.push(
                    tree,
                    id,
                    0,
                    *threshold,
                    default_left,
                    left as i32,
                    right as i32,
                    0.0,
                    1.0,
                    2.0,
                );
                let exit = f64::from(tree) + f64::from(level) * 0.125 + 0.25;
                nodes.push(tree, id + 1, -1, 0.0, false, -1, -1, exit, 0.0, 1.0);
            }
            let end = -f64::from(tree) - 0.5;
            nodes.push(tree, 2 * depth, -1, 0.0, false, -1, -1, end, 0.0, 1.0);
            tree += 1;
        }
    }
    let model = TreeEnsemble::try_new(
        Objective::SquaredError,
        0.0,
        vec![FeatureSpec::numeric("x")],
        nodes,
    )
    .expect("valid");
    let values = [
        -0.0,
        0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        f64::MIN_POSITIVE / 4.0,
        -f64::MIN_POSITIVE / 4.0,
        f64::MIN_POSITIVE / 8.0,
        f64::MIN_POSITIVE,
        -1.0,
        1.0,
        f64::MAX,
        f64::MIN,
    ];
    for n in [1, MIN_BINNED_ROWS, binned::CHUNK + 40] {
        let column: Vec<f64> = values.iter().cycle().take(n).copied().collect();
        assert_every_path_agrees(&model, &[column], "special values");
    }
}

#[test]
fn short_and_absent_columns_are_missing_values_on_every_path() {
    // Columns shorter than the batch, and fewer columns than features: the
    // rows past their ends are missing, on every path as on the scalar one.
    let mut rng = Lcg(13);
    let model = random_model(&mut rng, 20, 8, 4);
    let forest = CompactForest::new(&model);
    let n = binned::CHUNK + 70;
    let columns = random_columns(&mut rng, 4, n, 10, 9, 0);
    let short: Vec<&[f64]> = vec![&columns[0], &columns[1][..n - 50], &columns[2][..10]];
    let mut expected = vec![0.0; n];
    forest.margins(&short, &mut expected, PredictPath::Scalar);
    for (i, margin) in expected.iter().enumerate() {
        let value = |c: &[f64]| c.get(i).copied().unwrap_or(f64::NAN);
        let row = [value(short[0]), value(short[1]), value(short[2]), f64::NAN];
        assert_eq!(
            margin.to_bits(),
            reference(&model, &row).to_bits(),
            "row {i}"
        );
    }
    for path in paths() {
        let mut out = vec![0.0; n];
        forest.margins(&short, &mut out, path);
        assert_eq!(
            out.iter().map(|m| m.to_bits()).collect::<Vec<_>>(),
            expected.iter().map(|m| m.to_bits()).collect::<Vec<_>>(),
            "path {path}"
        );
    }
}

#[test]
fn the_path_variable_names_a_path_or_falls_back() {
    let best = PredictPath::detect();
    assert!(best.available());
    assert_eq!(PredictPath::parse(None), Ok(best));
    assert_eq!(PredictPath::parse(Some("")), Ok(best));
    assert_eq!(PredictPath::parse(Some("AUTO")), Ok(best));
    assert_eq!(PredictPath::parse(Some("scalar")), Ok(PredictPath::Scalar));
    assert!(PredictPath::parse(Some("sse9")).is_err());
    for path in PredictPath::ALL {
        assert_eq!(
            PredictPath::parse(Some(path.name())).is_ok(),
            path.available()
        );
    }
    // A forest can be told its path; one this CPU cannot run leaves it as it was.
    let model = random_model(&mut Lcg(3), 4, 3, 2);
    for path in PredictPath::ALL {
        let forest = CompactForest::new(&model).with_path(path);
        assert_eq!(forest.path() == path, path.available());
    }
}
