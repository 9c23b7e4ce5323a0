//! Firn's compact predictor: the node table flattened into arrays laid out for
//! scoring a batch of rows at a time.

use crate::model::ensemble::TreeEnsemble;

/// Low 31 bits of `Node::feature` on a leaf.
const LEAF: u32 = 0x7FFF_FFFF;
/// High bit of `Node::feature`: a missing value goes left.
const DEFAULT_LEFT: u32 = 0x8000_0000;

/// One node in 16 bytes, so a visit touches one cache line: the threshold (or
/// the leaf's value), the feature with the missing-value direction in its high
/// bit (or `LEAF`), and the index of the left child — the right child is the
/// next node, because children are laid out in pairs.
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
    roots: Vec<u32>,
    base_score: f64,
    num_features: usize,
}

impl CompactForest {
    /// Flattens a validated ensemble, laying each tree out breadth-first with
    /// sibling nodes side by side.
    pub fn new(model: &TreeEnsemble) -> Self {
        let table = model.nodes();
        let mut nodes: Vec<Node> = Vec::with_capacity(table.len());
        let mut roots = Vec::with_capacity(model.num_trees());
        let mut queue = std::collections::VecDeque::new();
        for t in 0..model.num_trees() {
            let start = model.tree_range(t).start;
            let root = nodes.len();
            roots.push(root as u32);
            nodes.push(Node {
                value: 0.0,
                feature: LEAF,
                left: 0,
            });
            queue.push_back((start, root));
            while let Some((row, at)) = queue.pop_front() {
                if table.is_leaf(row) {
                    nodes[at] = Node {
                        value: table.leaf_value[row],
                        feature: LEAF,
                        left: 0,
                    };
                    continue;
                }
                // Validation guarantees children are in range and greater than the parent.
                let left = nodes.len();
                nodes.push(Node {
                    value: 0.0,
                    feature: LEAF,
                    left: 0,
                });
                nodes.push(Node {
                    value: 0.0,
                    feature: LEAF,
                    left: 0,
                });
                let flag = if table.default_left[row] {
                    DEFAULT_LEFT
                } else {
                    0
                };
                nodes[at] = Node {
                    value: table.threshold[row],
                    feature: table.feature[row] as u32 | flag,
                    left: left as u32,
                };
                queue.push_back((start + table.left[row] as usize, left));
                queue.push_back((start + table.right[row] as usize, left + 1));
            }
        }
        Self {
            nodes,
            roots,
            base_score: model.base_score(),
            num_features: model.features().len(),
        }
    }

    /// Number of input features.
    pub fn num_features(&self) -> usize {
        self.num_features
    }

    /// The value of the leaf a row reaches in the tree rooted at `root`.
    #[inline]
    fn leaf_value(&self, root: u32, columns: &[&[f64]], row: usize) -> f64 {
        let mut node = self.nodes[root as usize];
        loop {
            let feature = node.feature & LEAF;
            if feature == LEAF {
                return node.value;
            }
            let value = columns[feature as usize][row];
            let go_right = if value.is_nan() {
                node.feature & DEFAULT_LEFT == 0
            } else {
                value >= node.value
            };
            node = self.nodes[node.left as usize + usize::from(go_right)];
        }
    }

    /// Margins of `rows` rows given as one slice per feature; adds into `out`
    /// (which must hold `rows` values) after setting it to the base score.
    pub fn predict_margin_into(&self, columns: &[&[f64]], out: &mut [f64]) {
        out.fill(self.base_score);
        // Tree-major order keeps one tree's nodes hot in cache across the batch.
        for &root in &self.roots {
            for (row, margin) in out.iter_mut().enumerate() {
                *margin += self.leaf_value(root, columns, row);
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
    }
}
