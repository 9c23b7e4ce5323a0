//! Path-dependent TreeSHAP by walking each tree per row (Lundberg, Erion & Lee
//! 2018, "Consistent Individualized Feature Attribution for Tree Ensembles",
//! Algorithm 2), the algorithm behind XGBoost's `pred_contribs`.
//!
//! Each row walks every tree once, carrying the path of the features split on
//! so far with, per feature, the fraction of paths that reach the node when the
//! feature is unknown (`zero`) and known (`one`), and the permutation weights
//! of the coalition sizes (`pweight`). At a leaf, "unwinding" one feature from
//! the path gives that feature's weight in the leaf value.
//!
//! Cost per row and tree: O(leaves × depth²) time; no allocation. The path for
//! a node's lighter child (fewer leaves) is a copy, the heavier child continues
//! in place, so a thread holds O(log leaves) path copies whatever the depth.
//! It needs no memory beyond the nodes, so it serves every tree whose
//! precomputed table ([`super::table_tree`]) would be too large.

use crate::model::ensemble::TreeEnsemble;

use super::split_fractions;

/// Marks a leaf in [`Node::feature`].
const LEAF: u32 = u32::MAX;

/// The feature of a path's first element, which stands for "no feature".
const NO_FEATURE: u32 = u32::MAX;

/// One node, laid out for the walk.
#[derive(Debug, Clone, Copy)]
struct Node {
    /// Split threshold: `value < threshold` goes left.
    threshold: f64,
    /// The value of a leaf.
    leaf_value: f64,
    /// Share of the node's cover that goes `[left, right]`.
    fraction: [f64; 2],
    /// `[left, right]` as absolute node indices.
    children: [u32; 2],
    /// Split feature, or [`LEAF`].
    feature: u32,
    /// Where a missing value goes.
    default_left: bool,
    /// The child with fewer leaves (0 left, 1 right): its walk gets a copy of the path.
    light: u8,
}

/// One element of the path from the root to the current node.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PathElement {
    feature: u32,
    zero: f64,
    one: f64,
    pweight: f64,
}

/// Every tree of a model laid out for the walk, with the path-buffer sizes it needs.
#[derive(Debug, Clone)]
pub(super) struct PathWalk {
    nodes: Vec<Node>,
    roots: Vec<u32>,
    /// Elements of one path: 1 + the most distinct features a root-to-leaf path can split on.
    segment: usize,
    /// Paths one walk holds at once: 1 + the deepest nesting of "lighter child" steps.
    segments: usize,
    /// `reciprocal[k] = 1 / k` for the coalition-size arithmetic (`reciprocal[0]` unused).
    reciprocal: Vec<f64>,
    /// `base_score` plus each tree's cover-weighted mean leaf value.
    expected_value: f64,
}

/// What one tree adds to the forest.
struct TreeSummary {
    /// Cover-weighted mean leaf value.
    mean_value: f64,
    /// Edges of the longest root-to-leaf path.
    depth: usize,
    /// Nesting of "lighter child" steps on the deepest chain of them.
    light_depth: usize,
}

impl PathWalk {
    /// Lays out every tree of a validated ensemble.
    pub(super) fn new(model: &TreeEnsemble) -> Self {
        let mut nodes = Vec::with_capacity(model.nodes().len());
        let mut roots = Vec::with_capacity(model.num_trees());
        let mut expected_value = model.base_score();
        let (mut depth, mut light_depth) = (0, 0);
        for t in 0..model.num_trees() {
            let range = model.tree_range(t);
            roots.push(range.start as u32);
            let summary = push_tree(&mut nodes, model, range);
            expected_value += summary.mean_value;
            depth = depth.max(summary.depth);
            light_depth = light_depth.max(summary.light_depth);
        }
        let segment = depth.min(model.features().len()) + 1;
        let reciprocal = (0..=segment)
            .map(|k| if k == 0 { 0.0 } else { 1.0 / k as f64 })
            .collect();
        Self {
            nodes,
            roots,
            segment,
            segments: light_depth + 1,
            reciprocal,
            expected_value,
        }
    }

    /// The margin of an "average" row.
    pub(super) fn expected_value(&self) -> f64 {
        self.expected_value
    }

    /// Length of the path buffer [`PathWalk::explain_tree`] needs.
    pub(super) fn paths_len(&self) -> usize {
        self.segment * self.segments
    }

