//! Exact SHAP values of a tree ensemble: path-dependent TreeSHAP (Lundberg,
//! Erion & Lee 2018), the values of XGBoost's `pred_contribs`.
//!
//! A row's SHAP values are one number per feature plus the expected value, in
//! margin space; they add up to the row's margin. "Expected" means over the
//! training data as the trees remember it: at a split on a feature outside the
//! coalition, both children count, weighted by their share of the node's
//! `cover`. A missing value follows `default_left`, like prediction does.
//!
//! Two exact algorithms compute them, chosen per tree when the model is prepared:
//!
//! - `table_tree` (FastTreeSHAP v2's precomputation, Yang 2022, extended to
//!   subtrees): a leaf's values depend on the row only through which of its
//!   path's `u` distinct features the row satisfies, so they are tabulated for
//!   all `2^u` patterns (`leaf_patterns`); the leaves of a small subtree are
//!   tabulated together, indexed by its root's pattern and the row's direction at
//!   each of its splits. A row then costs one comparison per split and one lookup
//!   per subtree: on 100 trees of depth 6 over 8 features, about 9 times fewer
//!   instructions than the walk. Tables take memory exponential in the index bits.
//! - `path_walk` (Algorithm 2 of the paper): walks the tree per row,
//!   O(leaves × depth²), no memory beyond the nodes.
//!
//! Trees are tabulated in model order while their tables fit in [`TABLE_BUDGET`]
//! values and no path has more than 12 distinct features; the rest are walked,
//! so a hostile model (a path over 60 features) costs no more memory than its
//! nodes. Both give the same values up to rounding (the tests hold them to
//! 1e-12 of each other and of a brute-force Shapley computation), and a row's
//! values never depend on the thread count or on the other rows of its batch:
//! each row adds the trees' contributions in model order.

mod leaf_patterns;
mod path_walk;
mod table_tree;

use rayon::prelude::*;

use crate::model::ensemble::TreeEnsemble;
use path_walk::{PathElement, PathWalk};
use table_tree::{BLOCK_BITS, TableTree, TreeLayout};

/// The most rows of one task. Within a task each tree goes through all the
/// rows before the next tree, so its table is read from memory once per task
/// rather than once per row: with the 35 MiB of tables of 100 trees of depth 8,
/// tasks of 4,096 rows explain 2.4 times as many rows per second as tasks of 64.
pub(crate) const MAX_TASK_ROWS: usize = 4096;

/// The fewest rows of one task (unless the batch has fewer).
const MIN_TASK_ROWS: usize = 64;

/// Rows per task for a batch of `rows` on `threads` threads: about four tasks a
/// thread, so the threads finish together. A row's values do not depend on it.
fn task_rows(rows: usize, threads: usize) -> usize {
    rows.div_ceil(4 * threads.max(1))
        .next_multiple_of(MIN_TASK_ROWS)
        .clamp(MIN_TASK_ROWS, MAX_TASK_ROWS)
}

/// The most table values (8 bytes each) one model may hold: 64 MiB. 100 trees of
/// depth 6 over 8 features take about 6 MiB, 100 of depth 8 about 35 MiB.
pub const TABLE_BUDGET: usize = 8 << 20;

/// Which algorithm explains the trees of a [`ShapForest`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ShapAlgorithm {
    /// Tables (FastTreeSHAP v2's precomputation, by subtree) for the trees whose
    /// tables fit in [`TABLE_BUDGET`], the path walk for the others.
    #[default]
    LeafTables,
    /// The path walk (Algorithm 2) for every tree; no tables.
    PathWalk,
}

/// Buffers one thread reuses for every row it explains.
#[derive(Debug, Clone)]
pub(crate) struct Scratch {
    /// The rows of a task, row-major, one value per feature.
    rows: Vec<f64>,
    /// The walk's path buffers.
    paths: Vec<PathElement>,
    /// A tabulated tree's per-node patterns.
    patterns: Vec<u32>,
}

/// A model prepared for SHAP values: walk layout, cover fractions and leaf
/// tables computed once, so explaining rows allocates nothing.
#[derive(Debug, Clone)]
pub struct ShapForest {
    walk: PathWalk,
    /// Per tree: its tables, or `None` to walk it.
    tables: Vec<Option<TableTree>>,
    num_features: usize,
    /// The largest tabulated tree's node count.
    patterns_len: usize,
}

/// The shares of a parent's cover that go left and right. A model read from a
/// file may hold covers that are zero, negative or not finite; those fall back
/// to the children's own sum, then to halves, so SHAP values stay finite.
fn split_fractions(parent: f64, left: f64, right: f64) -> [f64; 2] {
    let valid = |c: f64| c.is_finite() && c >= 0.0;
    if valid(left) && valid(right) {
        if parent.is_finite() && parent > 0.0 {
            let shares = [left / parent, right / parent];
            if shares.iter().all(|s| s.is_finite()) {
                return shares;
            }
        }
        let sum = left + right;
        if sum.is_finite() && sum > 0.0 {
            return [left / sum, right / sum];
        }
    }
    [0.5, 0.5]
}

impl ShapForest {
    /// Prepares a validated ensemble with [`ShapAlgorithm::LeafTables`].
    pub fn new(model: &TreeEnsemble) -> Self {
        Self::with_algorithm(model, ShapAlgorithm::default())
    }

    /// Prepares a validated ensemble with the given algorithm.
    pub fn with_algorithm(model: &TreeEnsemble, algorithm: ShapAlgorithm) -> Self {
        let budget = match algorithm {
            ShapAlgorithm::LeafTables => Some(TABLE_BUDGET),
            ShapAlgorithm::PathWalk => None,
        };
        Self::with_budget(model, budget, BLOCK_BITS)
    }

