//! Firn's compact predictor: the node table flattened into arrays laid out for
//! scoring a batch of rows at a time.
//!
//! Rows are scored in chunks that stay in cache, copied row-major so that a
//! split reads its value with one load. Within a chunk each tree routes
//! [`LANES`] rows at once, one level per step, without branching on the data.
//! Trees up to [`MAX_PERFECT_DEPTH`] deep are stored *perfect*: padded to a
//! complete binary tree whose nodes sit at implicit positions (children of `i`
//! at `2i + 1` and `2i + 2`; a leaf above the last level is copied into every
//! leaf below it), so a step computes the next node instead of loading it.
//! Deeper trees keep linked nodes in which a leaf points at itself.
//!
//! Batches of at least [`MIN_BINNED_ROWS`] rows take a vector path when the
//! CPU has one ([`PredictPath`]): values binned by the model's thresholds and
//! routed many rows per instruction ([`super::predict_binned`]), with the same
//! sums bit for bit. `FIRN_PREDICT_PATH` forces a path.

use crate::model::ensemble::{NodeTable, TreeEnsemble};
use crate::model::predict_binned::{self as binned, BinnedForest};
pub use crate::model::predict_path::PredictPath;

/// `Node::feature` bit: the node is a leaf (linked layout).
const LEAF: u32 = 0x4000_0000;
/// `feature` bit: a missing value goes left.
pub(crate) const DEFAULT_LEFT: u32 = 0x8000_0000;
/// `feature` bits holding the column index.
pub(crate) const COLUMN: u32 = 0x3FFF_FFFF;
/// Rows routed together through a tree.
const LANES: usize = 8;
/// Rows per chunk: a chunk's values stay in the L1/L2 cache while every tree visits them.
const CHUNK: usize = 256;
/// Deepest tree stored perfect (2^8 leaves); deeper trees are linked.
pub const MAX_PERFECT_DEPTH: u32 = 8;
/// Fewest rows a vector path scores (fewer, e.g. single-row scoring, are
/// quicker scalar: the vector paths score whole chunks).
pub const MIN_BINNED_ROWS: usize = 32;

/// One node of a linked tree in 16 bytes: the threshold (or the leaf's value),
/// the column with the leaf and missing-value flags, and the index of the left
/// child (the right child is the next node). A leaf's `left` is its own index
/// and its column 0, so routing a row that reached a leaf keeps it there.
#[derive(Debug, Clone, Copy)]
struct Node {
    value: f64,
    feature: u32,
    left: u32,
}

/// Where one tree lives.
#[derive(Debug, Clone, Copy)]
enum Tree {
    /// `2^depth - 1` splits from `splits`, `2^depth` leaves from `leaves`.
    Perfect {
        depth: u32,
        splits: usize,
        leaves: usize,
    },
    /// Linked nodes from `root`, at most `depth` steps to a leaf.
    Linked { root: u32, depth: u32 },
}

/// The trees of a model laid out for batch scoring.
#[derive(Debug, Clone)]
pub struct CompactForest {
    trees: Vec<Tree>,
    /// The vector paths' layout (`None` for a model without features).
    binned: Option<BinnedForest>,
    /// The path batches take.
    path: PredictPath,
    /// Perfect trees' split thresholds, level order.
    thresholds: Vec<f64>,
    /// Perfect trees' split columns with the missing-value flag, beside `thresholds`.
    split_features: Vec<u32>,
    leaves: Vec<f64>,
    nodes: Vec<Node>,
    base_score: f64,
    num_features: usize,
}

/// Depth (edges on the longest path) of the subtree at table row `row`.
fn depth_of(table: &NodeTable, start: usize, row: usize) -> u32 {
    let mut deepest = 0;
    let mut stack = vec![(row, 0u32)];
    while let Some((at, level)) = stack.pop() {
        deepest = deepest.max(level);
        if !table.is_leaf(at) {
            stack.push((start + table.left[at] as usize, level + 1));
            stack.push((start + table.right[at] as usize, level + 1));
        }
    }
    deepest
}

/// The feature word of a split at table row `row`.
fn feature_word(table: &NodeTable, row: usize) -> u32 {
    let flag = if table.default_left[row] {
        DEFAULT_LEFT
    } else {
        0
    };
    (table.feature[row] as u32 & COLUMN) | flag
}

impl CompactForest {
    /// Lays out a validated ensemble.
    pub fn new(model: &TreeEnsemble) -> Self {
        let table = model.nodes();
        let mut forest = Self {
            trees: Vec::with_capacity(model.num_trees()),
            // Only where a vector path can run.
            binned: if PredictPath::detect() == PredictPath::Scalar {
                None
            } else {
                BinnedForest::new(model)
            },
            path: PredictPath::default_path(),
            thresholds: Vec::new(),
            split_features: Vec::new(),
            leaves: Vec::new(),
            nodes: Vec::new(),
            base_score: model.base_score(),
            num_features: model.features().len(),
        };
        for t in 0..model.num_trees() {
            let start = model.tree_range(t).start;
            let depth = depth_of(table, start, start);
            let tree = if depth <= MAX_PERFECT_DEPTH {
                forest.push_perfect(table, start, depth)
            } else {
                forest.push_linked(table, start, depth)
            };
            forest.trees.push(tree);
        }
        forest
    }

