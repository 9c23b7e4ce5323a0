//! Firn's own histogram gradient-boosted trees: the default [`Trainer`].
//!
//! One concept per file, in the order a fit uses them:
//! - [`bins`]: each feature's values → bin numbers (quantile or one bin per
//!   value, a bin for missing values), one byte per value where every feature
//!   has ≤ 256 bins, stored row-major. Built once per data set and shared by
//!   every fold and candidate of a search ([`SharedData`]).
//! - [`objective`]: the first margin, each row's gradient and hessian, held
//!   in fixed point (see "Determinism").
//! - [`histogram`]: a node's per-bin gradient sums, built row by row (in
//!   parallel blocks for large nodes) for the smaller child only; the larger
//!   child's is its parent's minus it.
//! - [`split`]: the best split of a node, with a learned direction for missing
//!   values (XGBoost's gain, `min_child_weight`, `gamma`, `reg_alpha`,
//!   `reg_lambda`, `max_delta_step`).
//! - [`partition`]: the stable, parallel reordering of a node's row indices
//!   into its children's (rows stay node-ordered and ascending).
//! - [`grow`]: one tree, depth-first with both children in parallel, or
//!   best-first when `max_leaves` limits it.
//! - [`flat`]: a grown tree as a flat node array, walked for the rows a
//!   subsample left out of it.
//! - [`booster`]: the boosting loop — row (`subsample`) and feature
//!   (`colsample_bytree`) draws, gradients, margins, the node table.
//! - [`pool`]: which threads a fit runs on.
//!
//! Categorical features arrive as Firn's ordinal codes and are split like
//! numbers (as forust did). `scale_pos_weight` weighs positive rows.
//!
//! # Determinism
//!
//! The same data, parameters and seed give bit-identical trees whatever the
//! number of threads and however rayon schedules the work:
//! - every sum over rows is an integer sum: gradients and hessians are
//!   stored as `i64` multiples of a per-tree unit (`max / 2^(62 − log₂ rows)`,
//!   2⁻⁴² of the largest value for a million rows), so histograms, their
//!   parallel blocks and the sibling subtraction are exact and the order of
//!   additions cannot matter; everything computed from a histogram (gains,
//!   splits, leaf weights) is then a function of exact integers;
//! - each row's margin is updated by exactly one task per tree, adding the
//!   trees' values in tree order, as the predictor does;
//! - the row partition is the stable partition, whatever the blocks;
//! - draws of rows and features are pure functions of (seed, tree, row or
//!   feature), and the bin edges come from a fixed hash-chosen sample;
//! - ties between splits go to the lowest feature, then bin, then "missing
//!   right"; best-first growth takes the lowest node number on equal gains;
//! - the only floating-point reductions left — the first margin, and the
//!   maxima a squared-error tree's unit is chosen from — are a serial sum in
//!   row order and maxima (which do not depend on order).
//!
//! `exp` comes from the platform's libm, so two builds for different
//! platforms may differ in the last bits; one build always agrees with itself.

pub mod bins;
pub(crate) mod booster;
pub(crate) mod config;
pub(crate) mod flat;
pub(crate) mod grow;
pub(crate) mod histogram;
pub(crate) mod objective;
pub(crate) mod partition;
pub(crate) mod pool;
pub(crate) mod split;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use datafusion::common::{Result, exec_err};
use firnml_udfs::model::TreeEnsemble;

pub use bins::BinnedMatrix;

use crate::ml::dataset::Dataset;
use crate::ml::gbdt::booster::boost;
use crate::ml::gbdt::config::Config;
use crate::ml::gbdt::pool::run_with_threads;
use crate::ml::params::GbdtParams;
use crate::ml::trainer::{AfterTree, SharedData, Trainer};

/// Firn's own trainer.
#[derive(Debug, Clone, Copy, Default)]
pub struct FirnTrainer;

/// The name recorded with the models it trains.
pub const NAME: &str = "firn-gbdt 1";

fn check_labels(data: &Dataset) -> Result<()> {
    if let Some(row) = data.labels.iter().position(|y| !y.is_finite()) {
        return exec_err!("the label of row {} is not a finite number", row + 1);
    }
    Ok(())
}

/// Trains on `rows` (sorted) of `matrix`, the binned features of `data`.
fn fit_matrix(
    matrix: &BinnedMatrix,
    data: &Dataset,
    rows: &[u32],
    config: &Config,
    after_tree: Option<AfterTree<'_>>,
) -> Result<TreeEnsemble> {
    let boosted = boost(matrix, &data.labels, rows, config, after_tree)?;
    TreeEnsemble::try_new(
        config.objective,
        boosted.base_score,
        data.features.clone(),
        boosted.nodes,
    )
}

fn row_indices(rows: &[usize]) -> Result<Vec<u32>> {
    rows.iter()
        .map(|&r| u32::try_from(r))
        .collect::<std::result::Result<_, _>>()
        .or_else(|_| exec_err!("the trainer takes at most {} rows", u32::MAX))
}

/// A fit on every row of `data`, watched tree by tree when `after_tree` is given.
fn fit_all_rows(
    data: &Dataset,
    params: &GbdtParams,
    after_tree: Option<AfterTree<'_>>,
) -> Result<TreeEnsemble> {
    let config = Config::new(params)?;
    check_labels(data)?;
    run_with_threads(params.threads, || {
        let matrix = BinnedMatrix::build(data, params.nbins)?;
        let rows = row_indices(&(0..data.rows()).collect::<Vec<_>>())?;
        fit_matrix(&matrix, data, &rows, &config, after_tree)
    })?
}

impl Trainer for FirnTrainer {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&self, data: &Dataset, params: &GbdtParams) -> Result<TreeEnsemble> {
        fit_all_rows(data, params, None)
    }

    fn fit_observed(
        &self,
        data: &Dataset,
        params: &GbdtParams,
        after_tree: AfterTree<'_>,
    ) -> Result<TreeEnsemble> {
        fit_all_rows(data, params, Some(after_tree))
    }

    fn share<'a>(&self, data: &'a Dataset, params: &[GbdtParams]) -> Result<SharedData<'a>> {
        check_labels(data)?;
        let threads = params.first().map_or(0, |p| p.threads);
        let mut nbins: Vec<u16> = params.iter().map(|p| p.nbins).collect();
        nbins.sort_unstable();
        nbins.dedup();
        let mut shared = SharedData::new(data);
        for n in nbins {
            let matrix = run_with_threads(threads, || BinnedMatrix::build(data, n))??;
            shared.add_binned(n, Arc::new(matrix));
        }
        Ok(shared)
    }

    fn fit_rows(
        &self,
        shared: &SharedData<'_>,
        rows: &[usize],
        params: &GbdtParams,
    ) -> Result<TreeEnsemble> {
        let config = Config::new(params)?;
        let data = shared.data();
        let rows = row_indices(rows)?;
        run_with_threads(params.threads, || match shared.binned(params.nbins) {
            Some(matrix) => fit_matrix(matrix, data, &rows, &config, None),
            None => {
                check_labels(data)?;
                let matrix = BinnedMatrix::build(data, params.nbins)?;
                fit_matrix(&matrix, data, &rows, &config, None)
            }
        })?
    }
}
