//! Metrics by name, for scoring cross-validation folds and held-out sets. The
//! arithmetic lives in `firnml_udfs::metrics` (shared with the SQL aggregates).

use datafusion::common::{Result, plan_err};
use firnml_udfs::metrics::{ConfusionMatrix, log_loss, mae, pr_auc, r2, rmse, roc_auc};
use firnml_udfs::model::Objective;

/// A metric a search or a run can be scored by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Share of correct predictions at the threshold.
    Accuracy,
    /// TP / (TP + FP) at the threshold.
    Precision,
    /// TP / (TP + FN) at the threshold.
    Recall,
    /// Harmonic mean of precision and recall at the threshold.
    F1,
    /// Area under the ROC curve.
    RocAuc,
    /// Average precision (area under the precision-recall curve).
    PrAuc,
    /// Mean negative log-likelihood of the probabilities.
    LogLoss,
    /// Root mean squared error.
    Rmse,
    /// Mean absolute error.
    Mae,
    /// Coefficient of determination.
    R2,
}

const NAMES: &[(&str, Metric)] = &[
    ("accuracy", Metric::Accuracy),
    ("precision", Metric::Precision),
    ("recall", Metric::Recall),
    ("f1", Metric::F1),
    ("roc_auc", Metric::RocAuc),
    ("auc", Metric::RocAuc),
    ("pr_auc", Metric::PrAuc),
    ("log_loss", Metric::LogLoss),
    ("rmse", Metric::Rmse),
    ("mae", Metric::Mae),
    ("r2", Metric::R2),
];

fn defined(name: &str, value: Option<f64>) -> Result<f64> {
    match value {
        Some(v) => Ok(v),
        None => plan_err!("{name} is undefined here (e.g. the rows hold only one class)"),
    }
}

impl Metric {
    /// Parses a metric name (`f1`, `roc_auc` or `auc`, `log_loss`, …).
    pub fn from_name(name: &str) -> Result<Self> {
        let lower = name.trim().to_ascii_lowercase();
        match NAMES.iter().find(|(n, _)| *n == lower) {
            Some((_, metric)) => Ok(*metric),
            None => {
                let names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
                plan_err!(
                    "unknown metric '{name}'; expected one of: {}",
                    names.join(", ")
                )
            }
        }
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("?", |(n, _)| n)
    }

    /// Whether larger values are better (false for losses and errors).
    pub fn greater_is_better(self) -> bool {
        !matches!(self, Metric::LogLoss | Metric::Rmse | Metric::Mae)
    }

    /// Whether the metric applies to a model with `objective`.
    pub fn fits(self, objective: Objective) -> bool {
        let regression = matches!(self, Metric::Rmse | Metric::Mae | Metric::R2);
        regression == (objective == Objective::SquaredError)
    }

    /// Scores predictions (probabilities for classifiers, values for regressors).
    pub fn score(self, predictions: &[f64], labels: &[f64], threshold: f64) -> Result<f64> {
        let confusion = || ConfusionMatrix::from_scores(predictions, labels, threshold);
        match self {
            Metric::Accuracy => defined("accuracy", confusion()?.accuracy()),
            Metric::Precision => Ok(confusion()?.precision()),
            Metric::Recall => Ok(confusion()?.recall()),
            Metric::F1 => Ok(confusion()?.f1()),
            Metric::RocAuc => defined("roc_auc", roc_auc(predictions, labels)?),
            Metric::PrAuc => defined("pr_auc", pr_auc(predictions, labels)?),
            Metric::LogLoss => defined("log_loss", log_loss(predictions, labels)?),
            Metric::Rmse => defined("rmse", rmse(predictions, labels)?),
            Metric::Mae => defined("mae", mae(predictions, labels)?),
            Metric::R2 => defined("r2", r2(predictions, labels)?),
        }
    }
}

/// Every metric of a held-out evaluation, by name (what a run logs).
pub fn evaluate(
    objective: Objective,
    predictions: &[f64],
    labels: &[f64],
    threshold: f64,
) -> Result<Vec<(&'static str, f64)>> {
    match objective {
        Objective::BinaryLogistic => {
            let c = ConfusionMatrix::from_scores(predictions, labels, threshold)?;
            let mut metrics = vec![
                ("accuracy", c.accuracy().unwrap_or(f64::NAN)),
                ("precision", c.precision()),
                ("recall", c.recall()),
                ("f1", c.f1()),
            ];
            metrics.push(("roc_auc", roc_auc(predictions, labels)?.unwrap_or(f64::NAN)));
            metrics.push(("pr_auc", pr_auc(predictions, labels)?.unwrap_or(f64::NAN)));
            metrics.push((
                "log_loss",
                log_loss(predictions, labels)?.unwrap_or(f64::NAN),
            ));
            metrics.extend([
                ("tp", c.tp as f64),
                ("fp", c.fp as f64),
                ("tn", c.tn as f64),
                ("fn", c.fn_ as f64),
            ]);
            Ok(metrics)
        }
        Objective::SquaredError => Ok(vec![
            ("rmse", rmse(predictions, labels)?.unwrap_or(f64::NAN)),
            ("mae", mae(predictions, labels)?.unwrap_or(f64::NAN)),
            ("r2", r2(predictions, labels)?.unwrap_or(f64::NAN)),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_scores() {
        assert_eq!(Metric::from_name("AUC").expect("known"), Metric::RocAuc);
        assert!(
            Metric::from_name("f2")
                .expect_err("unknown")
                .to_string()
                .contains("expected one of: accuracy")
        );
        let preds = [0.9, 0.8, 0.3, 0.2];
        let labels = [1.0, 0.0, 1.0, 0.0];
        // at 0.5: TP 1, FP 1, FN 1, TN 1
        assert_eq!(Metric::F1.score(&preds, &labels, 0.5).expect("f1"), 0.5);
        assert_eq!(
            Metric::RocAuc.score(&preds, &labels, 0.5).expect("auc"),
            0.75
        );
        assert!(!Metric::LogLoss.greater_is_better());
        assert!(
            Metric::F1.fits(Objective::BinaryLogistic)
                && !Metric::Rmse.fits(Objective::BinaryLogistic)
        );
        let all = evaluate(Objective::BinaryLogistic, &preds, &labels, 0.5).expect("metrics");
        assert_eq!(
            all.iter().find(|(n, _)| *n == "tp").map(|(_, v)| *v),
            Some(1.0)
        );
    }
}
