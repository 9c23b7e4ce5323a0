//! The binned layout behind the vector scoring paths of
//! [`super::predict::CompactForest`], shared by every instruction set.
//!
//! **Bins** (made by [`super::predict_binning`]). Every threshold the model splits a feature on is one of that
//! feature's sorted, distinct *cuts*; a value's bin is the number of cuts it
//! is at or above (`value >= cut`, the comparison the scalar path makes), so a
//! row goes right at a split exactly when its bin is above the split's rank
//! among the cuts. Bins are bytes: a feature with more than [`MAX_CUTS`] cuts
//! is split into several *columns* of at most that many cuts each (column `j`
//! holds the bin minus `j * MAX_CUTS`, clamped to `0..=MAX_CUTS`), so any model
//! takes these paths. A missing value's bin is [`MISSING`]. Routes are the
//! scalar path's, and sums add the same leaves in the same order: the margins
//! are equal bit for bit.
//!
//! **Split test.** A split stores `t = rank + k + 1`, where `k` is 1 when a
//! missing value goes left; a row goes right when `bin + k >= t` in wrapping
//! byte arithmetic: for a value that is not missing (bin at most 254) this is
//! `bin > rank`; a missing value (255) plus 1 wraps to 0 and goes left, plus 0
//! stays 255 and goes right. Chunks without missing values use `rank + 1` and
//! skip the addition.
//!
//! **Trees.** The first levels of each tree, up to [`TOP_LEVELS`], are stored
//! perfect (padded to a complete tree; a leaf above the last level is copied
//! below it) as one table per level of `t` and of a *code* byte: the split's
//! column among the level's own few columns (its *local* index, so that a
//! level reads only the columns its splits use, whatever the model's width;
//! at most [`MAX_LOCAL`], else the top part ends above that level) and `k`.
//! The vector kernels route a block of rows level by level with byte lookups
//! in registers and end at a position below 256. A tree no deeper than its
//! top part ends at its leaf: the leaves by position, also as eight byte
//! planes (byte `i` of every leaf) for kernels that look leaves up in
//! registers. A deeper tree continues from its position through linked nodes
//! ([`Bottom`]), row by row, in [`BinnedForest::finish`].
//!
//! The code byte: bit 0 is `k`; the local index's bits 0 and 1 sit at bits 6
//! and 7 (AVX-512 selects between two columns by bit 6 of the lookup index,
//! the byte-blend kernels test bit 7), again at bits 4 and 5 (NEON looks up
//! four columns at once by `code & 0x30 | lane`), and its bits 2 to 4 at bits
//! 1 to 3.

use super::predict_binning::FeatureCuts;

/// Rows binned and routed together (a kernel's blocks).
pub const CHUNK: usize = 256;
/// Rows scored together: each tree visits every chunk of a span in turn, so
/// that a big model's tables are read from memory once per span.
pub const SPAN: usize = 8 * CHUNK;
/// Most levels routed by the vector kernels: positions below 256 fit a byte.
pub const TOP_LEVELS: u32 = 8;
/// Most positions on the last level of the top part.
pub const POSITIONS: usize = 1 << TOP_LEVELS;
/// Entries of a level's tables: the deepest top level has 128 splits.
pub const LEVEL_WIDTH: usize = POSITIONS / 2;
/// Most columns a top level may read (a local index has 5 bits); a tree
/// whose level reads more continues below the level before it.
pub const MAX_LOCAL: usize = 32;
/// Positions a leaf plane holds at least (one AVX-512 register).
pub const MIN_PLANE: usize = 64;
/// The bin of a missing value.
pub const MISSING: u8 = u8::MAX;
/// Most cuts of one column (bins `0..=MAX_CUTS`, below [`MISSING`]; `rank + 2`
/// fits a byte).
pub const MAX_CUTS: usize = 254;
/// Most columns a model may bin into (a column's offset in a chunk fits
/// [`OFFSET_BITS`] bits in [`BottomNode`]).
const MAX_COLUMNS: usize = 1 << 15;

/// A level's splits by position (up to 128): the split tests, with and
/// without missing values, and the codes.
#[derive(Debug, Clone)]
#[repr(C, align(64))]
pub struct LevelTables {
    /// `rank + k + 1` (rows with missing values).
    pub t: [u8; LEVEL_WIDTH],
    /// `rank + 1` (chunks without missing values).
    pub t0: [u8; LEVEL_WIDTH],
    /// The column's local index and `k` (see the module doc).
    pub code: [u8; LEVEL_WIDTH],
}