    /// Adds tree `tree`'s SHAP values for the row `x` (one value per feature) to `phi`.
    pub(super) fn explain_tree(
        &self,
        tree: usize,
        x: &[f64],
        phi: &mut [f64],
        paths: &mut [PathElement],
    ) {
        let (path, spare) = paths.split_at_mut(self.segment);
        path[0] = PathElement {
            feature: NO_FEATURE,
            zero: 1.0,
            one: 1.0,
            pweight: 1.0,
        };
        self.walk(x, phi, self.roots[tree] as usize, path, 0, spare);
    }

    /// Algorithm 2's RECURSE from `node`, whose path (`path[..=depth]`) already
    /// includes the edge into it. `spare` holds the paths for lighter children.
    fn walk(
        &self,
        x: &[f64],
        phi: &mut [f64],
        mut node: usize,
        path: &mut [PathElement],
        mut depth: usize,
        spare: &mut [PathElement],
    ) {
        let reciprocal = self.reciprocal.as_slice();
        loop {
            let n = self.nodes[node];
            if n.feature == LEAF {
                add_leaf(&path[..=depth], n.leaf_value, phi, reciprocal);
                return;
            }
            // A feature met again is taken off the path; its fractions carry on.
            let (mut zero, mut one) = (1.0, 1.0);
            if let Some(k) = (1..=depth).find(|&k| path[k].feature == n.feature) {
                zero = path[k].zero;
                one = path[k].one;
                unwind_path(path, depth, k, reciprocal);
                depth -= 1;
            }
            let value = x[n.feature as usize];
            let go_left = if value.is_nan() {
                n.default_left
            } else {
                value < n.threshold
            };
            let hot = usize::from(!go_left);
            let zeros = [n.fraction[0] * zero, n.fraction[1] * zero];
            let ones = if hot == 0 { [one, 0.0] } else { [0.0, one] };
            let light = usize::from(n.light);
            let heavy = 1 - light;
            // A child no path reaches adds nothing (and would divide by zero when unwound).
            if zeros[light] != 0.0 || ones[light] != 0.0 {
                let (next, rest) = spare.split_at_mut(self.segment);
                next[..=depth].copy_from_slice(&path[..=depth]);
                extend_path(
                    next,
                    depth + 1,
                    zeros[light],
                    ones[light],
                    n.feature,
                    reciprocal,
                );
                self.walk(x, phi, n.children[light] as usize, next, depth + 1, rest);
            }
            if zeros[heavy] == 0.0 && ones[heavy] == 0.0 {
                return;
            }
            depth += 1;
            extend_path(
                path,
                depth,
                zeros[heavy],
                ones[heavy],
                n.feature,
                reciprocal,
            );
            node = n.children[heavy] as usize;
        }
    }
}

/// Appends tree `range` of `model` to `nodes` and summarises it.
fn push_tree(
    nodes: &mut Vec<Node>,
    model: &TreeEnsemble,
    range: std::ops::Range<usize>,
) -> TreeSummary {
    let table = model.nodes();
    let start = range.start;
    let size = range.len();
    // Bottom-up (children always have larger ids): mean values, leaf counts, light depths.
    let mut mean = vec![0.0; size];
    let mut leaves = vec![0u64; size];
    let mut light_depth = vec![0usize; size];
    let mut fraction = vec![[0.5, 0.5]; size];
    let mut light = vec![0u8; size];
    for i in (0..size).rev() {
        let row = start + i;
        if table.is_leaf(row) {
            mean[i] = table.leaf_value[row];
            leaves[i] = 1;
            continue;
        }
        // Validation guarantees i < child < size.
        let (l, r) = (table.left[row] as usize, table.right[row] as usize);
        fraction[i] = split_fractions(
            table.cover[row],
            table.cover[start + l],
            table.cover[start + r],
        );
        mean[i] = fraction[i][0] * mean[l] + fraction[i][1] * mean[r];
        leaves[i] = leaves[l].saturating_add(leaves[r]);
        let (lighter, heavier) = if leaves[l] <= leaves[r] {
            (l, r)
        } else {
            (r, l)
        };
        light[i] = u8::from(lighter == r);
        light_depth[i] = light_depth[heavier].max(light_depth[lighter] + 1);
    }
    // Top-down: the longest path from the root.
    let mut depth: Vec<Option<usize>> = vec![None; size];
    depth[0] = Some(0);
    let mut deepest = 0;
    for i in 0..size {
        let row = start + i;
        let Some(d) = depth[i] else { continue };
        deepest = deepest.max(d);
        if !table.is_leaf(row) {
            for child in [table.left[row] as usize, table.right[row] as usize] {
                depth[child] = Some(depth[child].map_or(d + 1, |c| c.max(d + 1)));
            }
        }
    }
    let base = start as u32;
    for i in 0..size {
        let row = start + i;
        let leaf = table.is_leaf(row);
        nodes.push(Node {
            threshold: table.threshold[row],
            leaf_value: table.leaf_value[row],
            fraction: fraction[i],
            children: if leaf {
                [0, 0]
            } else {
                [
                    base + table.left[row] as u32,
                    base + table.right[row] as u32,
                ]
            },
            feature: if leaf {
                LEAF
            } else {
                table.feature[row] as u32
            },
            default_left: table.default_left[row],
            light: light[i],
        });
    }
    TreeSummary {
        mean_value: mean[0],
        depth: deepest,
        light_depth: light_depth[0],
    }
}

