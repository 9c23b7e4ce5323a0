//! Growing one tree on a node-ordered row array.
//!
//! The tree's rows are one array of row indices; every node owns a range of
//! it, and a split partitions its range so the children own the two halves.
//! A node's histogram comes from its parent: the smaller child's is built
//! from its rows, the larger child's is the parent's minus it (built in the
//! parent's buffer), and a child that cannot split gets none.
//!
//! Without a leaf limit every node is split if it can be, so the tree does
//! not depend on the order nodes are visited: the two children of a split
//! grow in parallel (`rayon::join`), and each node's histogram and partition
//! are parallel too when the node is large. With `max_leaves`, leaves are
//! split best-first (largest gain, then lowest node number), one at a time.

use firnml_udfs::model::NodeTable;

use crate::ml::gbdt::bins::BinnedMatrix;
use crate::ml::gbdt::config::Config;
use crate::ml::gbdt::histogram::{self, FeatureSet, Histogram};
use crate::ml::gbdt::objective::{GradSum, Scale};
use crate::ml::gbdt::partition::partition;
use crate::ml::gbdt::split::{Split, best_split};

/// Rows below which a node's two subtrees are grown by the same thread.
const JOIN_ROWS: usize = 4_096;

/// A grown tree (or subtree).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Grown {
    /// A leaf: its sums and its rows' range in the row array.
    Leaf {
        /// Gradient and hessian sums of its rows.
        sums: GradSum,
        /// First position of its rows.
        start: usize,
        /// Number of its rows.
        len: usize,
    },
    /// A split node.
    Split {
        /// The split.
        split: Split,
        /// Gradient and hessian sums of its rows.
        sums: GradSum,
        /// Left child.
        left: Box<Grown>,
        /// Right child.
        right: Box<Grown>,
    },
}

/// Everything growing a tree reads.
pub(crate) struct Grower<'a> {
    /// The binned training matrix.
    pub matrix: &'a BinnedMatrix,
    /// Gradient pairs by row index.
    pub gh: &'a [GradSum],
    /// Units of `gh`.
    pub scale: Scale,
    /// The fit's settings.
    pub config: &'a Config,
    /// The features this tree may split on.
    pub features: FeatureSet,
}

impl Grower<'_> {
    /// Grows a tree on `rows` (reordered: each leaf's rows end up contiguous).
    pub fn grow(&self, rows: &mut [u32]) -> Grown {
        let mut scratch = vec![0u32; rows.len()];
        let hist = histogram::build(self.matrix, &self.features, rows, self.gh);
        let sums = self
            .features
            .features()
            .next()
            .map_or(GradSum::default(), |f| {
                histogram::total(self.matrix, &hist, f)
            });
        let hist = self.can_split(0, sums, rows.len()).then_some(hist);
        if self.config.max_leaves == 0 {
            self.node(rows, &mut scratch, 0, 0, sums, hist)
        } else {
            self.best_first(rows, &mut scratch, sums, hist)
        }
    }

    /// Whether a node at `depth` with `sums` over `len` rows may be split at all.
    fn can_split(&self, depth: usize, sums: GradSum, len: usize) -> bool {
        let (_, h) = self.scale.real(sums);
        depth < self.config.max_depth
            && len >= 2
            && h > 0.0
            && h >= 2.0 * self.config.split.min_child_weight
    }

    fn find(&self, hist: &[GradSum], sums: GradSum) -> Option<Split> {
        best_split(
            self.matrix,
            &self.features,
            hist,
            sums,
            &self.scale,
            &self.config.split,
        )
    }

    /// Partitions `rows` by `split` and makes the children's histograms (those
    /// that may split): returns the left count and the two histograms.
    fn apply(
        &self,
        split: &Split,
        rows: &mut [u32],
        scratch: &mut [u32],
        depth: usize,
        mut hist: Histogram,
    ) -> (usize, Option<Histogram>, Option<Histogram>) {
        let feature = &self.matrix.features()[split.feature];
        let table = split.left_table(feature);
        let lefts = partition(self.matrix, split.feature, &table, rows, scratch);
        let rights = rows.len() - lefts;
        let left_can = self.can_split(depth + 1, split.left, lefts);
        let right_can = self.can_split(depth + 1, split.right, rights);
        if !left_can && !right_can {
            return (lefts, None, None);
        }
        let (left_rows, right_rows) = rows.split_at(lefts);
        let left_small = lefts <= rights;
        let small = histogram::build(
            self.matrix,
            &self.features,
            if left_small { left_rows } else { right_rows },
            self.gh,
        );
        histogram::subtract(&mut hist, &small);
        let (l, r) = if left_small {
            (small, hist)
        } else {
            (hist, small)
        };
        (lefts, left_can.then_some(l), right_can.then_some(r))
    }

    /// Grows the subtree of a node owning `rows` (at `start` in the tree's array).
    fn node(
        &self,
        rows: &mut [u32],
        scratch: &mut [u32],
        start: usize,
        depth: usize,
        sums: GradSum,
        hist: Option<Histogram>,
    ) -> Grown {
        let leaf = Grown::Leaf {
            sums,
            start,
            len: rows.len(),
        };
        let Some(hist) = hist else {
            return leaf;
        };
        let Some(split) = self.find(&hist, sums) else {
            return leaf;
        };
        let (lefts, left_hist, right_hist) = self.apply(&split, rows, scratch, depth, hist);
        let rows_len = rows.len();
        let (left_rows, right_rows) = rows.split_at_mut(lefts);
        let (left_scratch, right_scratch) = scratch.split_at_mut(lefts);
        let left = || {
            self.node(
                left_rows,
                left_scratch,
                start,
                depth + 1,
                split.left,
                left_hist,
            )
        };
        let right = || {
            self.node(
                right_rows,
                right_scratch,
                start + lefts,
                depth + 1,
                split.right,
                right_hist,
            )
        };
        // Small nodes grow their children one after the other: handing a
        // subtree of a few rows to another thread costs more than growing it.
        let (left, right) = if rows_len < JOIN_ROWS {
            (left(), right())
        } else {
            rayon::join(left, right)
        };
        Grown::Split {
            split,
            sums,
            left: Box::new(left),
            right: Box::new(right),
        }
    }

    /// Grows leaf by leaf, largest gain first, up to `max_leaves` leaves.
    fn best_first(
        &self,
        rows: &mut [u32],
        scratch: &mut [u32],
        sums: GradSum,
        hist: Option<Histogram>,
    ) -> Grown {
        struct Open {
            sums: GradSum,
            start: usize,
            len: usize,
            depth: usize,
            hist: Option<Histogram>,
            split: Option<Split>,
            children: Option<(usize, usize)>,
        }
        let split = hist.as_ref().and_then(|h| self.find(h, sums));
        let mut nodes = vec![Open {
            sums,
            start: 0,
            len: rows.len(),
            depth: 0,
            hist,
            split,
            children: None,
        }];
        let mut leaves = 1;
        while leaves < self.config.max_leaves {
            // The open leaf with the largest gain; ties go to the lowest number.
            let mut best: Option<(usize, f64)> = None;
            for (i, n) in nodes.iter().enumerate() {
                if let (None, Some(s)) = (n.children, &n.split)
                    && best.is_none_or(|(_, g)| s.gain > g)
                {
                    best = Some((i, s.gain));
                }
            }
            let Some((i, _)) = best else {
                break;
            };
            let (start, len, depth) = (nodes[i].start, nodes[i].len, nodes[i].depth);
            let (Some(split), Some(hist)) = (nodes[i].split, nodes[i].hist.take()) else {
                break;
            };
            let range = start..start + len;
            let (lefts, left_hist, right_hist) = self.apply(
                &split,
                &mut rows[range.clone()],
                &mut scratch[range],
                depth,
                hist,
            );
            let mut child = |sums: GradSum, start: usize, len: usize, hist: Option<Histogram>| {
                let split = hist.as_ref().and_then(|h| self.find(h, sums));
                nodes.push(Open {
                    sums,
                    start,
                    len,
                    depth: depth + 1,
                    hist,
                    split,
                    children: None,
                });
                nodes.len() - 1
            };
            let l = child(split.left, start, lefts, left_hist);
            let r = child(split.right, start + lefts, len - lefts, right_hist);
            nodes[i].children = Some((l, r));
            nodes[i].hist = None;
            leaves += 1;
        }
        fn assemble(nodes: &[Open], i: usize) -> Grown {
            let n = &nodes[i];
            match (n.children, n.split) {
                (Some((l, r)), Some(split)) => Grown::Split {
                    split,
                    sums: n.sums,
                    left: Box::new(assemble(nodes, l)),
                    right: Box::new(assemble(nodes, r)),
                },
                _ => Grown::Leaf {
                    sums: n.sums,
                    start: n.start,
                    len: n.len,
                },
            }
        }
        assemble(&nodes, 0)
    }
}