/// One level of a tree's top part.
#[derive(Debug, Clone)]
pub struct Level {
    pub tables: LevelTables,
    /// The columns this level's splits read, by local index (at most [`MAX_LOCAL`]).
    pub columns: Vec<u16>,
}

/// A node below the top part of a deep tree, in two words that vector
/// kernels gather: `left`, the index of the left child (the right child is
/// `left + 1`), and `test`: the bins' offset of the split's column in a chunk
/// (`column * CHUNK`, [`OFFSET_BITS`] bits), `k` (bit [`OFFSET_BITS`]) and
/// `t = rank + k + 1` (the top byte). A row goes to `left + 1` when its
/// `bin + k >= t` (bytes, wrapping), else to `left`. A leaf has `t = 0` and
/// `left` its own index minus one (wrapping), so a row that reached it stays.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct BottomNode {
    pub left: u32,
    pub test: u32,
}

/// Bits of a column's offset in [`BottomNode::test`].
pub const OFFSET_BITS: u32 = 23;

impl BottomNode {
    /// A leaf at index `at`.
    fn leaf(at: u32) -> Self {
        Self {
            left: at.wrapping_sub(1),
            test: 0,
        }
    }

    /// The child a row with bin `bin` goes to.
    #[inline(always)]
    pub fn next(self, bins: &[u8], row: usize) -> u32 {
        let offset = (self.test & ((1 << OFFSET_BITS) - 1)) as usize;
        let k = ((self.test >> OFFSET_BITS) & 1) as u8;
        let t = (self.test >> 24) as u8;
        let bin = bins.get(offset + row).copied().unwrap_or(0);
        self.left.wrapping_add(u32::from(bin.wrapping_add(k) >= t))
    }
}

/// The part of a deep tree below its top levels.
#[derive(Debug, Clone)]
pub struct Bottom {
    /// Steps from a top position to any leaf.
    pub depth: u32,
    /// The node each top position continues at.
    pub entries: Vec<u32>,
    pub nodes: Vec<BottomNode>,
    /// Leaf values by node index (0 for splits).
    pub values: Vec<f64>,
}

/// One tree in the binned layout.
#[derive(Debug, Clone)]
pub struct BinnedTree {
    /// Levels of the top part: the tree's depth, at most [`TOP_LEVELS`], less
    /// if a level reads more than [`MAX_LOCAL`] columns.
    pub levels: Vec<Level>,
    /// The leaf at each position below the top part (`2^levels`; empty for
    /// a tree with a bottom).
    pub leaves: Vec<f64>,
    /// The same leaves as eight planes of [`Self::plane_len`] bytes: byte `i`
    /// of plane `p` is byte `p` (little endian) of the leaf at position `i`
    /// (for the AVX-512 path's lookups in registers).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub planes: Vec<u8>,
    pub bottom: Option<Bottom>,
}

impl BinnedTree {
    /// Bytes of one leaf plane: the positions, at least [`MIN_PLANE`].
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub fn plane_len(&self) -> usize {
        self.leaves.len().max(MIN_PLANE)
    }
}

/// The cuts of every feature and every tree in the binned layout.
#[derive(Debug, Clone)]
pub struct BinnedForest {
    pub features: Vec<FeatureCuts>,
    columns: usize,
    pub trees: Vec<BinnedTree>,
}

/// What lies at a top position of a tree being laid out.
#[derive(Debug, Clone, Copy)]
enum Entry {
    Leaf(f64),
    /// A split at table row `row`: the root of a bottom subtree.
    Subtree(usize),
}

/// A split as laid out: its column, rank within the column and `k`.
#[derive(Debug, Clone, Copy)]
struct Split {
    column: usize,
    rank: usize,
    k: u8,
}

impl Split {
    fn t(self) -> u8 {
        // rank <= MAX_CUTS - 1, so rank + 2 <= 255.
        (self.rank + usize::from(self.k) + 1) as u8
    }
}

/// The nodes of a tree as `(table row, depth)`, depth-first.
fn tree_depth(table: &crate::model::ensemble::NodeTable, start: usize) -> u32 {
    let mut deepest = 0;
    let mut stack = vec![(start, 0u32)];
    while let Some((at, level)) = stack.pop() {
        deepest = deepest.max(level);
        if !table.is_leaf(at) {
            stack.push((start + table.left[at] as usize, level + 1));
            stack.push((start + table.right[at] as usize, level + 1));
        }
    }
    deepest
}

