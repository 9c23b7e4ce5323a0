//! Firn's own training interface. A backend turns a [`Dataset`] and
//! [`GbdtParams`] into Firn's model format; nothing above this trait knows
//! which library trained the trees.
//!
//! Two backends: Firn's own ([`FirnTrainer`], the default) and forust-ml
//! ([`ForustTrainer`]), chosen per fit by the `trainer` parameter
//! ([`TrainerKind`]) through [`default_trainer`].

use std::sync::Arc;

use datafusion::common::Result;
use firnml_udfs::model::TreeEnsemble;

use crate::ml::dataset::Dataset;
use crate::ml::forust::ForustTrainer;
use crate::ml::gbdt::{BinnedMatrix, FirnTrainer};
use crate::ml::params::{GbdtParams, TrainerKind};

/// Training data prepared once for many fits on subsets of its rows (the
/// folds and candidates of a search): the data itself and whatever a backend
/// precomputed from it (Firn's trainer: the binned matrix, per `nbins`).
#[derive(Debug, Clone)]
pub struct SharedData<'a> {
    data: &'a Dataset,
    binned: Vec<(u16, Arc<BinnedMatrix>)>,
}

impl<'a> SharedData<'a> {
    /// `data` with nothing precomputed.
    pub fn new(data: &'a Dataset) -> Self {
        Self {
            data,
            binned: Vec::new(),
        }
    }

    /// The data.
    pub fn data(&self) -> &'a Dataset {
        self.data
    }

    /// Keeps `matrix`, the data binned into `nbins` bins.
    pub fn add_binned(&mut self, nbins: u16, matrix: Arc<BinnedMatrix>) {
        self.binned.retain(|(n, _)| *n != nbins);
        self.binned.push((nbins, matrix));
    }

    /// The data binned into `nbins` bins, if it was.
    pub fn binned(&self, nbins: u16) -> Option<&BinnedMatrix> {
        self.binned
            .iter()
            .find(|(n, _)| *n == nbins)
            .map(|(_, m)| m.as_ref())
    }
}

/// Called after each tree of a fit with the number of trees done; `false`
/// stops the fit (with [`cancelled_error`]). Progress bars count trees with it.
pub type AfterTree<'a> = &'a (dyn Fn(usize) -> bool + Sync);

/// A gradient-boosted-tree training backend.
pub trait Trainer: Send + Sync {
    /// The backend's name, recorded with each model.
    fn name(&self) -> &'static str;

    /// Trains on `data`; the result is in Firn's node-table format.
    fn fit(&self, data: &Dataset, params: &GbdtParams) -> Result<TreeEnsemble>;

    /// [`Trainer::fit`], calling `after_tree` after each tree. By default the
    /// backend cannot be watched: one call when the fit is done.
    fn fit_observed(
        &self,
        data: &Dataset,
        params: &GbdtParams,
        after_tree: AfterTree<'_>,
    ) -> Result<TreeEnsemble> {
        let model = self.fit(data, params)?;
        after_tree(params.n_estimators);
        Ok(model)
    }

    /// Prepares `data` for fits with each of `params` on subsets of its rows.
    /// By default nothing is precomputed.
    fn share<'a>(&self, data: &'a Dataset, params: &[GbdtParams]) -> Result<SharedData<'a>> {
        let _ = params;
        Ok(SharedData::new(data))
    }

    /// Trains on the rows `rows` (ascending) of shared data. By default the
    /// rows are copied out and fitted with [`Trainer::fit`].
    fn fit_rows(
        &self,
        shared: &SharedData<'_>,
        rows: &[usize],
        params: &GbdtParams,
    ) -> Result<TreeEnsemble> {
        self.fit(&shared.data().subset(rows), params)
    }
}

/// The backend the `trainer` parameter of `params` names.
pub fn trainer_for(params: &GbdtParams) -> &'static dyn Trainer {
    match params.trainer {
        TrainerKind::Firn => &FirnTrainer,
        TrainerKind::Forust => &ForustTrainer,
    }
}

/// The trainer Firn uses unless told otherwise: each fit goes to the backend
/// its `trainer` parameter names (Firn's own by default).
pub fn default_trainer() -> &'static dyn Trainer {
    &ByParameter
}

/// Dispatches each fit to [`trainer_for`] its parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct ByParameter;

impl Trainer for ByParameter {
    fn name(&self) -> &'static str {
        "firn-gbdt 1 (trainer 'firn') or forust-ml 0.8 (trainer 'forust')"
    }

    fn fit(&self, data: &Dataset, params: &GbdtParams) -> Result<TreeEnsemble> {
        trainer_for(params).fit(data, params)
    }

    fn fit_observed(
        &self,
        data: &Dataset,
        params: &GbdtParams,
        after_tree: AfterTree<'_>,
    ) -> Result<TreeEnsemble> {
        trainer_for(params).fit_observed(data, params, after_tree)
    }

    fn share<'a>(&self, data: &'a Dataset, params: &[GbdtParams]) -> Result<SharedData<'a>> {
        let firn: Vec<GbdtParams> = params
            .iter()
            .filter(|p| p.trainer == TrainerKind::Firn)
            .cloned()
            .collect();
        if firn.is_empty() {
            return Ok(SharedData::new(data));
        }
        FirnTrainer.share(data, &firn)
    }

    fn fit_rows(
        &self,
        shared: &SharedData<'_>,
        rows: &[usize],
        params: &GbdtParams,
    ) -> Result<TreeEnsemble> {
        trainer_for(params).fit_rows(shared, rows, params)
    }
}

/// Per-row weights: `scale_pos_weight` for positive rows of a classifier, 1 elsewhere.
pub fn sample_weights(data: &Dataset, params: &GbdtParams) -> Vec<f64> {
    match params.objective {
        firnml_udfs::model::Objective::BinaryLogistic if params.scale_pos_weight != 1.0 => data
            .labels
            .iter()
            .map(|&y| {
                if y == 1.0 {
                    params.scale_pos_weight
                } else {
                    1.0
                }
            })
            .collect(),
        _ => vec![1.0; data.rows()],
    }
}
