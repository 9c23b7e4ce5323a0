//! A tree whose leaves' SHAP values are tabulated for every pattern of
//! satisfied path features ([`super::leaf_patterns`]), so explaining a row
//! is a lookup per leaf: O(leaves × depth) per row and tree instead of the
//! walk's O(leaves × depth²), with no floating-point work but the additions.
//!
//! A row first decides every split (one comparison per internal node, in
//! pre-order so a node's pattern is known before its children's): a child's
//! pattern is its parent's with the split's slot cleared when the row goes the
//! other way. Then every leaf adds the `u` values of its pattern's entry to the
//! SHAP values of its slots' features.

use crate::model::ensemble::TreeEnsemble;

use super::leaf_patterns::{MAX_SLOTS, PatternWorkspace, leaf_pattern_values, table_len};
use super::split_fractions;

/// A slot not taken, in the per-feature slot map.
const NO_SLOT: u8 = u8::MAX;

/// An internal node, in pre-order.
#[derive(Debug, Clone, Copy)]
struct Split {
    threshold: f64,
    feature: u32,
    /// The node's index in the tree (its pattern's place in the pattern buffer).
    node: u32,
    /// `[left, right]` as indices in the tree.
    children: [u32; 2],
    /// The bit of the split feature's slot.
    bit: u32,
    default_left: bool,
}

/// A leaf whose path splits on at least one feature.
#[derive(Debug, Clone, Copy)]
struct Leaf {
    /// The leaf's index in the tree.
    node: u32,
    /// Distinct features on its path (`u`).
    slots: u32,
    /// Where its `u` slot features start in `leaf_features`.
    features: usize,
    /// Where its `u · 2^u` values start in `values`.
    values: usize,
}

/// A tree with its leaves' tables.
#[derive(Debug, Clone)]
pub(super) struct TableTree {
    splits: Vec<Split>,
    leaves: Vec<Leaf>,
    /// Each leaf's slot features, in slot order.
    leaf_features: Vec<u32>,
    /// Each leaf's table: `2^u` entries of `u` values.
    values: Vec<f64>,
    /// Nodes in the tree: the length of the pattern buffer.
    size: usize,
}

/// A tree's layout before its tables are computed: what they would cost.
#[derive(Debug)]
pub(super) struct TreeLayout {
    tree: TableTree,
    /// Each leaf's value.
    leaf_values: Vec<f64>,
    /// Each leaf's slot zero fractions, beside `leaf_features`.
    leaf_zeros: Vec<f64>,
}

/// One step of the depth-first walk that lays a tree out.
enum Step {
    Visit(u32),
    /// Enter `child` through an edge on `slot` with cover share `fraction`.
    Edge {
        slot: u8,
        fraction: f64,
        child: u32,
    },
    /// Leave a child: the slot's zero fraction before its edge.
    Restore {
        slot: u8,
        zero: f64,
    },
    /// Leave a split; `introduced` when the split's feature took a new slot.
    Close {
        feature: u32,
        introduced: bool,
    },
}