impl BinnedForest {
    /// Lays out a validated ensemble, or `None` if it has no features.
    pub fn new(model: &crate::model::ensemble::TreeEnsemble) -> Option<Self> {
        let table = model.nodes();
        let width = model.features().len();
        if width == 0 {
            return None;
        }
        let mut cuts = vec![Vec::new(); width];
        for row in 0..table.len() {
            if !table.is_leaf(row) {
                let feature = usize::try_from(table.feature[row]).ok()?;
                cuts.get_mut(feature)?.push(table.threshold[row]);
            }
        }
        let mut features = Vec::with_capacity(width);
        let mut columns = 0;
        for column in &mut cuts {
            if column.iter().any(|c| c.is_nan()) {
                return None;
            }
            column.sort_by(f64::total_cmp);
            // Equal under `>=` is one cut (so -0.0 and 0.0 are one).
            column.dedup_by(|a, b| a == b);
            let feature = FeatureCuts::new(column, columns);
            columns += feature.columns;
            features.push(feature);
        }
        if columns > MAX_COLUMNS {
            return None;
        }
        let mut forest = Self {
            features,
            columns,
            trees: Vec::with_capacity(model.num_trees()),
        };
        for t in 0..model.num_trees() {
            let tree = forest.lay_out(table, model.tree_range(t).start, &cuts)?;
            forest.trees.push(tree);
        }
        Some(forest)
    }

    /// Number of columns a chunk is binned into.
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// The split at table row `row`.
    fn split(
        &self,
        table: &crate::model::ensemble::NodeTable,
        row: usize,
        cuts: &[Vec<f64>],
    ) -> Option<Split> {
        let feature = usize::try_from(table.feature[row]).ok()?;
        let threshold = table.threshold[row];
        // The cut equal to the threshold: its rank is the number of smaller cuts.
        let rank = cuts.get(feature)?.partition_point(|c| *c < threshold);
        let info = self.features.get(feature)?;
        Some(Split {
            column: info.first_column + rank / MAX_CUTS,
            rank: rank % MAX_CUTS,
            k: u8::from(table.default_left[row]),
        })
    }

    /// Lays out the tree rooted at table row `start`.
    fn lay_out(
        &self,
        table: &crate::model::ensemble::NodeTable,
        start: usize,
        cuts: &[Vec<f64>],
    ) -> Option<BinnedTree> {
        let depth = tree_depth(table, start);
        // Splits of each candidate top level by position (None: padding).
        let deepest = depth.min(TOP_LEVELS);
        let mut splits: Vec<Vec<Option<Split>>> =
            (0..deepest).map(|l| vec![None; 1 << l]).collect();
        let mut stack = vec![(start, 0u32, 0usize)];
        while let Some((row, level, at)) = stack.pop() {
            if level == deepest || table.is_leaf(row) {
                continue;
            }
            *splits.get_mut(level as usize)?.get_mut(at)? = Some(self.split(table, row, cuts)?);
            stack.push((start + table.left[row] as usize, level + 1, 2 * at));
            stack.push((start + table.right[row] as usize, level + 1, 2 * at + 1));
        }
        let mut levels = Vec::with_capacity(deepest as usize);
        for level in &splits {
            let mut tables = LevelTables {
                t: [0; LEVEL_WIDTH],
                t0: [0; LEVEL_WIDTH],
                code: [0; LEVEL_WIDTH],
            };
            let mut columns: Vec<u16> = Vec::new();
            for (at, split) in level.iter().enumerate() {
                // Padding splits keep t = 0 and code 0: every row goes right, to
                // equal leaves.
                let Some(split) = split else { continue };
                let local = match columns.iter().position(|&c| usize::from(c) == split.column) {
                    Some(local) => local,
                    None => {
                        columns.push(u16::try_from(split.column).ok()?);
                        columns.len() - 1
                    }
                };
                *tables.t.get_mut(at)? = split.t();
                *tables.t0.get_mut(at)? = (split.rank + 1) as u8;
                *tables.code.get_mut(at)? = code(local, split.k);
            }
            if columns.len() > MAX_LOCAL {
                // Too many columns for a vector lookup: the top part ends here.
                break;
            }
            if columns.is_empty() {
                // A level of padding only cannot occur (the tree is this deep), but
                // the kernels expect a column.
                columns.push(0);
            }
            levels.push(Level { tables, columns });
        }
        let top = levels.len() as u32;
        // What lies at each position below the top part.
        let mut entries = vec![Entry::Leaf(0.0); 1 << top];
        let mut stack = vec![(start, 0u32, 0usize)];
        while let Some((row, level, at)) = stack.pop() {
            if level == top || table.is_leaf(row) {
                // Every position below `at` on the top's last level.
                let span = 1usize << (top - level);
                let entry = if table.is_leaf(row) {
                    Entry::Leaf(table.leaf_value[row])
                } else {
                    Entry::Subtree(row)
                };
                entries.get_mut(at * span..(at + 1) * span)?.fill(entry);
                continue;
            }
            stack.push((start + table.left[row] as usize, level + 1, 2 * at));
            stack.push((start + table.right[row] as usize, level + 1, 2 * at + 1));
        }
        if entries.iter().any(|e| matches!(e, Entry::Subtree(_))) {
            return Some(BinnedTree {
                levels,
                leaves: Vec::new(),
                planes: Vec::new(),
                bottom: Some(self.lay_out_bottom(table, start, &entries, depth - top, cuts)?),
            });
        }
        let leaves: Vec<f64> = entries
            .iter()
            .map(|entry| match entry {
                Entry::Leaf(value) => *value,
                Entry::Subtree(_) => 0.0,
            })
            .collect();
        let plane_len = leaves.len().max(MIN_PLANE);
        let mut planes = vec![0u8; 8 * plane_len];
        for (at, leaf) in leaves.iter().enumerate() {
            for (plane, byte) in planes.chunks_exact_mut(plane_len).zip(leaf.to_le_bytes()) {
                plane[at] = byte;
            }
        }
        Some(BinnedTree {
            levels,
            leaves,
            planes,
            bottom: None,
        })
    }

