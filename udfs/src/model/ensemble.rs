//! The model format: an ensemble of binary trees as one node table.
//!
//! Row `i` of the table is one node. Trees are stored one after another, each
//! starting with its root (`node_id` 0); `left`/`right` are node ids within the
//! same tree and always greater than the parent's id, so every path ends.
//! A row goes left when `value < threshold`, and follows `default_left` when the
//! value is missing (NaN). The prediction margin is `base_score` plus the sum of
//! the leaf values reached in every tree; the objective turns it into a
//! probability (logistic) or leaves it as the value (squared error).

use datafusion::common::{Result, plan_err};

/// What the model predicts and how its margin becomes a prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    /// Binary classification; prediction = sigmoid(margin).
    BinaryLogistic,
    /// Regression; prediction = margin.
    SquaredError,
}

impl Objective {
    /// The name stored in model files (XGBoost's spelling).
    pub fn name(self) -> &'static str {
        match self {
            Objective::BinaryLogistic => "binary:logistic",
            Objective::SquaredError => "reg:squarederror",
        }
    }

    /// Parses a stored name.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "binary:logistic" => Ok(Objective::BinaryLogistic),
            "reg:squarederror" => Ok(Objective::SquaredError),
            other => plan_err!(
                "unknown objective '{other}'; expected 'binary:logistic' or 'reg:squarederror'"
            ),
        }
    }

    /// Turns a margin into a prediction.
    pub fn transform(self, margin: f64) -> f64 {
        match self {
            Objective::BinaryLogistic => 1.0 / (1.0 + (-margin).exp()),
            Objective::SquaredError => margin,
        }
    }
}

/// How a feature's values become numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureKind {
    /// Numbers (integers, floats, booleans as 0/1, dates as days since 1970-01-01).
    Numeric,
    /// Strings coded by their position in `categories` (sorted); unknown values are missing.
    Categorical {
        /// The categories seen in training, sorted.
        categories: Vec<String>,
    },
}

/// One input feature of a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureSpec {
    /// Column name in the training data.
    pub name: String,
    /// How values are encoded.
    pub kind: FeatureKind,
}

impl FeatureSpec {
    /// A numeric feature.
    pub fn numeric(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: FeatureKind::Numeric,
        }
    }
}

/// The nodes of all trees, one vector per column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeTable {
    /// Tree of the node, from 0, non-decreasing.
    pub tree_id: Vec<u32>,
    /// Node id within its tree; the root is 0 and a tree's nodes are numbered 0..n in order.
    pub node_id: Vec<u32>,
    /// Feature index of the split; -1 for a leaf.
    pub feature: Vec<i32>,
    /// Split threshold: `value < threshold` goes left.
    pub threshold: Vec<f64>,
    /// Where a missing value goes.
    pub default_left: Vec<bool>,
    /// Left child's node id; -1 for a leaf.
    pub left: Vec<i32>,
    /// Right child's node id; -1 for a leaf.
    pub right: Vec<i32>,
    /// Value added to the margin at a leaf (learning rate applied); a node's weight elsewhere.
    pub leaf_value: Vec<f64>,
    /// Loss reduction of the split (0 for leaves).
    pub gain: Vec<f64>,
    /// Sum of hessians of the training rows that reached the node.
    pub cover: Vec<f64>,
}

impl NodeTable {
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.tree_id.len()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.tree_id.is_empty()
    }

    /// Whether node `i` is a leaf.
    pub fn is_leaf(&self, i: usize) -> bool {
        self.feature[i] < 0
    }

    /// Appends one node.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        tree_id: u32,
        node_id: u32,
        feature: i32,
        threshold: f64,
        default_left: bool,
        left: i32,
        right: i32,
        leaf_value: f64,
        gain: f64,
        cover: f64,
    ) {
        self.tree_id.push(tree_id);
        self.node_id.push(node_id);
        self.feature.push(feature);
        self.threshold.push(threshold);
        self.default_left.push(default_left);
        self.left.push(left);
        self.right.push(right);
        self.leaf_value.push(leaf_value);
        self.gain.push(gain);
        self.cover.push(cover);
    }
}

/// A trained tree ensemble, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeEnsemble {
    objective: Objective,
    base_score: f64,
    features: Vec<FeatureSpec>,
    nodes: NodeTable,
    /// Index in `nodes` of each tree's root.
    tree_starts: Vec<usize>,
}