/// EXTEND: adds a feature with fractions `zero`/`one` as `path[depth]`.
#[inline]
fn extend_path(
    path: &mut [PathElement],
    depth: usize,
    zero: f64,
    one: f64,
    feature: u32,
    reciprocal: &[f64],
) {
    path[depth] = PathElement {
        feature,
        zero,
        one,
        pweight: if depth == 0 { 1.0 } else { 0.0 },
    };
    // Algorithm 2 updates `pweight[i + 1]` in place from the `pweight[i + 1]` it has just
    // written; carrying that value in a register leaves the iterations independent.
    let scale = reciprocal[depth + 1];
    let mut carry = 0.0;
    for i in (0..depth).rev() {
        let pweight = path[i].pweight;
        path[i + 1].pweight = carry + one * pweight * ((i + 1) as f64 * scale);
        carry = zero * pweight * ((depth - i) as f64 * scale);
    }
    if depth > 0 {
        path[0].pweight = carry;
    }
}

/// UNWIND: removes `path[index]` from `path[..=depth]`, undoing its EXTEND.
#[inline]
fn unwind_path(path: &mut [PathElement], depth: usize, index: usize, reciprocal: &[f64]) {
    let PathElement { zero, one, .. } = path[index];
    let size = (depth + 1) as f64;
    if one != 0.0 {
        let mut next = path[depth].pweight;
        let scale = size / one;
        let shrink = zero * reciprocal[depth + 1];
        for i in (0..depth).rev() {
            let previous = path[i].pweight;
            let pweight = next * (scale * reciprocal[i + 1]);
            path[i].pweight = pweight;
            next = previous - pweight * (shrink * (depth - i) as f64);
        }
    } else {
        let scale = size / zero;
        for i in (0..depth).rev() {
            path[i].pweight *= scale * reciprocal[depth - i];
        }
    }
    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero = path[i + 1].zero;
        path[i].one = path[i + 1].one;
    }
}

/// Adds a leaf's `value` to the SHAP values of the features on `path` (the
/// leaf's whole path, `d + 1` elements): feature `j` gets `w_j · (one_j − zero_j) · value`,
/// where `w_j` is the total permutation weight of the path with `j` unwound.
///
/// For a feature the row does not follow to this leaf (`one_j = 0`), UNWOUND gives
/// `w_j = (d + 1) / zero_j · Σ_{i<d} pweight_i / (d − i)`, so its share
/// `−w_j · zero_j · value` does not depend on `j`: it is computed once per leaf.
#[inline]
fn add_leaf(path: &[PathElement], value: f64, phi: &mut [f64], reciprocal: &[f64]) {
    let depth = path.len() - 1;
    if depth == 0 {
        return;
    }
    let mut cold_sum = 0.0;
    for (i, element) in path[..depth].iter().enumerate() {
        cold_sum += element.pweight * reciprocal[depth - i];
    }
    let cold = -((depth + 1) as f64) * cold_sum * value;
    for element in &path[1..] {
        phi[element.feature as usize] += if element.one == 0.0 {
            cold
        } else {
            unwound_sum(path, element.zero, element.one, reciprocal)
                * (element.one - element.zero)
                * value
        };
    }
}

/// UNWOUND's total permutation weight of `path` (`d + 1` elements) without
/// one of its elements, whose fractions are `zero` and `one != 0`.
#[inline]
fn unwound_sum(path: &[PathElement], zero: f64, one: f64, reciprocal: &[f64]) -> f64 {
    let depth = path.len() - 1;
    let scale = (depth + 1) as f64 / one;
    let shrink = zero * reciprocal[depth + 1];
    let mut next = path[depth].pweight;
    let mut total = 0.0;
    for i in (0..depth).rev() {
        let share = next * (scale * reciprocal[i + 1]);
        total += share;
        next = path[i].pweight - share * (shrink * (depth - i) as f64);
    }
    total
}