impl Grown {
    /// The leaves, left to right: (sums, start, len).
    pub fn leaves(&self) -> Vec<(GradSum, usize, usize)> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            match node {
                Grown::Leaf { sums, start, len } => out.push((*sums, *start, *len)),
                Grown::Split { left, right, .. } => {
                    stack.push(right);
                    stack.push(left);
                }
            }
        }
        out
    }

    /// The leaf value `weight` gives the leaf row `row` of `matrix` reaches
    /// (the reference the flat walk is tested against).
    #[cfg(test)]
    pub fn predict_binned(
        &self,
        matrix: &BinnedMatrix,
        row: usize,
        weight: &impl Fn(GradSum) -> f64,
    ) -> f64 {
        let mut node = self;
        loop {
            match node {
                Grown::Leaf { sums, .. } => return weight(*sums),
                Grown::Split {
                    split, left, right, ..
                } => {
                    let missing = matrix.features()[split.feature].missing_bin();
                    node = if split.goes_left(matrix.bin(row, split.feature), missing) {
                        left
                    } else {
                        right
                    };
                }
            }
        }
    }

    /// Appends the tree to `nodes` as tree `tree_id`, numbered breadth-first
    /// (children after their parent). `weight` gives a node's value with the
    /// learning rate; cover is the hessian sum.
    pub fn push_to(
        &self,
        nodes: &mut NodeTable,
        tree_id: u32,
        scale: &Scale,
        weight: &impl Fn(GradSum) -> f64,
    ) {
        let mut order = vec![self];
        let mut at = 0;
        while let Some(node) = order.get(at).copied() {
            if let Grown::Split { left, right, .. } = node {
                order.push(left);
                order.push(right);
            }
            at += 1;
        }
        // Children of the k-th split (in order) are at 2k + 1 and 2k + 2.
        let mut splits = 0i32;
        for (id, node) in order.iter().enumerate() {
            match node {
                Grown::Leaf { sums, .. } => nodes.push(
                    tree_id,
                    id as u32,
                    -1,
                    0.0,
                    false,
                    -1,
                    -1,
                    weight(*sums),
                    0.0,
                    scale.real(*sums).1,
                ),
                Grown::Split { split, sums, .. } => {
                    nodes.push(
                        tree_id,
                        id as u32,
                        split.feature as i32,
                        split.threshold,
                        split.default_left,
                        2 * splits + 1,
                        2 * splits + 2,
                        weight(*sums),
                        split.gain,
                        scale.real(*sums).1,
                    );
                    splits += 1;
                }
            }
        }
    }
}
