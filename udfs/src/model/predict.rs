//! Firn's compact predictor: the node table flattened into arrays laid out for
//! scoring a batch of rows at a time.

use crate::model::ensemble::TreeEnsemble;

/// Marks a leaf in `CompactForest::feature`.
const LEAF: u32 = u32::MAX;

/// The trees of a model as flat arrays with absolute child indices.
#[derive(Debug, Clone)]
pub struct CompactForest {
    feature: Vec<u32>,
    threshold: Vec<f64>,
    /// `[left, right]` as absolute node indices; for leaves, unused.
    children: Vec<[u32; 2]>,
    default_left: Vec<bool>,
    leaf_value: Vec<f64>,
    roots: Vec<u32>,
    base_score: f64,
    num_features: usize,
}

impl CompactForest {
    /// Flattens a validated ensemble.
    pub fn new(model: &TreeEnsemble) -> Self {
        let nodes = model.nodes();
        let mut children = Vec::with_capacity(nodes.len());
        let mut feature = Vec::with_capacity(nodes.len());
        for t in 0..model.num_trees() {
            let range = model.tree_range(t);
            let start = range.start as u32;
            for i in range {
                if nodes.is_leaf(i) {
                    feature.push(LEAF);
                    children.push([0, 0]);
                } else {
                    // Validation guarantees children are in range and greater than the parent.
                    feature.push(nodes.feature[i] as u32);
                    children.push([start + nodes.left[i] as u32, start + nodes.right[i] as u32]);
                }
            }
        }
        Self {
            feature,
            threshold: nodes.threshold.clone(),
            children,
            default_left: nodes.default_left.clone(),
            leaf_value: nodes.leaf_value.clone(),
            roots: model.tree_starts().iter().map(|&s| s as u32).collect(),
            base_score: model.base_score(),
            num_features: model.features().len(),
        }
    }

    /// Number of input features.
    pub fn num_features(&self) -> usize {
        self.num_features
    }

    /// The leaf a row reaches in the tree rooted at `root`.
    #[inline]
    fn leaf(&self, root: u32, columns: &[&[f64]], row: usize) -> usize {
        let mut node = root as usize;
        loop {
            let feature = self.feature[node];
            if feature == LEAF {
                return node;
            }
            let value = columns[feature as usize][row];
            let go_left = if value.is_nan() {
                self.default_left[node]
            } else {
                value < self.threshold[node]
            };
            node = self.children[node][usize::from(!go_left)] as usize;
        }
    }

    /// Margins of `rows` rows given as one slice per feature; adds into `out`
    /// (which must hold `rows` values) after setting it to the base score.
    pub fn predict_margin_into(&self, columns: &[&[f64]], out: &mut [f64]) {
        out.fill(self.base_score);
        // Tree-major order keeps one tree's nodes hot in cache across the batch.
        for &root in &self.roots {
            for (row, margin) in out.iter_mut().enumerate() {
                *margin += self.leaf_value[self.leaf(root, columns, row)];
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
