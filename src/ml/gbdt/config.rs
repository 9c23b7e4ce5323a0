//! The trainer's settings, read once from [`GbdtParams`] and checked again
//! (its fields are public, so a value may not have come through `set`).

use datafusion::common::{Result, plan_err};
use firnml_udfs::model::Objective;

use crate::ml::params::GbdtParams;

/// How a split is scored and which splits are allowed (XGBoost's formulas).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SplitParams {
    /// L2 regularisation of leaf weights (`reg_lambda`).
    pub lambda: f64,
    /// L1 regularisation of leaf weights (`reg_alpha`).
    pub alpha: f64,
    /// Smallest loss reduction of a split (`gamma`).
    pub gamma: f64,
    /// Smallest hessian sum of a child (`min_child_weight`).
    pub min_child_weight: f64,
    /// Largest absolute leaf weight, 0 = none (`max_delta_step`).
    pub max_delta_step: f64,
}

/// Loss reductions at or below this are no split (XGBoost's `kRtEps`).
const MIN_LOSS_CHANGE: f64 = 1e-6;

impl SplitParams {
    /// XGBoost's `ThresholdL1`.
    fn threshold_l1(&self, g: f64) -> f64 {
        if g > self.alpha {
            g - self.alpha
        } else if g < -self.alpha {
            g + self.alpha
        } else {
            0.0
        }
    }

    /// The weight of a leaf with gradient sum `g` and hessian sum `h` (before the learning rate).
    pub fn weight(&self, g: f64, h: f64) -> f64 {
        if h < self.min_child_weight || h <= 0.0 {
            return 0.0;
        }
        let w = -self.threshold_l1(g) / (h + self.lambda);
        if self.max_delta_step != 0.0 && w.abs() > self.max_delta_step {
            self.max_delta_step.copysign(w)
        } else {
            w
        }
    }

    /// The score of a leaf (the loss reduction it achieves against weight 0), XGBoost's `CalcGain`.
    pub fn score(&self, g: f64, h: f64) -> f64 {
        if h < self.min_child_weight || h <= 0.0 {
            return 0.0;
        }
        if self.max_delta_step == 0.0 {
            let t = self.threshold_l1(g);
            t * t / (h + self.lambda)
        } else {
            // -2 · (G w + ½ (H + λ) w² + α |w|) at the capped weight.
            let w = self.weight(g, h);
            -(2.0 * g * w + (h + self.lambda) * w * w) - 2.0 * self.alpha * w.abs()
        }
    }

    /// Whether a split with this loss reduction is made.
    pub fn accepts(&self, loss_change: f64) -> bool {
        loss_change > MIN_LOSS_CHANGE && loss_change >= self.gamma
    }
}

/// Everything one fit needs to know.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Config {
    /// Binary logistic or squared error.
    pub objective: Objective,
    /// Number of trees.
    pub trees: usize,
    /// Learning rate.
    pub eta: f64,
    /// Largest depth of a tree.
    pub max_depth: usize,
    /// Largest number of leaves of a tree; 0 = no limit.
    pub max_leaves: usize,
    /// Split scoring.
    pub split: SplitParams,
    /// Share of rows drawn for each tree.
    pub subsample: f64,
    /// Share of features drawn for each tree.
    pub colsample_bytree: f64,
    /// Weight of positive rows of a classifier.
    pub scale_pos_weight: f64,
    /// Seed of the row and feature draws.
    pub seed: u64,
}

fn check(name: &str, ok: bool, value: impl std::fmt::Display) -> Result<()> {
    if ok {
        Ok(())
    } else {
        plan_err!("invalid value '{value}' for option {name}")
    }
}