    /// Links the subtrees below the top part of a deep tree.
    fn lay_out_bottom(
        &self,
        table: &crate::model::ensemble::NodeTable,
        start: usize,
        entries: &[Entry],
        depth: u32,
        cuts: &[Vec<f64>],
    ) -> Option<Bottom> {
        let mut bottom = Bottom {
            depth,
            entries: vec![0; entries.len()],
            nodes: Vec::new(),
            values: Vec::new(),
        };
        // One node per entry (a leaf above the top's last level is copied).
        let mut queue = std::collections::VecDeque::new();
        for (at, entry) in entries.iter().enumerate() {
            let index = u32::try_from(bottom.nodes.len()).ok()?;
            bottom.nodes.push(BottomNode::leaf(index));
            match entry {
                Entry::Leaf(value) => bottom.values.push(*value),
                Entry::Subtree(row) => {
                    bottom.values.push(0.0);
                    queue.push_back((*row, index as usize));
                }
            }
            bottom.entries[at] = index;
        }
        // Breadth-first below the entries, sibling nodes side by side.
        while let Some((row, at)) = queue.pop_front() {
            if table.is_leaf(row) {
                *bottom.nodes.get_mut(at)? = BottomNode::leaf(u32::try_from(at).ok()?);
                *bottom.values.get_mut(at)? = table.leaf_value[row];
                continue;
            }
            let split = self.split(table, row, cuts)?;
            let left = bottom.nodes.len();
            bottom
                .nodes
                .extend([BottomNode::leaf(0), BottomNode::leaf(0)]);
            bottom.values.extend([0.0, 0.0]);
            let offset = u32::try_from(split.column * CHUNK).ok()?;
            if offset >= 1 << OFFSET_BITS {
                return None;
            }
            *bottom.nodes.get_mut(at)? = BottomNode {
                left: u32::try_from(left).ok()?,
                test: offset | u32::from(split.k) << OFFSET_BITS | u32::from(split.t()) << 24,
            };
            queue.push_back((start + table.left[row] as usize, left));
            queue.push_back((start + table.right[row] as usize, left + 1));
        }
        Some(bottom)
    }

    /// Bins a chunk: `columns[f]` holds feature `f`'s values for the chunk's
    /// `rows` rows from `start` (missing columns and rows past the end of a
    /// column are missing). `bins` holds [`Self::columns`] columns of
    /// [`CHUNK`] bins; each feature's values go into its columns by
    /// `bin_feature` (like [`bin_feature`](super::predict_binning::bin_feature)). Returns whether any value was
    /// missing.
    #[inline(always)]
    pub fn bin_chunk_with(
        &self,
        columns: &[&[f64]],
        start: usize,
        rows: usize,
        bins: &mut [u8],
        mut bin_feature: impl FnMut(&FeatureCuts, &[f64], &mut [u8]) -> bool,
    ) -> bool {
        let mut missing = false;
        for (f, info) in self.features.iter().enumerate() {
            if info.columns == 0 {
                continue;
            }
            let values = columns
                .get(f)
                .and_then(|c| c.get(start.min(c.len())..(start + rows).min(c.len())))
                .unwrap_or(&[]);
            let Some(out) =
                bins.get_mut(info.first_column * CHUNK..(info.first_column + info.columns) * CHUNK)
            else {
                continue;
            };
            if values.len() < CHUNK {
                // Rows past the end of a column are missing (as on the scalar
                // path), and so are the padding rows past the chunk's end.
                out.fill(MISSING);
                missing |= values.len() < rows;
            }
            missing |= bin_feature(info, values, out);
        }
        missing
    }

