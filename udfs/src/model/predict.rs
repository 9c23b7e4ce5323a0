//! Firn's compact predictor: the node table flattened into arrays laid out for
//! scoring a batch of rows at a time.
//!
//! Rows are scored in chunks that stay in cache; within a chunk each tree
//! routes [`LANES`] rows at once, one level per step, without branching on the
//! data: a split picks the next node arithmetically and a leaf points at
//! itself, so a tree takes exactly its depth in steps and the lanes' loads
//! overlap instead of waiting on mispredicted branches.

use crate::model::ensemble::TreeEnsemble;

/// `Node::feature` bit: the node is a leaf.
const LEAF: u32 = 0x4000_0000;
/// `Node::feature` bit: a missing value goes left.
const DEFAULT_LEFT: u32 = 0x8000_0000;
/// `Node::feature` bits holding the column index.
const COLUMN: u32 = 0x3FFF_FFFF;
/// Rows routed together through a tree.
const LANES: usize = 8;
/// Rows per chunk: a chunk's feature values stay in the L1/L2 cache while every tree visits them.
const CHUNK: usize = 512;

/// One node in 16 bytes, so a visit touches one cache line: the threshold (or
/// the leaf's value), the column with the leaf and missing-value flags in its
/// high bits, and the index of the left child — the right child is the next
/// node, because children are laid out in pairs. A leaf's `left` is its own
/// index and its column 0, so routing a row that reached a leaf keeps it there.
#[derive(Debug, Clone, Copy)]
struct Node {
    value: f64,
    feature: u32,
    left: u32,
}

/// The trees of a model as one array of packed nodes.
#[derive(Debug, Clone)]
pub struct CompactForest {
    nodes: Vec<Node>,
    /// Root index and depth (edges on the longest path) of each tree.
    trees: Vec<(u32, u32)>,
    base_score: f64,
    num_features: usize,
}

impl CompactForest {
    /// Flattens a validated ensemble, laying each tree out breadth-first with
    /// sibling nodes side by side.
    pub fn new(model: &TreeEnsemble) -> Self {
        let table = model.nodes();
        let mut nodes: Vec<Node> = Vec::with_capacity(table.len());
        let mut trees = Vec::with_capacity(model.num_trees());
        let mut queue = std::collections::VecDeque::new();
        let placeholder = Node {
            value: 0.0,
            feature: LEAF,
            left: 0,
        };
        for t in 0..model.num_trees() {
            let start = model.tree_range(t).start;
            let root = nodes.len();
            nodes.push(placeholder);
            queue.push_back((start, root, 0u32));
            let mut depth = 0;
            while let Some((row, at, level)) = queue.pop_front() {
                depth = depth.max(level);
                if table.is_leaf(row) {
                    nodes[at] = Node {
                        value: table.leaf_value[row],
                        feature: LEAF,
                        left: at as u32,
                    };
                    continue;
                }
                // Validation guarantees children are in range and greater than the parent.
                let left = nodes.len();
                nodes.push(placeholder);
                nodes.push(placeholder);
                let flag = if table.default_left[row] {
                    DEFAULT_LEFT
                } else {
                    0
                };
                nodes[at] = Node {
                    value: table.threshold[row],
                    feature: (table.feature[row] as u32 & COLUMN) | flag,
                    left: left as u32,
                };
                queue.push_back((start + table.left[row] as usize, left, level + 1));
                queue.push_back((start + table.right[row] as usize, left + 1, level + 1));
            }
            trees.push((root as u32, depth));
        }
        Self {
            nodes,
            trees,
            base_score: model.base_score(),
            num_features: model.features().len(),
        }
    }

    /// Number of input features.
    pub fn num_features(&self) -> usize {
        self.num_features
    }

    /// The node after `node` for a row whose value of `node`'s column is `value`.
    #[inline(always)]
    fn next(node: &Node, value: f64) -> u32 {
        let go_right = if value.is_nan() {
            node.feature & DEFAULT_LEFT == 0
        } else {
            value >= node.value
        };
        let split = node.feature & LEAF == 0;
        node.left + u32::from(go_right & split)
    }

    /// The value of the leaf row `row` reaches in a tree.
    #[inline]
    fn leaf_value(&self, (root, depth): (u32, u32), columns: &[&[f64]], row: usize) -> f64 {
        let mut at = root;
        for _ in 0..depth {
            let node = &self.nodes[at as usize];
            let value = columns[(node.feature & COLUMN) as usize][row];
            at = Self::next(node, value);
        }
        self.nodes[at as usize].value
    }

    /// Adds each tree's leaf value of rows `first..first + LANES` into `out`.
    #[inline]
    fn add_lanes(&self, columns: &[&[f64]], first: usize, out: &mut [f64]) {
        for &(root, depth) in &self.trees {
            let mut at = [root; LANES];
            for _ in 0..depth {
                for (lane, slot) in at.iter_mut().enumerate() {
                    let node = &self.nodes[*slot as usize];
                    let value = columns[(node.feature & COLUMN) as usize][first + lane];
                    *slot = Self::next(node, value);
                }
            }
            for (margin, slot) in out.iter_mut().zip(at) {
                *margin += self.nodes[slot as usize].value;
            }
        }
    }

    /// Margins of `rows` rows given as one slice per feature; adds into `out`
    /// (which must hold `rows` values) after setting it to the base score.
    pub fn predict_margin_into(&self, columns: &[&[f64]], out: &mut [f64]) {
        out.fill(self.base_score);
        if self.num_features == 0 {
            // Without features every tree is a single leaf.
            let total: f64 = self
                .trees
                .iter()
                .map(|&(root, _)| self.nodes[root as usize].value)
                .sum();
            out.iter_mut().for_each(|margin| *margin += total);
            return;
        }
        for (c, chunk) in out.chunks_mut(CHUNK).enumerate() {
            let start = c * CHUNK;
            let whole = chunk.len() / LANES * LANES;
            let (lanes, rest) = chunk.split_at_mut(whole);
            for (b, block) in lanes.chunks_exact_mut(LANES).enumerate() {
                self.add_lanes(columns, start + b * LANES, block);
            }
            for (i, margin) in rest.iter_mut().enumerate() {
                for &tree in &self.trees {
                    *margin += self.leaf_value(tree, columns, start + whole + i);
                }
            }
        }
    }

    /// Margins of a batch given as one slice per feature.
    pub fn predict_margin(&self, columns: &[&[f64]]) -> Vec<f64> {
        let rows = columns.first().map_or(0, |c| c.len());
        let mut out = vec![0.0; rows];
        self.predict_margin_into(columns, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
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
}
