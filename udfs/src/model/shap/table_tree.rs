//! A tree whose SHAP values are tabulated ([`super::leaf_patterns`]), so
//! explaining a row is one comparison per split and a few table lookups:
//! O(leaves × depth) per row and tree at most, instead of the walk's
//! O(leaves × depth²), with no floating-point work but additions.
//!
//! A leaf's values depend on the row only through its pattern (which of its
//! path's `u` slots the row satisfies). Going down from the root, a child's
//! pattern is its parent's with the split's slot cleared when the row goes the
//! other way. The tree is cut into *blocks*, subtrees whose values are
//! tabulated together: a block is indexed by its root's pattern (`r` bits, the
//! slots of the path down to it) and the row's direction at each of its `s`
//! splits, so it takes `2^(r + s)` entries of one value per distinct feature in
//! it. Every block is as large as [`BLOCK_BITS`] index bits allow, a leaf at the
//! least; splits above the blocks pass patterns down. A full tree of depth 6
//! over 8 features becomes 15 splits above 16 blocks of 3 splits and 4 leaves:
//! per row 63 comparisons and 16 lookups of ≤ 7 values, where a table per leaf
//! needs 64 lookups of ≤ 6 values.

use crate::model::ensemble::TreeEnsemble;

use super::leaf_patterns::{MAX_SLOTS, PatternWorkspace, expanded_len, expanded_values};
use super::split_fractions;

/// The most index bits (root pattern slots + splits) of a block of several
/// leaves; a leaf alone may take up to [`MAX_SLOTS`]. Measured with 6 to 10 bits
/// (callgrind and CPU time, `benches/shap.sh` models): on 100 trees of depth 8,
/// 8 bits take 19 % fewer instructions than 7 and 9 bits only 10 % fewer than 8
/// for 28 % more memory; on depth 6, 7 to 9 bits are within noise of each other.
pub(super) const BLOCK_BITS: usize = 8;

/// A slot not taken, in the per-feature slot map.
const NO_SLOT: u8 = u8::MAX;

/// A split above the blocks, in pre-order: passes its pattern to its children.
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

/// A split inside a block: one bit of the block's index.
#[derive(Debug, Clone, Copy)]
struct Decision {
    threshold: f64,
    feature: u32,
    default_left: bool,
}

/// A subtree tabulated as one.
#[derive(Debug, Clone, Copy)]
struct Block {
    /// The block root's index in the tree.
    root: u32,
    /// Slots of the path down to the root: the low bits of the index.
    root_slots: u32,
    /// Where its splits start in `decisions` (pre-order; split `k` is index bit `root_slots + k`).
    decisions: u32,
    /// Its split count.
    splits: u32,
    /// Where its distinct features start in `block_features`.
    features: u32,
    /// Its distinct feature count: values per entry.
    width: u32,
    /// Where its `2^(root_slots + splits)` entries start in `values`.
    values: usize,
}

impl Block {
    fn entries(&self) -> usize {
        1 << (self.root_slots + self.splits)
    }

    fn len(&self) -> usize {
        self.entries().saturating_mul(self.width as usize)
    }
}

/// A tree with its blocks' tables.
#[derive(Debug, Clone)]
pub(super) struct TableTree {
    splits: Vec<Split>,
    decisions: Vec<Decision>,
    blocks: Vec<Block>,
    /// Each block's distinct features.
    block_features: Vec<u32>,
    /// Each block's table: entries of `width` values.
    values: Vec<f64>,
    /// Nodes in the tree: the length of the pattern buffer.
    size: usize,
}

/// What the walk that lays a tree out learns about a node.
#[derive(Debug, Clone, Copy, Default)]
struct NodeInfo {
    parent: u32,
    /// 0 left of its parent, 1 right.
    side: u8,
    /// Slots of the path on arrival (before the node's own split).
    slots_at: u8,
    /// A split's slot bit.
    bit: u32,
    /// A split's place among its block's splits.
    decision: u32,
    /// A leaf's place in `leaf_features` / `leaf_zeros`.
    leaf_at: u32,
    /// A leaf's value.
    value: f64,
}

