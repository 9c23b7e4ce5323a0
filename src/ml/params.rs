//! Typed, validated training parameters. `OPTIONS (…)` of SQL and the library
//! API both end here: a wrong value names the option and its valid range.

use datafusion::common::{Result, plan_err};
use firnml_udfs::model::Objective;

/// The training backend of a fit (parameter `trainer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrainerKind {
    /// Firn's own histogram GBDT (`'firn'`, the default).
    #[default]
    Firn,
    /// forust-ml 0.8 (`'forust'`), kept for comparison.
    Forust,
}

impl TrainerKind {
    /// The parameter value naming it.
    pub fn name(self) -> &'static str {
        match self {
            TrainerKind::Firn => "firn",
            TrainerKind::Forust => "forust",
        }
    }
}

/// Parameters of a gradient-boosted tree model (XGBoost's names and defaults
/// where forust has the same knob).
#[derive(Debug, Clone, PartialEq)]
pub struct GbdtParams {
    /// Binary logistic or squared error.
    pub objective: Objective,
    /// Number of trees.
    pub n_estimators: usize,
    /// Shrinkage applied to each tree.
    pub learning_rate: f64,
    /// Maximum depth of a tree.
    pub max_depth: usize,
    /// Maximum leaves of a tree (0 = unlimited).
    pub max_leaves: usize,
    /// Minimum hessian sum in a leaf (XGBoost's `min_child_weight`).
    pub min_child_weight: f64,
    /// L2 regularisation on leaf weights (`reg_lambda`).
    pub reg_lambda: f64,
    /// L1 regularisation on leaf weights (`reg_alpha`).
    pub reg_alpha: f64,
    /// Minimum loss reduction to split (`gamma`).
    pub gamma: f64,
    /// Maximum delta step of a leaf (0 = none).
    pub max_delta_step: f64,
    /// Fraction of rows sampled for each tree.
    pub subsample: f64,
    /// Fraction of columns sampled for each tree.
    pub colsample_bytree: f64,
    /// Weight of positive rows (binary classification only).
    pub scale_pos_weight: f64,
    /// Histogram bins per feature.
    pub nbins: u16,
    /// Seed of every random choice.
    pub seed: u64,
    /// Training threads (0 = all cores).
    pub threads: usize,
    /// The training backend.
    pub trainer: TrainerKind,
}

impl Default for GbdtParams {
    fn default() -> Self {
        Self {
            objective: Objective::BinaryLogistic,
            n_estimators: 100,
            learning_rate: 0.3,
            max_depth: 6,
            max_leaves: 0,
            min_child_weight: 1.0,
            reg_lambda: 1.0,
            reg_alpha: 0.0,
            gamma: 0.0,
            max_delta_step: 0.0,
            subsample: 1.0,
            colsample_bytree: 1.0,
            scale_pos_weight: 1.0,
            nbins: 256,
            seed: 0,
            threads: 0,
            trainer: TrainerKind::Firn,
        }
    }
}

/// Names accepted by [`GbdtParams::set`], with their valid ranges, for messages.
pub const PARAMETERS: &[(&str, &str)] = &[
    ("objective", "'binary:logistic' or 'reg:squarederror'"),
    ("n_estimators", "an integer in 1..=100000"),
    ("learning_rate", "a number in (0, 1]"),
    ("max_depth", "an integer in 1..=30"),
    ("max_leaves", "an integer >= 0 (0 = unlimited)"),
    ("min_child_weight", "a number >= 0"),
    ("reg_lambda", "a number >= 0"),
    ("reg_alpha", "a number >= 0"),
    ("gamma", "a number >= 0"),
    ("max_delta_step", "a number >= 0"),
    ("subsample", "a number in (0, 1]"),
    ("colsample_bytree", "a number in (0, 1]"),
    ("scale_pos_weight", "a number > 0"),
    ("nbins", "an integer in 2..=65535"),
    ("seed", "an integer >= 0"),
    ("threads", "an integer >= 0 (0 = all cores)"),
    ("trainer", "'firn' or 'forust'"),
];

fn range_of(name: &str) -> &'static str {
    PARAMETERS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, r)| r)
}

fn bad<T>(name: &str, value: &str) -> Result<T> {
    plan_err!(
        "invalid value '{value}' for option {name}: expected {}",
        range_of(name)
    )
}

fn number(name: &str, value: &str, ok: impl Fn(f64) -> bool) -> Result<f64> {
    match value.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && ok(v) => Ok(v),
        _ => bad(name, value),
    }
}

fn integer(name: &str, value: &str, ok: impl Fn(u64) -> bool) -> Result<u64> {
    match value.trim().parse::<u64>() {
        Ok(v) if ok(v) => Ok(v),
        _ => bad(name, value),
    }
}

impl GbdtParams {
    /// Whether `name` is a training parameter.
    pub fn is_parameter(name: &str) -> bool {
        PARAMETERS.iter().any(|(n, _)| *n == name)
    }