impl TreeLayout {
    /// Lays out tree `tree` of `model`, or `None` when a path splits on more than
    /// [`MAX_SLOTS`] distinct features or the tables would hold more than
    /// `max_values` values. Costs O(nodes) time and memory whatever the depth.
    pub(super) fn new(model: &TreeEnsemble, tree: usize, max_values: usize) -> Option<Self> {
        let table = model.nodes();
        let start = model.tree_range(tree).start;
        let size = model.tree_range(tree).len();
        let mut slot_of = vec![NO_SLOT; model.features().len()];
        let mut path_features: Vec<u32> = Vec::with_capacity(MAX_SLOTS);
        let mut path_zeros: Vec<f64> = Vec::with_capacity(MAX_SLOTS);
        let mut layout = TreeLayout {
            tree: TableTree {
                splits: Vec::new(),
                leaves: Vec::new(),
                leaf_features: Vec::new(),
                values: Vec::new(),
                size,
            },
            leaf_values: Vec::new(),
            leaf_zeros: Vec::new(),
        };
        let mut values = 0usize;
        let mut stack = vec![Step::Visit(0)];
        while let Some(step) = stack.pop() {
            match step {
                Step::Visit(node) => {
                    let row = start + node as usize;
                    if table.is_leaf(row) {
                        // A leaf reached without a split only moves the expected value.
                        if !path_features.is_empty() {
                            let slots = path_features.len();
                            layout.tree.leaves.push(Leaf {
                                node,
                                slots: slots as u32,
                                features: layout.tree.leaf_features.len(),
                                values,
                            });
                            layout.tree.leaf_features.extend_from_slice(&path_features);
                            layout.leaf_zeros.extend_from_slice(&path_zeros);
                            layout.leaf_values.push(table.leaf_value[row]);
                            values = values
                                .checked_add(table_len(slots))
                                .filter(|&v| v <= max_values)?;
                        }
                        continue;
                    }
                    // Validation guarantees a feature of the model and children inside the tree.
                    let feature = table.feature[row] as u32;
                    let known = slot_of[feature as usize];
                    let introduced = known == NO_SLOT;
                    let slot = if introduced {
                        if path_features.len() == MAX_SLOTS {
                            return None;
                        }
                        let slot = path_features.len() as u8;
                        slot_of[feature as usize] = slot;
                        path_features.push(feature);
                        path_zeros.push(1.0);
                        slot
                    } else {
                        known
                    };
                    let children = [table.left[row] as u32, table.right[row] as u32];
                    layout.tree.splits.push(Split {
                        threshold: table.threshold[row],
                        feature,
                        node,
                        children,
                        bit: 1 << slot,
                        default_left: table.default_left[row],
                    });
                    let fraction = split_fractions(
                        table.cover[row],
                        table.cover[start + children[0] as usize],
                        table.cover[start + children[1] as usize],
                    );
                    stack.push(Step::Close {
                        feature,
                        introduced,
                    });
                    for side in [1, 0] {
                        stack.push(Step::Edge {
                            slot,
                            fraction: fraction[side],
                            child: children[side],
                        });
                    }
                }
                Step::Edge {
                    slot,
                    fraction,
                    child,
                } => {
                    let zero = path_zeros[slot as usize];
                    path_zeros[slot as usize] = fraction * zero;
                    stack.push(Step::Restore { slot, zero });
                    stack.push(Step::Visit(child));
                }
                Step::Restore { slot, zero } => path_zeros[slot as usize] = zero,
                Step::Close {
                    feature,
                    introduced,
                } => {
                    if introduced {
                        slot_of[feature as usize] = NO_SLOT;
                        path_features.pop();
                        path_zeros.pop();
                    }
                }
            }
        }
        Some(layout)
    }

    /// Values the tables will hold.
    pub(super) fn values(&self) -> usize {
        self.tree
            .leaves
            .iter()
            .map(|leaf| table_len(leaf.slots as usize))
            .sum()
    }

    /// Computes every leaf's table.
    pub(super) fn tabulate(self) -> TableTree {
        let mut values = vec![0.0; self.values()];
        let TreeLayout {
            mut tree,
            leaf_values,
            leaf_zeros,
        } = self;
        let mut work = PatternWorkspace::default();
        for (leaf, &value) in tree.leaves.iter().zip(&leaf_values) {
            let slots = leaf.slots as usize;
            let zeros = &leaf_zeros[leaf.features..leaf.features + slots];
            let out = &mut values[leaf.values..leaf.values + table_len(slots)];
            leaf_pattern_values(value, zeros, out, &mut work);
        }
        tree.values = values;
        tree
    }
}

impl TableTree {
    /// Nodes in the tree: the pattern buffer [`TableTree::explain`] needs.
    pub(super) fn size(&self) -> usize {
        self.size
    }

    /// Bytes of the tables.
    pub(super) fn table_bytes(&self) -> usize {
        self.values.len() * size_of::<f64>()
    }

    /// Adds the tree's SHAP values for the row `x` (one value per feature) to
    /// `phi`; `patterns` holds at least [`TableTree::size`] entries.
    #[inline]
    pub(super) fn explain(&self, x: &[f64], phi: &mut [f64], patterns: &mut [u32]) {
        patterns[0] = u32::MAX;
        for split in &self.splits {
            let pattern = patterns[split.node as usize];
            let value = x[split.feature as usize];
            let go_left = if value.is_nan() {
                split.default_left
            } else {
                value < split.threshold
            };
            let (left, right) = if go_left {
                (pattern, pattern & !split.bit)
            } else {
                (pattern & !split.bit, pattern)
            };
            patterns[split.children[0] as usize] = left;
            patterns[split.children[1] as usize] = right;
        }
        for leaf in &self.leaves {
            let slots = leaf.slots as usize;
            let pattern = (patterns[leaf.node as usize] & ((1 << slots) - 1)) as usize;
            let values = &self.values[leaf.values + pattern * slots..][..slots];
            let features = &self.leaf_features[leaf.features..][..slots];
            for (&feature, &value) in features.iter().zip(values) {
                phi[feature as usize] += value;
            }
        }
    }
}