/// A tree's layout before its tables are computed: what they will cost.
#[derive(Debug)]
pub(super) struct TreeLayout {
    tree: TableTree,
    nodes: Vec<NodeInfo>,
    /// Each leaf's slot features, in slot order.
    leaf_features: Vec<u32>,
    /// Each leaf's slot zero fractions, beside `leaf_features`.
    leaf_zeros: Vec<f64>,
    /// Each block's leaves.
    block_leaves: Vec<Vec<u32>>,
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
    /// Lays out tree `tree` of `model` in blocks of at most `block_bits` index bits
    /// ([`BLOCK_BITS`]; 0 makes every leaf a block), or `None` when a path splits on
    /// more than [`MAX_SLOTS`] distinct features. Costs O(nodes) time and memory
    /// whatever the depth.
    pub(super) fn new(model: &TreeEnsemble, tree: usize, block_bits: usize) -> Option<Self> {
        let table = model.nodes();
        let range = model.tree_range(tree);
        let (start, size) = (range.start, range.len());
        let mut layout = TreeLayout {
            tree: TableTree {
                splits: Vec::new(),
                decisions: Vec::new(),
                blocks: Vec::new(),
                block_features: Vec::new(),
                values: Vec::new(),
                size,
            },
            nodes: vec![NodeInfo::default(); size],
            leaf_features: Vec::new(),
            leaf_zeros: Vec::new(),
            block_leaves: Vec::new(),
        };
        layout.walk(model, start)?;
        // Splits below each node (children have larger ids than their parent).
        let mut below = vec![0usize; size];
        for node in (0..size).rev() {
            let row = start + node;
            if !table.is_leaf(row) {
                let (l, r) = (table.left[row] as usize, table.right[row] as usize);
                below[node] = 1 + below[l] + below[r];
            }
        }
        // Blocks, top-down: the first node whose subtree fits in BLOCK_BITS index bits.
        let mut stack = vec![0u32];
        while let Some(node) = stack.pop() {
            let row = start + node as usize;
            let info = layout.nodes[node as usize];
            if table.is_leaf(row) {
                // A leaf reached without a split only moves the expected value.
                if info.slots_at > 0 {
                    layout.push_block(model, start, node);
                }
                continue;
            }
            if usize::from(info.slots_at) + below[node as usize] <= block_bits {
                layout.push_block(model, start, node);
                continue;
            }
            let children = [table.left[row] as u32, table.right[row] as u32];
            layout.tree.splits.push(Split {
                threshold: table.threshold[row],
                feature: table.feature[row] as u32,
                node,
                children,
                bit: info.bit,
                default_left: table.default_left[row],
            });
            stack.push(children[1]);
            stack.push(children[0]);
        }
        Some(layout)
    }