    /// The same forest scoring batches by `path` if this CPU can run it (else
    /// keeping its path).
    pub fn with_path(mut self, path: PredictPath) -> Self {
        if path.available() {
            self.path = path;
        }
        self
    }

    /// The path batches of at least [`MIN_BINNED_ROWS`] rows take.
    pub fn path(&self) -> PredictPath {
        if self.binned.is_some() {
            self.path
        } else {
            PredictPath::Scalar
        }
    }

    /// Stores the tree rooted at table row `start` as a perfect tree of `depth`.
    fn push_perfect(&mut self, table: &NodeTable, start: usize, depth: u32) -> Tree {
        let splits = self.thresholds.len();
        let leaves = self.leaves.len();
        let inner = (1usize << depth) - 1;
        self.thresholds.resize(splits + inner, 0.0);
        self.split_features.resize(splits + inner, 0);
        self.leaves.resize(leaves + (1usize << depth), 0.0);
        // (table row, implicit position, level)
        let mut stack = vec![(start, 0usize, 0u32)];
        while let Some((row, at, level)) = stack.pop() {
            if table.is_leaf(row) {
                // Every leaf position below `at` gets this leaf's value; the padding
                // splits above them route anywhere among equal leaves.
                let span = 1usize << (depth - level);
                let first = ((at + 1) << (depth - level)) - 1 - inner;
                self.leaves[leaves + first..leaves + first + span].fill(table.leaf_value[row]);
                continue;
            }
            self.thresholds[splits + at] = table.threshold[row];
            self.split_features[splits + at] = feature_word(table, row);
            stack.push((start + table.left[row] as usize, 2 * at + 1, level + 1));
            stack.push((start + table.right[row] as usize, 2 * at + 2, level + 1));
        }
        Tree::Perfect {
            depth,
            splits,
            leaves,
        }
    }

    /// Stores the tree rooted at table row `start` as linked nodes, breadth-first
    /// with sibling nodes side by side.
    fn push_linked(&mut self, table: &NodeTable, start: usize, depth: u32) -> Tree {
        let placeholder = Node {
            value: 0.0,
            feature: LEAF,
            left: 0,
        };
        let root = self.nodes.len();
        self.nodes.push(placeholder);
        let mut queue = std::collections::VecDeque::from([(start, root)]);
        while let Some((row, at)) = queue.pop_front() {
            if table.is_leaf(row) {
                self.nodes[at] = Node {
                    value: table.leaf_value[row],
                    feature: LEAF,
                    left: at as u32,
                };
                continue;
            }
            // Validation guarantees children are in range and greater than the parent.
            let left = self.nodes.len();
            self.nodes.push(placeholder);
            self.nodes.push(placeholder);
            self.nodes[at] = Node {
                value: table.threshold[row],
                feature: feature_word(table, row),
                left: left as u32,
            };
            queue.push_back((start + table.left[row] as usize, left));
            queue.push_back((start + table.right[row] as usize, left + 1));
        }
        Tree::Linked {
            root: root as u32,
            depth,
        }
    }

    /// Number of input features.
    pub fn num_features(&self) -> usize {
        self.num_features
    }

    /// Whether a row whose value is `value` goes right at a split with `threshold` and `feature`.
    #[inline(always)]
    fn goes_right(threshold: f64, feature: u32, value: f64) -> bool {
        if value.is_nan() {
            feature & DEFAULT_LEFT == 0
        } else {
            value >= threshold
        }
    }

    /// Adds `tree`'s leaf value of the `N` rows of `x` (row-major, `width`
    /// values a row) into `out`: [`LANES`] rows at a time, or one.
    #[inline]
    fn add_tree<const N: usize>(&self, tree: Tree, x: &[f64], width: usize, out: &mut [f64]) {
        match tree {
            Tree::Perfect {
                depth,
                splits,
                leaves,
            } => {
                let inner = (1usize << depth) - 1;
                let thresholds = &self.thresholds[splits..splits + inner];
                let features = &self.split_features[splits..splits + inner];
                let mut at = [0usize; N];
                for _ in 0..depth {
                    for (lane, slot) in at.iter_mut().enumerate() {
                        let feature = features[*slot];
                        let value = x[lane * width + (feature & COLUMN) as usize];
                        let right = Self::goes_right(thresholds[*slot], feature, value);
                        *slot = 2 * *slot + 1 + usize::from(right);
                    }
                }
                // Positions of the last level start after the splits.
                let leaves = &self.leaves[leaves..leaves + inner + 1];
                for (margin, slot) in out.iter_mut().zip(at) {
                    *margin += leaves[slot - inner];
                }
            }
            Tree::Linked { root, depth } => {
                let mut at = [root; N];
                for _ in 0..depth {
                    for (lane, slot) in at.iter_mut().enumerate() {
                        let node = &self.nodes[*slot as usize];
                        let value = x[lane * width + (node.feature & COLUMN) as usize];
                        let right = Self::goes_right(node.value, node.feature, value)
                            && node.feature & LEAF == 0;
                        *slot = node.left + u32::from(right);
                    }
                }
                for (margin, slot) in out.iter_mut().zip(at) {
                    *margin += self.nodes[slot as usize].value;
                }
            }
        }
    }

