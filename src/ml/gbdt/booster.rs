//! The boosting loop: for each tree, draw its rows and features, compute the
//! rows' gradients, grow the tree, and add its leaf values to the margins.
//!
//! The fit's rows are a sorted list of row indices into a (possibly shared)
//! binned matrix, so a cross-validation fold trains on its rows of the one
//! matrix without a copy. Margins and gradient pairs are indexed by row.
//! Draws are pure functions of (seed, tree, row or feature), never of the
//! order work is done in.

use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::common::{Result, internal_err};
use firnml_udfs::model::NodeTable;
use rayon::prelude::*;

use crate::ml::gbdt::bins::{BinnedMatrix, mix};
use crate::ml::gbdt::config::Config;
use crate::ml::gbdt::flat::FlatTree;
use crate::ml::gbdt::grow::{Grower, Grown};
use crate::ml::gbdt::histogram::FeatureSet;
use crate::ml::gbdt::objective::{GradSum, Scale, base_score, gradient, gradients, known_bounds};
use crate::ml::progress::cancelled_error;
use crate::ml::rng::Rng;
use crate::ml::trainer::AfterTree;

/// Rows per parallel task of the gradient and margin passes.
const ROW_BLOCK: usize = 16_384;

/// Rows whose gradients are computed together.
const GATHER: usize = 256;

/// A fitted booster: the first margin and the trees as a node table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Boosted {
    /// Margin before any tree.
    pub base_score: f64,
    /// The trees.
    pub nodes: NodeTable,
}

/// Each row's margin. Every pass writes a row from one task only, so relaxed
/// loads and stores (plain moves) are enough; atomics only let tasks write
/// to rows scattered over the vector.
struct Margins(Vec<AtomicU64>);

impl Margins {
    fn new(rows: usize, value: f64) -> Self {
        Self((0..rows).map(|_| AtomicU64::new(value.to_bits())).collect())
    }

    #[inline(always)]
    fn get(&self, row: usize) -> f64 {
        f64::from_bits(self.0[row].load(Ordering::Relaxed))
    }

    #[inline(always)]
    fn add(&self, row: usize, delta: f64) {
        let slot = &self.0[row];
        let value = f64::from_bits(slot.load(Ordering::Relaxed)) + delta;
        slot.store(value.to_bits(), Ordering::Relaxed);
    }
}

/// Tree `tree`'s key for its row draws: [`drawn`] hashes it with the row.
fn tree_key(seed: u64, tree: usize) -> u64 {
    mix(seed ^ mix(tree as u64))
}

/// Whether row `row` is drawn for the tree of key `key` (`subsample` < 1).
#[inline(always)]
fn drawn(key: u64, row: u32, cut: u64) -> bool {
    mix(key ^ u64::from(row)) < cut
}

/// The features tree `tree` may split on, ascending: all, or
/// `max(1, ⌊colsample · features⌋)` of them drawn without replacement.
fn draw_features(features: usize, config: &Config, tree: usize) -> Vec<usize> {
    let mut all: Vec<usize> = (0..features).collect();
    if config.colsample_bytree >= 1.0 {
        return all;
    }
    let k = ((features as f64 * config.colsample_bytree).floor() as usize).clamp(1, features);
    let mut rng = Rng::stream(config.seed, tree as u64);
    for i in 0..k {
        let j = i + rng.below((features - i) as u64) as usize;
        all.swap(i, j);
    }
    all.truncate(k);
    all.sort_unstable();
    all
}

/// The sub-slice of sorted `rows` within `lo..hi`.
fn rows_in(rows: &[u32], lo: usize, hi: usize) -> &[u32] {
    let a = rows.partition_point(|&r| (r as usize) < lo);
    let b = rows.partition_point(|&r| (r as usize) < hi);
    &rows[a..b]
}