    /// Sets one parameter from its text form, checking its range.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        match name {
            "objective" => self.objective = Objective::from_name(value.trim())?,
            "n_estimators" => {
                self.n_estimators = integer(name, value, |v| (1..=100_000).contains(&v))? as usize
            }
            "learning_rate" => self.learning_rate = number(name, value, |v| v > 0.0 && v <= 1.0)?,
            "max_depth" => {
                self.max_depth = integer(name, value, |v| (1..=30).contains(&v))? as usize
            }
            "max_leaves" => self.max_leaves = integer(name, value, |_| true)? as usize,
            "min_child_weight" => self.min_child_weight = number(name, value, |v| v >= 0.0)?,
            "reg_lambda" => self.reg_lambda = number(name, value, |v| v >= 0.0)?,
            "reg_alpha" => self.reg_alpha = number(name, value, |v| v >= 0.0)?,
            "gamma" => self.gamma = number(name, value, |v| v >= 0.0)?,
            "max_delta_step" => self.max_delta_step = number(name, value, |v| v >= 0.0)?,
            "subsample" => self.subsample = number(name, value, |v| v > 0.0 && v <= 1.0)?,
            "colsample_bytree" => {
                self.colsample_bytree = number(name, value, |v| v > 0.0 && v <= 1.0)?
            }
            "scale_pos_weight" => self.scale_pos_weight = number(name, value, |v| v > 0.0)?,
            "nbins" => self.nbins = integer(name, value, |v| (2..=65_535).contains(&v))? as u16,
            "seed" => self.seed = integer(name, value, |_| true)?,
            "threads" => self.threads = integer(name, value, |v| v <= 1024)? as usize,
            "trainer" => {
                self.trainer = match value
                    .trim()
                    .trim_matches('\'')
                    .to_ascii_lowercase()
                    .as_str()
                {
                    "firn" => TrainerKind::Firn,
                    "forust" => TrainerKind::Forust,
                    _ => return bad(name, value),
                }
            }
            other => {
                let names: Vec<&str> = PARAMETERS.iter().map(|(n, _)| *n).collect();
                return plan_err!(
                    "unknown training option '{other}'; valid options are: {}",
                    names.join(", ")
                );
            }
        }
        Ok(())
    }

    /// Every parameter as (name, text value), in `PARAMETERS` order: what a run logs.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("objective", self.objective.name().to_string()),
            ("n_estimators", self.n_estimators.to_string()),
            ("learning_rate", self.learning_rate.to_string()),
            ("max_depth", self.max_depth.to_string()),
            ("max_leaves", self.max_leaves.to_string()),
            ("min_child_weight", self.min_child_weight.to_string()),
            ("reg_lambda", self.reg_lambda.to_string()),
            ("reg_alpha", self.reg_alpha.to_string()),
            ("gamma", self.gamma.to_string()),
            ("max_delta_step", self.max_delta_step.to_string()),
            ("subsample", self.subsample.to_string()),
            ("colsample_bytree", self.colsample_bytree.to_string()),
            ("scale_pos_weight", self.scale_pos_weight.to_string()),
            ("nbins", self.nbins.to_string()),
            ("seed", self.seed.to_string()),
            ("threads", self.threads.to_string()),
            ("trainer", self.trainer.name().to_string()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_and_validates() {
        let mut params = GbdtParams::default();
        params.set("max_depth", "5").expect("valid");
        params.set("learning_rate", "0.1").expect("valid");
        params.set("objective", "reg:squarederror").expect("valid");
        assert_eq!(params.max_depth, 5);
        assert_eq!(params.objective, Objective::SquaredError);

        let err = params.set("max_depth", "0").expect_err("out of range");
        assert!(
            err.to_string()
                .contains("invalid value '0' for option max_depth: expected an integer in 1..=30"),
            "{err}"
        );
        let err = params
            .set("learning_rate", "fast")
            .expect_err("not a number");
        assert!(err.to_string().contains("option learning_rate"), "{err}");
        let err = params.set("max_dept", "3").expect_err("typo");
        assert!(
            err.to_string()
                .contains("unknown training option 'max_dept'; valid options are: objective"),
            "{err}"
        );
        assert!(params.set("subsample", "NaN").is_err());
        params.set("trainer", "forust").expect("valid");
        assert_eq!(params.trainer, TrainerKind::Forust);
        let err = params
            .set("trainer", "lightgbm")
            .expect_err("unknown backend");
        assert!(
            err.to_string().contains("expected 'firn' or 'forust'"),
            "{err}"
        );
    }

    #[test]
    fn pairs_round_trip_through_set() {
        let mut params = GbdtParams::default();
        params.set("scale_pos_weight", "3").expect("valid");
        let mut copy = GbdtParams::default();
        for (name, value) in params.to_pairs() {
            copy.set(name, &value).expect("own output is valid");
        }
        assert_eq!(copy, params);
        assert_eq!(params.to_pairs().len(), PARAMETERS.len());
    }
}