    /// The depth-first walk: each node's parent, side, path slots and split slot,
    /// each leaf's slot features and zero fractions.
    fn walk(&mut self, model: &TreeEnsemble, start: usize) -> Option<()> {
        let table = model.nodes();
        let mut slot_of = vec![NO_SLOT; model.features().len()];
        let mut path_features: Vec<u32> = Vec::with_capacity(MAX_SLOTS);
        let mut path_zeros: Vec<f64> = Vec::with_capacity(MAX_SLOTS);
        let mut stack = vec![Step::Visit(0)];
        while let Some(step) = stack.pop() {
            match step {
                Step::Visit(node) => {
                    let row = start + node as usize;
                    let info = &mut self.nodes[node as usize];
                    info.slots_at = path_features.len() as u8;
                    if table.is_leaf(row) {
                        info.leaf_at = self.leaf_features.len() as u32;
                        info.value = table.leaf_value[row];
                        self.leaf_features.extend_from_slice(&path_features);
                        self.leaf_zeros.extend_from_slice(&path_zeros);
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
                    info.bit = 1 << slot;
                    let children = [table.left[row] as u32, table.right[row] as u32];
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
                        let child = &mut self.nodes[children[side] as usize];
                        child.parent = node;
                        child.side = side as u8;
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
        Some(())
    }

    /// Makes the subtree of `root` a block: its splits in pre-order, its leaves,
    /// its distinct features (the root path's slots first).
    fn push_block(&mut self, model: &TreeEnsemble, start: usize, root: u32) {
        let table = model.nodes();
        let root_slots = u32::from(self.nodes[root as usize].slots_at);
        let decisions = self.tree.decisions.len() as u32;
        let mut leaves = Vec::new();
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            let row = start + node as usize;
            if table.is_leaf(row) {
                leaves.push(node);
                continue;
            }
            self.nodes[node as usize].decision = self.tree.decisions.len() as u32 - decisions;
            self.tree.decisions.push(Decision {
                threshold: table.threshold[row],
                feature: table.feature[row] as u32,
                default_left: table.default_left[row],
            });
            stack.push(table.right[row] as u32);
            stack.push(table.left[row] as u32);
        }
        // The root path's slots come first: every leaf's first `root_slots` slots are theirs.
        let features = self.tree.block_features.len();
        for &leaf in &leaves {
            let info = &self.nodes[leaf as usize];
            let (at, slots) = (info.leaf_at as usize, usize::from(info.slots_at));
            for &feature in &self.leaf_features[at..at + slots] {
                if !self.tree.block_features[features..].contains(&feature) {
                    self.tree.block_features.push(feature);
                }
            }
        }
        self.tree.blocks.push(Block {
            root,
            root_slots,
            decisions,
            splits: self.tree.decisions.len() as u32 - decisions,
            features: features as u32,
            width: (self.tree.block_features.len() - features) as u32,
            values: 0,
        });
        self.block_leaves.push(leaves);
    }

    /// Values the tables will hold (saturating).
    pub(super) fn values(&self) -> usize {
        self.tree
            .blocks
            .iter()
            .fold(0usize, |sum, block| sum.saturating_add(block.len()))
    }

    /// Computes every block's table: for each index, the sum over the block's
    /// leaves of their slot values for the pattern that index gives them.
    pub(super) fn tabulate(self) -> TableTree {
        let mut values = vec![0.0; self.values()];
        let mut work = PatternWorkspace::default();
        let (mut leaf_table, mut positions, mut path) = (Vec::new(), Vec::new(), Vec::new());
        let mut tree = self.tree;
        let mut at = 0;
        for (block, leaves) in tree.blocks.iter_mut().zip(&self.block_leaves) {
            block.values = at;
            let width = block.width as usize;
            let features = &tree.block_features[block.features as usize..][..width];
            let table = &mut values[at..at + block.len()];
            at += block.len();
            let low = (1u32 << block.root_slots) - 1;
            for &leaf in leaves {
                let (start, slots) = {
                    let info = &self.nodes[leaf as usize];
                    (info.leaf_at as usize, usize::from(info.slots_at))
                };
                let leaf_features = &self.leaf_features[start..start + slots];
                leaf_table.clear();
                leaf_table.resize(expanded_len(slots), 0.0);
                expanded_values(
                    self.nodes[leaf as usize].value,
                    &self.leaf_zeros[start..start + slots],
                    &mut leaf_table,
                    &mut work,
                );
                positions.clear();
                positions.extend(leaf_features.iter().map(|f| {
                    // Every leaf feature is one of the block's, by construction.
                    features.iter().position(|g| g == f).unwrap_or(0)
                }));
                // The splits between the block root and the leaf: (index bit, side, slot bit).
                path.clear();
                let mut node = leaf;
                while node != block.root {
                    let info = self.nodes[node as usize];
                    let parent = self.nodes[info.parent as usize];
                    path.push((block.root_slots + parent.decision, info.side, parent.bit));
                    node = info.parent;
                }
                let leaf_low = (1u32 << slots) - 1;
                for (index, entry) in table.chunks_exact_mut(width).enumerate() {
                    let mut pattern = (index as u32 & low) | !low;
                    for &(bit, side, slot) in &path {
                        let go_left = (index >> bit) & 1 == 1;
                        if go_left != (side == 0) {
                            pattern &= !slot;
                        }
                    }
                    let pattern = (pattern & leaf_low) as usize;
                    let slot_values = &leaf_table[pattern * slots..(pattern + 1) * slots];
                    for (&position, &value) in positions.iter().zip(slot_values) {
                        entry[position] += value;
                    }
                }
            }
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
        let goes_left = |feature: u32, threshold: f64, default_left: bool| {
            let value = x[feature as usize];
            if value.is_nan() {
                default_left
            } else {
                value < threshold
            }
        };
        patterns[0] = u32::MAX;
        for split in &self.splits {
            let pattern = patterns[split.node as usize];
            let (left, right) = if goes_left(split.feature, split.threshold, split.default_left) {
                (pattern, pattern & !split.bit)
            } else {
                (pattern & !split.bit, pattern)
            };
            patterns[split.children[0] as usize] = left;
            patterns[split.children[1] as usize] = right;
        }
        for block in &self.blocks {
            let low = (1u32 << block.root_slots) - 1;
            let mut index = (patterns[block.root as usize] & low) as usize;
            let decisions = &self.decisions[block.decisions as usize..][..block.splits as usize];
            for (k, d) in decisions.iter().enumerate() {
                let bit = usize::from(goes_left(d.feature, d.threshold, d.default_left));
                index |= bit << (block.root_slots as usize + k);
            }
            let width = block.width as usize;
            let values = &self.values[block.values + index * width..][..width];
            let features = &self.block_features[block.features as usize..][..width];
            for (&feature, &value) in features.iter().zip(values) {
                phi[feature as usize] += value;
            }
        }
    }
}
