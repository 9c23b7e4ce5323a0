//! The binary confusion matrix and the metrics read from it: accuracy,
//! precision, recall and F1.

use datafusion::common::{Result, exec_err};

use super::input::{check_label, check_lengths, check_score};

/// Counts of a binary classifier's outcomes.
///
/// A row is *predicted positive* when its score is `>= threshold`; its label
/// must be `0` or `1`.
///
/// # Zero-division conventions
///
/// They follow scikit-learn's defaults (`zero_division=0`):
/// - [`precision`](Self::precision) is `0` when nothing is predicted positive
///   (`tp + fp == 0`);
/// - [`recall`](Self::recall) is `0` when there are no positive labels
///   (`tp + fn == 0`);
/// - [`f1`](Self::f1) is `2·tp / (2·tp + fp + fn)`, and `0` when that
///   denominator is `0` (no positive label and no positive prediction);
/// - [`accuracy`](Self::accuracy) is `None` for an empty matrix, as there is
///   nothing to score.
///
/// ```
/// use firnml_udfs::metrics::ConfusionMatrix;
///
/// let m = ConfusionMatrix::from_scores(&[0.9, 0.6, 0.4, 0.2], &[1.0, 0.0, 1.0, 0.0], 0.5)?;
/// assert_eq!((m.tp, m.fp, m.tn, m.fn_), (1, 1, 1, 1));
/// assert_eq!(m.accuracy(), Some(0.5));
/// assert_eq!(m.f1(), 0.5);
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ConfusionMatrix {
    /// Predicted positive, labelled positive.
    pub tp: u64,
    /// Predicted positive, labelled negative.
    pub fp: u64,
    /// Predicted negative, labelled negative.
    pub tn: u64,
    /// Predicted negative, labelled positive.
    pub fn_: u64,
}

impl ConfusionMatrix {
    /// Counts `scores` against 0/1 `labels`, predicting positive when
    /// `score >= threshold`.
    ///
    /// Errors when the lengths differ, a label is not 0 or 1, a score is NaN
    /// or the threshold is NaN.
    pub fn from_scores(scores: &[f64], labels: &[f64], threshold: f64) -> Result<Self> {
        const NAME: &str = "confusion_matrix";
        check_lengths(NAME, scores.len(), labels.len())?;
        if threshold.is_nan() {
            return exec_err!("{NAME}: threshold is NaN");
        }
        let mut matrix = Self::default();
        for (&score, &label) in scores.iter().zip(labels) {
            let score = check_score(NAME, "score", score)?;
            matrix.add(score >= threshold, check_label(NAME, label)?);
        }
        Ok(matrix)
    }

    /// Counts one row.
    pub fn add(&mut self, predicted: bool, actual: bool) {
        match (predicted, actual) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, false) => self.tn += 1,
            (false, true) => self.fn_ += 1,
        }
    }

    /// Adds the counts of `other`, e.g. another partition's.
    pub fn merge(&mut self, other: &Self) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.tn += other.tn;
        self.fn_ += other.fn_;
    }

    /// Number of rows counted.
    pub fn total(&self) -> u64 {
        self.tp + self.fp + self.tn + self.fn_
    }

    /// `(tp + tn) / total`; `None` when the matrix is empty.
    pub fn accuracy(&self) -> Option<f64> {
        let total = self.total();
        (total > 0).then(|| (self.tp + self.tn) as f64 / total as f64)
    }

    /// `tp / (tp + fp)`; `0` when nothing is predicted positive.
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    /// `tp / (tp + fn)`; `0` when there are no positive labels.
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// The harmonic mean of precision and recall, `2·tp / (2·tp + fp + fn)`;
    /// `0` when there are no positive labels and no positive predictions.
    pub fn f1(&self) -> f64 {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
}

/// `num / den`, or `0` when `den` is `0` (scikit-learn's `zero_division=0`).
fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::fixtures::{LABELS, SCORES, close};

    #[test]
    fn matches_sklearn_at_several_thresholds() {
        // (threshold, [tn, fp, fn, tp], accuracy, precision, recall, f1)
        let cases = [
            (
                0.5,
                [1, 3, 6, 10],
                0.55,
                0.7692307692307693,
                0.625,
                0.6896551724137931,
            ),
            (
                0.35,
                [1, 3, 5, 11],
                0.6,
                0.7857142857142857,
                0.6875,
                0.7333333333333333,
            ),
            (0.9, [4, 0, 12, 4], 0.4, 1.0, 0.25, 0.4),
        ];
        for (threshold, [tn, fp, fn_, tp], acc, p, r, f1) in cases {
            let m = ConfusionMatrix::from_scores(&SCORES, &LABELS, threshold).unwrap();
            assert_eq!(
                m,
                ConfusionMatrix { tp, fp, tn, fn_ },
                "threshold {threshold}"
            );
            assert!(close(m.accuracy().unwrap(), acc));
            assert!(close(m.precision(), p));
            assert!(close(m.recall(), r));
            assert!(close(m.f1(), f1));
        }
    }

    #[test]
    fn threshold_is_inclusive() {
        let m = ConfusionMatrix::from_scores(&[0.5, 0.5], &[1.0, 0.0], 0.5).unwrap();
        assert_eq!((m.tp, m.fp, m.tn, m.fn_), (1, 1, 0, 0));
    }

    #[test]
    fn zero_division_is_zero() {
        // Nothing predicted positive, no positive label.
        let m = ConfusionMatrix::from_scores(&[0.1, 0.2], &[0.0, 0.0], 0.5).unwrap();
        assert_eq!((m.precision(), m.recall(), m.f1()), (0.0, 0.0, 0.0));
        assert_eq!(m.accuracy(), Some(1.0));
        // Positives exist but none predicted.
        let m = ConfusionMatrix::from_scores(&[0.1, 0.2], &[1.0, 0.0], 0.5).unwrap();
        assert_eq!((m.precision(), m.recall(), m.f1()), (0.0, 0.0, 0.0));
        let empty = ConfusionMatrix::default();
        assert_eq!(empty.accuracy(), None);
        assert_eq!(empty.f1(), 0.0);
    }

    #[test]
    fn merge_adds_counts() {
        let mut a = ConfusionMatrix::from_scores(&SCORES[..7], &LABELS[..7], 0.5).unwrap();
        let b = ConfusionMatrix::from_scores(&SCORES[7..], &LABELS[7..], 0.5).unwrap();
        a.merge(&b);
        assert_eq!(
            a,
            ConfusionMatrix::from_scores(&SCORES, &LABELS, 0.5).unwrap()
        );
        assert_eq!(a.total(), 20);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let err = ConfusionMatrix::from_scores(&[0.1], &[2.0], 0.5).unwrap_err();
        assert!(
            err.strip_backtrace()
                .contains("label must be 0 or 1, got 2")
        );
        assert!(ConfusionMatrix::from_scores(&[f64::NAN], &[1.0], 0.5).is_err());
        assert!(ConfusionMatrix::from_scores(&[0.1], &[1.0], f64::NAN).is_err());
        assert!(ConfusionMatrix::from_scores(&[0.1, 0.2], &[1.0], 0.5).is_err());
    }
}