    /// Tabulates trees in order, in blocks of at most `block_bits` index bits, while
    /// their tables fit in `budget` values; walks every tree without a budget.
    pub(crate) fn with_budget(
        model: &TreeEnsemble,
        budget: Option<usize>,
        block_bits: usize,
    ) -> Self {
        let mut left = budget.unwrap_or(0);
        let layouts: Vec<Option<TreeLayout>> = (0..model.num_trees())
            .map(|t| {
                budget?;
                let tree = TreeLayout::new(model, t, block_bits)?;
                left = left.checked_sub(tree.values())?;
                Some(tree)
            })
            .collect();
        // Each tree's tables depend on that tree alone: the same whatever the thread count.
        let tables: Vec<Option<TableTree>> = layouts
            .into_par_iter()
            .map(|layout| layout.map(TreeLayout::tabulate))
            .collect();
        let patterns_len = tables.iter().flatten().map(TableTree::size).max();
        Self {
            walk: PathWalk::new(model),
            tables,
            num_features: model.features().len(),
            patterns_len: patterns_len.unwrap_or(1).max(1),
        }
    }

    /// Number of input features.
    pub fn num_features(&self) -> usize {
        self.num_features
    }

    /// The margin of an "average" row: the base score plus each tree's
    /// cover-weighted mean leaf value. It is the last entry of every row's SHAP values.
    pub fn expected_value(&self) -> f64 {
        self.walk.expected_value()
    }

    /// Trees explained from tables (the others are walked).
    pub fn tabulated_trees(&self) -> usize {
        self.tables.iter().flatten().count()
    }

    /// Bytes the leaf tables take.
    pub fn table_bytes(&self) -> usize {
        self.tables
            .iter()
            .flatten()
            .map(TableTree::table_bytes)
            .sum()
    }

    /// SHAP values of a batch given as one slice per feature, row-major:
    /// `rows × (features + 1)`, the expected value last in each row. `rows` is
    /// the longest column's length; a value past a column's end, or of a column
    /// not given, is missing.
    pub fn shap_values(&self, columns: &[&[f64]]) -> Vec<f64> {
        let width = self.num_features + 1;
        let rows = num_rows(columns);
        let mut out = vec![0.0; rows * width];
        let task = task_rows(rows, rayon::current_num_threads());
        out.par_chunks_mut(task * width).enumerate().for_each_init(
            || self.scratch(task),
            |scratch, (i, block)| self.explain_rows(columns, i * task, block, scratch),
        );
        out
    }

    /// Buffers for [`ShapForest::explain_rows`] in steps of up to `rows` rows.
    pub(crate) fn scratch(&self, rows: usize) -> Scratch {
        Scratch {
            rows: vec![f64::NAN; rows.max(1) * self.num_features.max(1)],
            paths: vec![PathElement::default(); self.walk.paths_len()],
            patterns: vec![0; self.patterns_len],
        }
    }

    /// SHAP values of the rows `first..` that fit in `out` (`features + 1` entries each).
    pub(crate) fn explain_rows(
        &self,
        columns: &[&[f64]],
        first: usize,
        out: &mut [f64],
        scratch: &mut Scratch,
    ) {
        let width = self.num_features + 1;
        let step = scratch.rows.len() / self.num_features.max(1);
        for (i, block) in out.chunks_mut(step * width).enumerate() {
            self.explain_block(columns, first + i * step, block, scratch);
        }
    }

    /// [`ShapForest::explain_rows`] for as many rows as `scratch` holds, tree by tree.
    fn explain_block(
        &self,
        columns: &[&[f64]],
        first: usize,
        out: &mut [f64],
        scratch: &mut Scratch,
    ) {
        let features = self.num_features;
        let width = features + 1;
        let rows = out.len() / width;
        // A model without features still gets one (unused) value per row.
        let stride = features.max(1);
        let Scratch {
            rows: x,
            paths,
            patterns,
        } = scratch;
        for (offset, (phi, x)) in out
            .chunks_exact_mut(width)
            .zip(x.chunks_exact_mut(stride))
            .enumerate()
        {
            let row = first + offset;
            for (feature, value) in x.iter_mut().enumerate() {
                *value = columns
                    .get(feature)
                    .and_then(|c| c.get(row))
                    .copied()
                    .unwrap_or(f64::NAN);
            }
            phi.fill(0.0);
            phi[features] = self.expected_value();
        }
        let x = &x[..rows * stride];
        for (tree, table) in self.tables.iter().enumerate() {
            let rows = out.chunks_exact_mut(width).zip(x.chunks_exact(stride));
            match table {
                Some(table) => {
                    for (phi, x) in rows {
                        table.explain(x, phi, patterns);
                    }
                }
                None => {
                    for (phi, x) in rows {
                        self.walk.explain_tree(tree, x, phi, paths);
                    }
                }
            }
        }
    }
}

/// Rows of a batch given as one slice per feature: the longest column's length.
pub(crate) fn num_rows(columns: &[&[f64]]) -> usize {
    columns.iter().map(|c| c.len()).max().unwrap_or(0)
}

/// SHAP values of a batch given as one slice per feature, row-major:
/// `rows × (features + 1)`, the expected value last in each row, in margin
/// space like XGBoost's `pred_contribs`. Each row's entries add up to its margin.
/// `rows` is the longest column's length; values past a column's end are missing.
pub fn shap_values(model: &TreeEnsemble, columns: &[&[f64]]) -> Vec<f64> {
    ShapForest::new(model).shap_values(columns)
}

/// The margin of an "average" row: `base_score` plus each tree's
/// cover-weighted mean leaf value (the bias term of [`shap_values`]).
pub fn expected_value(model: &TreeEnsemble) -> f64 {
    PathWalk::new(model).expected_value()
}

#[cfg(test)]
mod table_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod xgboost_tests;