    /// Margins of `rows` rows given as one slice per feature, written into
    /// `out` (which must hold `rows` values): the base score plus each tree's
    /// leaf value, added in tree order.
    pub fn predict_margin_into(&self, columns: &[&[f64]], out: &mut [f64]) {
        self.margins(columns, out, self.path);
    }

    /// [`Self::predict_margin_into`] by `path` (the scalar path if this CPU
    /// cannot run it, or for fewer than [`MIN_BINNED_ROWS`] rows).
    pub(crate) fn margins(&self, columns: &[&[f64]], out: &mut [f64], path: PredictPath) {
        if let Some(forest) = &self.binned
            && out.len() >= MIN_BINNED_ROWS
            && path != PredictPath::Scalar
            && path.available()
        {
            self.binned_margins(forest, columns, out, path);
        } else {
            self.scalar_margins(columns, out);
        }
    }

    /// The vector paths: span by span, binned, then tree by tree over the span.
    fn binned_margins(
        &self,
        forest: &BinnedForest,
        columns: &[&[f64]],
        out: &mut [f64],
        path: PredictPath,
    ) {
        let mut bins = vec![0u8; forest.columns() * binned::SPAN];
        let mut sums = vec![self.base_score; binned::SPAN];
        for (s, span) in out.chunks_mut(binned::SPAN).enumerate() {
            let (start, rows) = (s * binned::SPAN, span.len());
            sums.fill(self.base_score);
            match path {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `margins` takes a vector path only if the CPU has it.
                PredictPath::Avx512 => unsafe {
                    crate::model::predict_avx512::score_span(
                        forest, columns, start, rows, &mut bins, &mut sums,
                    )
                },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                PredictPath::Avx2 => unsafe {
                    crate::model::predict_avx2::score_span(
                        forest, columns, start, rows, &mut bins, &mut sums,
                    )
                },
                #[cfg(target_arch = "aarch64")]
                // SAFETY: as above.
                PredictPath::Neon => unsafe {
                    crate::model::predict_neon::score_span(
                        forest, columns, start, rows, &mut bins, &mut sums,
                    )
                },
                _ => {
                    self.scalar_margins(columns, out);
                    return;
                }
            }
            span.copy_from_slice(&sums[..rows]);
        }
    }

    /// The scalar path: chunk by chunk, row-major, tree by tree over the chunk.
    fn scalar_margins(&self, columns: &[&[f64]], out: &mut [f64]) {
        let width = self.num_features;
        if width == 0 {
            // Without features every tree is a single leaf.
            let mut lanes = [self.base_score; LANES];
            for tree in &self.trees {
                self.add_tree::<LANES>(*tree, &[], 0, &mut lanes);
            }
            out.fill(lanes[0]);
            return;
        }
        // A chunk's rows, or a few rows (single-row scoring) rounded up to a whole
        // lane block.
        let capacity = out.len().next_multiple_of(LANES).min(CHUNK);
        let mut x = vec![f64::NAN; capacity * width];
        for (c, chunk) in out.chunks_mut(CHUNK).enumerate() {
            let start = c * CHUNK;
            // Rows past the end of a column, and absent columns, are missing.
            for f in 0..width {
                let values = columns.get(f).map_or(&[][..], |column| {
                    let end = (start + chunk.len()).min(column.len());
                    column.get(start.min(end)..end).unwrap_or(&[])
                });
                for (i, row) in x.chunks_exact_mut(width).take(chunk.len()).enumerate() {
                    row[f] = values.get(i).copied().unwrap_or(f64::NAN);
                }
            }
            let rows = chunk.len().next_multiple_of(LANES).min(capacity);
            // Tree by tree over the whole chunk: a tree's nodes stay in cache while
            // every row of the chunk visits them.
            let mut sums = [self.base_score; CHUNK];
            for tree in &self.trees {
                if chunk.len() < LANES {
                    // A few rows (single-row scoring): one at a time.
                    for (row, sum) in x.chunks_exact(width).zip(&mut sums[..chunk.len()]) {
                        self.add_tree::<1>(*tree, row, width, std::slice::from_mut(sum));
                    }
                    continue;
                }
                for (block_rows, block) in x[..rows * width]
                    .chunks_exact(LANES * width)
                    .zip(sums.chunks_exact_mut(LANES))
                {
                    self.add_tree::<LANES>(*tree, block_rows, width, block);
                }
            }
            chunk.copy_from_slice(&sums[..chunk.len()]);
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
#[path = "predict_tests.rs"]
mod tests;