impl TreeEnsemble {
    /// Checks the node table (a corrupt file must be an error, never a panic) and builds the model.
    pub fn try_new(
        objective: Objective,
        base_score: f64,
        features: Vec<FeatureSpec>,
        nodes: NodeTable,
    ) -> Result<Self> {
        let n = nodes.len();
        let columns = [
            nodes.node_id.len(),
            nodes.feature.len(),
            nodes.threshold.len(),
            nodes.default_left.len(),
            nodes.left.len(),
            nodes.right.len(),
            nodes.leaf_value.len(),
            nodes.gain.len(),
            nodes.cover.len(),
        ];
        if columns.iter().any(|&len| len != n) {
            return plan_err!("invalid model: node table columns have different lengths");
        }
        if !base_score.is_finite() {
            return plan_err!("invalid model: base_score is {base_score}");
        }
        let mut tree_starts = Vec::new();
        let mut i = 0;
        while i < n {
            let tree = nodes.tree_id[i];
            if tree as usize != tree_starts.len() {
                return plan_err!(
                    "invalid model: node {i} belongs to tree {tree}, expected tree {}",
                    tree_starts.len()
                );
            }
            let start = i;
            while i < n && nodes.tree_id[i] == tree {
                i += 1;
            }
            let size = i - start;
            for (offset, row) in (start..i).enumerate() {
                if nodes.node_id[row] as usize != offset {
                    return plan_err!(
                        "invalid model: tree {tree} has node id {} at position {offset}",
                        nodes.node_id[row]
                    );
                }
                let feature = nodes.feature[row];
                if feature < 0 {
                    if !nodes.leaf_value[row].is_finite() {
                        return plan_err!(
                            "invalid model: leaf {offset} of tree {tree} has value {}",
                            nodes.leaf_value[row]
                        );
                    }
                    continue;
                }
                if feature as usize >= features.len() {
                    return plan_err!(
                        "invalid model: tree {tree} node {offset} splits on feature {feature}, but the model has {} features",
                        features.len()
                    );
                }
                for child in [nodes.left[row], nodes.right[row]] {
                    if child <= offset as i32 || child as usize >= size {
                        return plan_err!(
                            "invalid model: tree {tree} node {offset} has child {child} (tree has {size} nodes)"
                        );
                    }
                }
                if nodes.threshold[row].is_nan() {
                    return plan_err!(
                        "invalid model: tree {tree} node {offset} has a NaN threshold"
                    );
                }
            }
            // Each node but the root has exactly one parent: a shared subtree would make
            // path-based algorithms (TreeSHAP) exponential on a crafted file.
            let mut parents = vec![0u32; size];
            for row in start..i {
                if nodes.feature[row] >= 0 {
                    parents[nodes.left[row] as usize] += 1;
                    parents[nodes.right[row] as usize] += 1;
                }
            }
            if let Some(node) = parents.iter().skip(1).position(|&p| p != 1) {
                return plan_err!(
                    "invalid model: tree {tree} node {} has {} parents, expected 1",
                    node + 1,
                    parents[node + 1]
                );
            }
            tree_starts.push(start);
        }
        Ok(Self {
            objective,
            base_score,
            features,
            nodes,
            tree_starts,
        })
    }

    /// The objective.
    pub fn objective(&self) -> Objective {
        self.objective
    }

    /// The margin before any tree.
    pub fn base_score(&self) -> f64 {
        self.base_score
    }

    /// The input features, in the order predictions take them.
    pub fn features(&self) -> &[FeatureSpec] {
        &self.features
    }

    /// The node table.
    pub fn nodes(&self) -> &NodeTable {
        &self.nodes
    }

    /// Number of trees.
    pub fn num_trees(&self) -> usize {
        self.tree_starts.len()
    }

    /// Index in the node table of each tree's root.
    pub fn tree_starts(&self) -> &[usize] {
        &self.tree_starts
    }

    /// The nodes of tree `t` as a range of node-table rows.
    pub fn tree_range(&self, t: usize) -> std::ops::Range<usize> {
        let end = self
            .tree_starts
            .get(t + 1)
            .copied()
            .unwrap_or(self.nodes.len());
        self.tree_starts[t]..end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One stump on feature 0 at 1.5: left leaf -1, right leaf +1, missing goes right.
    pub(crate) fn stump() -> NodeTable {
        let mut nodes = NodeTable::default();
        nodes.push(0, 0, 0, 1.5, false, 1, 2, 0.0, 2.0, 4.0);
        nodes.push(0, 1, -1, 0.0, false, -1, -1, -1.0, 0.0, 2.0);
        nodes.push(0, 2, -1, 0.0, false, -1, -1, 1.0, 0.0, 2.0);
        nodes
    }

    #[test]
    fn validates_a_good_model() {
        let model = TreeEnsemble::try_new(
            Objective::BinaryLogistic,
            0.0,
            vec![FeatureSpec::numeric("x")],
            stump(),
        )
        .expect("valid");
        assert_eq!(model.num_trees(), 1);
        assert_eq!(model.tree_range(0), 0..3);
    }

    #[test]
    fn rejects_corrupt_tables() {
        let features = vec![FeatureSpec::numeric("x")];
        let mut cycle = stump();
        cycle.left[0] = 0;
        let err = TreeEnsemble::try_new(Objective::BinaryLogistic, 0.0, features.clone(), cycle)
            .expect_err("cycle");
        assert!(err.to_string().contains("has child 0"), "{err}");

        let mut bad_feature = stump();
        bad_feature.feature[0] = 3;
        let err = TreeEnsemble::try_new(
            Objective::BinaryLogistic,
            0.0,
            features.clone(),
            bad_feature,
        )
        .expect_err("feature");
        assert!(err.to_string().contains("splits on feature 3"), "{err}");

        let mut short = stump();
        short.cover.pop();
        assert!(
            TreeEnsemble::try_new(Objective::BinaryLogistic, 0.0, features.clone(), short).is_err()
        );

        let mut shared = stump();
        shared.right[0] = 1;
        let err = TreeEnsemble::try_new(Objective::BinaryLogistic, 0.0, features.clone(), shared)
            .expect_err("shared child");
        assert!(err.to_string().contains("node 1 has 2 parents"), "{err}");

        let mut nan_leaf = stump();
        nan_leaf.leaf_value[1] = f64::NAN;
        assert!(TreeEnsemble::try_new(Objective::BinaryLogistic, 0.0, features, nan_leaf).is_err());
    }

    #[test]
    fn objective_names_round_trip() {
        for objective in [Objective::BinaryLogistic, Objective::SquaredError] {
            assert_eq!(
                Objective::from_name(objective.name()).expect("known"),
                objective
            );
        }
        assert!(Objective::from_name("multi:softmax").is_err());
        assert!((Objective::BinaryLogistic.transform(0.0) - 0.5).abs() < 1e-15);
    }
}