    /// Scores the span of rows `rows` (at most [`SPAN`] of them) of `columns`
    /// (one slice per feature) into `sums` (which holds the base
    /// score): bins each chunk of it into `bins` (a chunk's [`Self::columns`]
    /// columns of [`CHUNK`] bins after another's) by `bin_feature` (like
    /// [`bin_feature`](super::predict_binning::bin_feature)), then, tree by tree, calls `add_tree(tree, bins,
    /// missing, sums)` for each chunk: its bins, whether any is missing, and
    /// its sums.
    #[inline(always)]
    pub fn score_span(
        &self,
        columns: &[&[f64]],
        rows: std::ops::Range<usize>,
        bins: &mut [u8],
        sums: &mut [f64],
        mut bin_feature: impl FnMut(&FeatureCuts, &[f64], &mut [u8]) -> bool,
        mut add_tree: impl FnMut(&BinnedTree, &[u8], bool, &mut [f64; CHUNK]),
    ) {
        let (start, rows) = (rows.start, rows.len());
        let size = self.columns * CHUNK;
        let chunks = rows.div_ceil(CHUNK).min(SPAN / CHUNK);
        let mut missing = [false; SPAN / CHUNK];
        for (c, missing) in missing.iter_mut().enumerate().take(chunks) {
            let first = c * CHUNK;
            if let Some(bins) = bins.get_mut(c * size..(c + 1) * size) {
                let rows = (rows - first).min(CHUNK);
                *missing =
                    self.bin_chunk_with(columns, start + first, rows, bins, &mut bin_feature);
            }
        }
        for tree in &self.trees {
            for (c, sums) in sums.chunks_exact_mut(CHUNK).enumerate().take(chunks) {
                if let (Some(bins), Ok(sums)) = (
                    bins.get(c * size..(c + 1) * size),
                    <&mut [f64; CHUNK]>::try_from(sums),
                ) {
                    add_tree(tree, bins, missing[c], sums);
                }
            }
        }
    }

    /// Adds tree `tree`'s leaf of every row of a chunk into `sums`, given the
    /// position each row reached at the end of the top part (`at`).
    pub fn finish(
        &self,
        tree: &BinnedTree,
        at: &[u8; CHUNK],
        bins: &[u8],
        sums: &mut [f64; CHUNK],
    ) {
        match &tree.bottom {
            None => {
                for (sum, at) in sums.iter_mut().zip(at) {
                    *sum += tree.leaves.get(usize::from(*at)).copied().unwrap_or(0.0);
                }
            }
            Some(bottom) => Self::finish_deep(bottom, at, bins, sums),
        }
    }

    /// [`Self::finish`] for a deep tree: each row continues through the
    /// linked nodes below its top position.
    fn finish_deep(bottom: &Bottom, at: &[u8; CHUNK], bins: &[u8], sums: &mut [f64; CHUNK]) {
        /// Rows walked side by side, so that their loads overlap.
        const GROUP: usize = 8;
        let groups = sums.chunks_exact_mut(GROUP).zip(at.chunks_exact(GROUP));
        for (g, (sums, at)) in groups.enumerate() {
            let mut node = [0u32; GROUP];
            for (node, at) in node.iter_mut().zip(at) {
                *node = bottom.entries.get(usize::from(*at)).copied().unwrap_or(0);
            }
            for _ in 0..bottom.depth {
                for (i, node) in node.iter_mut().enumerate() {
                    // (A node that is not there, never, stays put.)
                    if let Some(n) = bottom.nodes.get(*node as usize) {
                        *node = n.next(bins, g * GROUP + i);
                    }
                }
            }
            for (sum, node) in sums.iter_mut().zip(node) {
                *sum += bottom.values.get(node as usize).copied().unwrap_or(0.0);
            }
        }
    }
}

/// The code byte of a split reading local column `local` with `k`.
fn code(local: usize, k: u8) -> u8 {
    let local = local as u8;
    k | ((local >> 2) & 7) << 1 | (local & 3) << 4 | (local & 1) << 6 | ((local >> 1) & 1) << 7
}