impl Config {
    /// The settings of `params`, each checked against its range.
    pub fn new(params: &GbdtParams) -> Result<Self> {
        let p = params;
        check(
            "n_estimators",
            (1..=100_000).contains(&p.n_estimators),
            p.n_estimators,
        )?;
        check(
            "learning_rate",
            p.learning_rate > 0.0 && p.learning_rate <= 1.0,
            p.learning_rate,
        )?;
        check("max_depth", (1..=30).contains(&p.max_depth), p.max_depth)?;
        for (name, value) in [
            ("min_child_weight", p.min_child_weight),
            ("reg_lambda", p.reg_lambda),
            ("reg_alpha", p.reg_alpha),
            ("gamma", p.gamma),
            ("max_delta_step", p.max_delta_step),
        ] {
            check(name, value.is_finite() && value >= 0.0, value)?;
        }
        for (name, value) in [
            ("subsample", p.subsample),
            ("colsample_bytree", p.colsample_bytree),
        ] {
            check(name, value > 0.0 && value <= 1.0, value)?;
        }
        check(
            "scale_pos_weight",
            p.scale_pos_weight.is_finite() && p.scale_pos_weight > 0.0,
            p.scale_pos_weight,
        )?;
        check("nbins", p.nbins >= 2, p.nbins)?;
        Ok(Self {
            objective: p.objective,
            trees: p.n_estimators,
            eta: p.learning_rate,
            max_depth: p.max_depth,
            max_leaves: p.max_leaves,
            split: SplitParams {
                lambda: p.reg_lambda,
                alpha: p.reg_alpha,
                gamma: p.gamma,
                min_child_weight: p.min_child_weight,
                max_delta_step: p.max_delta_step,
            },
            subsample: p.subsample,
            colsample_bytree: p.colsample_bytree,
            scale_pos_weight: p.scale_pos_weight,
            seed: p.seed,
        })
    }

    /// The weight of a row labelled `label`: `scale_pos_weight` for a classifier's positives.
    pub fn row_weight(&self, label: f64) -> f64 {
        if self.objective == Objective::BinaryLogistic && label == 1.0 {
            self.scale_pos_weight
        } else {
            1.0
        }
    }

    /// The largest row weight.
    pub fn max_weight(&self) -> f64 {
        match self.objective {
            Objective::BinaryLogistic => self.scale_pos_weight.max(1.0),
            Objective::SquaredError => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(alpha: f64, max_delta_step: f64) -> SplitParams {
        SplitParams {
            lambda: 1.0,
            alpha,
            gamma: 0.0,
            min_child_weight: 1.0,
            max_delta_step,
        }
    }

    #[test]
    fn weights_and_scores_follow_xgboost() {
        let p = split(0.0, 0.0);
        assert_eq!(p.weight(-4.0, 3.0), 1.0);
        assert_eq!(p.score(-4.0, 3.0), 4.0);
        assert_eq!(p.weight(-4.0, 0.5), 0.0, "below min_child_weight");
        let l1 = split(2.0, 0.0);
        assert_eq!(l1.weight(-4.0, 3.0), 0.5);
        assert_eq!(l1.score(-4.0, 3.0), 1.0);
        assert_eq!(l1.weight(1.5, 3.0), 0.0);
        let capped = split(0.0, 0.25);
        assert_eq!(capped.weight(-4.0, 3.0), 0.25);
        // -(2 g w + (h + λ) w²) = -(2·(-4)·0.25 + 4·0.0625) = 1.75
        assert_eq!(capped.score(-4.0, 3.0), 1.75);
        assert!(!p.accepts(0.0) && p.accepts(0.1));
        let gamma = SplitParams { gamma: 1.0, ..p };
        assert!(!gamma.accepts(0.5) && gamma.accepts(1.0));
    }

    #[test]
    fn refuses_out_of_range_params() {
        assert!(Config::new(&GbdtParams::default()).is_ok());
        for bad in [
            GbdtParams {
                max_depth: 0,
                ..GbdtParams::default()
            },
            GbdtParams {
                subsample: 0.0,
                ..GbdtParams::default()
            },
            GbdtParams {
                reg_lambda: f64::NAN,
                ..GbdtParams::default()
            },
            GbdtParams {
                nbins: 1,
                ..GbdtParams::default()
            },
        ] {
            assert!(Config::new(&bad).is_err(), "{bad:?}");
        }
    }
}