/// Boosts `config.trees` trees on `rows` (sorted, distinct) of `matrix`, whose labels are `labels`.
pub(crate) fn boost(
    matrix: &BinnedMatrix,
    labels: &[f64],
    rows: &[u32],
    config: &Config,
    after_tree: Option<AfterTree<'_>>,
) -> Result<Boosted> {
    let n = matrix.rows();
    if labels.len() != n {
        return internal_err!("{} labels for {n} binned rows", labels.len());
    }
    if rows.windows(2).any(|w| w[0] >= w[1]) || rows.last().is_some_and(|&r| r as usize >= n) {
        return internal_err!("the rows of a fit must be sorted, distinct row indices");
    }
    let objective = config.objective;
    let weight = |r: usize| config.row_weight(labels[r]);
    let base = base_score(
        objective,
        rows.iter()
            .map(|&r| (labels[r as usize], weight(r as usize))),
    );
    let margins = Margins::new(n, base);
    let mut gh = vec![GradSum::default(); n];
    let mut tree_rows: Vec<u32> = Vec::with_capacity(rows.len());
    let mut nodes = NodeTable::default();
    let sample_cut =
        (config.subsample < 1.0).then_some((config.subsample * u64::MAX as f64) as u64);
    let eta = config.eta;
    for tree in 0..config.trees {
        let key = tree_key(config.seed, tree);
        let is_drawn = |r: u32| sample_cut.is_none_or(|cut| drawn(key, r, cut));
        let grad_of = |r: u32| {
            let r = r as usize;
            gradient(objective, margins.get(r), labels[r], weight(r))
        };
        let scale = match known_bounds(objective, config.max_weight()) {
            Some((g, h)) => Scale::new(rows.len(), g, h),
            None => {
                let (g, h) = rows
                    .par_chunks(ROW_BLOCK)
                    .map(|chunk| {
                        chunk
                            .iter()
                            .filter(|&&r| is_drawn(r))
                            .map(|&r| grad_of(r))
                            .fold((0.0f64, 0.0f64), |(g, h), (a, b)| {
                                (g.max(a.abs()), h.max(b))
                            })
                    })
                    .reduce(|| (0.0, 0.0), |(g, h), (a, b)| (g.max(a), h.max(b)));
                Scale::new(rows.len(), g, h)
            }
        };
        // One pass over the fit's rows: each row is drawn (or not) once; drawn
        // rows get their gradient pair, the others are kept, in order, for the
        // margin update after the tree. Blocks come back in row order.
        let sampled = sample_cut.is_some();
        let blocks: Vec<(Vec<u32>, Vec<u32>)> = gh
            .par_chunks_mut(ROW_BLOCK)
            .enumerate()
            .map(|(block, out)| {
                let lo = block * ROW_BLOCK;
                let mut margin = [0.0; GATHER];
                let mut label = [0.0; GATHER];
                let mut pairs = [GradSum::default(); GATHER];
                let mut chosen = [0u32; GATHER];
                let mut skipped = [0u32; GATHER];
                let (mut drawn_rows, mut left_out) = (Vec::new(), Vec::new());
                let mut block_rows = rows_in(rows, lo, lo + out.len()).iter().copied();
                loop {
                    // Gather up to GATHER drawn rows, compute their pairs in one
                    // straight loop. Without a branch on the draw: each row is
                    // written to both lists and the count of its side moves on
                    // (a branch on a subsample's draws is mispredicted often).
                    let (mut n, mut k) = (0, 0);
                    for r in block_rows.by_ref() {
                        let d = usize::from(is_drawn(r));
                        chosen[n] = r;
                        skipped[k] = r;
                        margin[n] = margins.get(r as usize);
                        label[n] = labels[r as usize];
                        n += d;
                        k += 1 - d;
                        if n == GATHER || k == GATHER {
                            break;
                        }
                    }
                    left_out.extend_from_slice(&skipped[..k]);
                    if n == 0 && k == 0 {
                        break;
                    }
                    gradients(
                        objective,
                        &margin[..n],
                        &label[..n],
                        config.scale_pos_weight,
                        &scale,
                        &mut pairs[..n],
                    );
                    for (&r, &pair) in chosen[..n].iter().zip(&pairs[..n]) {
                        out[r as usize - lo] = pair;
                    }
                    if sampled {
                        drawn_rows.extend_from_slice(&chosen[..n]);
                    }
                }
                (drawn_rows, left_out)
            })
            .collect();
        tree_rows.clear();
        if sampled {
            for (drawn_rows, _) in &blocks {
                tree_rows.extend_from_slice(drawn_rows);
            }
        } else {
            tree_rows.extend_from_slice(rows);
        }
        let features = draw_features(matrix.num_features(), config, tree);
        let grower = Grower {
            matrix,
            gh: &gh,
            scale,
            config,
            features: FeatureSet::new(matrix, &features),
        };
        let grown = grower.grow(&mut tree_rows);
        let value = |sums: GradSum| {
            let (g, h) = scale.real(sums);
            eta * config.split.weight(g, h)
        };
        // Drawn rows: each leaf's rows get its value.
        grown.leaves().par_iter().for_each(|&(sums, start, len)| {
            let v = value(sums);
            for &r in &tree_rows[start..start + len] {
                margins.add(r as usize, v);
            }
        });
        // Rows not drawn: walk the tree on their bins.
        if sampled {
            let flat = FlatTree::new(&grown, matrix, &value);
            blocks.par_iter().for_each(|(_, left_out)| {
                flat.for_each_value(matrix, left_out, |r, v| margins.add(r, v));
            });
        }
        push_tree(&mut nodes, tree, &grown, &scale, &value)?;
        if let Some(after_tree) = after_tree
            && !after_tree(tree + 1)
        {
            return Err(cancelled_error());
        }
    }
    Ok(Boosted {
        base_score: base,
        nodes,
    })
}

fn push_tree(
    nodes: &mut NodeTable,
    tree: usize,
    grown: &Grown,
    scale: &Scale,
    value: &impl Fn(GradSum) -> f64,
) -> Result<()> {
    let Ok(id) = u32::try_from(tree) else {
        return internal_err!("too many trees");
    };
    grown.push_to(nodes, id, scale, value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::params::GbdtParams;

    #[test]
    fn feature_and_row_draws_are_seeded() {
        let config = Config::new(&GbdtParams {
            colsample_bytree: 0.5,
            seed: 3,
            ..GbdtParams::default()
        })
        .expect("config");
        let a = draw_features(10, &config, 4);
        assert_eq!(a.len(), 5);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(a, draw_features(10, &config, 4));
        assert_ne!(
            (0..8)
                .map(|t| draw_features(10, &config, t))
                .collect::<Vec<_>>(),
            vec![a.clone(); 8]
        );
        let tiny = Config {
            colsample_bytree: 0.01,
            ..config.clone()
        };
        assert_eq!(draw_features(10, &tiny, 0).len(), 1);
        let cut = (0.3 * u64::MAX as f64) as u64;
        let share = (0..100_000u32)
            .filter(|&r| drawn(tree_key(1, 2), r, cut))
            .count();
        assert!((29_000..31_000).contains(&share), "{share}");
        assert_eq!(rows_in(&[1, 4, 9, 16], 4, 10), &[4, 9]);
    }
}
