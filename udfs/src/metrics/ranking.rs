//! Ranking metrics: the ROC curve, ROC-AUC, the precision-recall curve and
//! average precision (PR-AUC).
//!
//! All of them sort the rows once by descending score (`O(n log n)`, one
//! allocation per call) and sweep the distinct thresholds, so tied scores form
//! one step of the curve, never an arbitrary order of the tied rows.

use datafusion::common::Result;

use super::input::{check_label, check_lengths, check_score};

/// One point of a ROC curve: predicting positive when `score >= threshold`
/// gives false-positive rate `fpr` and true-positive rate `tpr`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RocPoint {
    /// The decision threshold; `+inf` for the first point (nothing predicted positive).
    pub threshold: f64,
    /// False-positive rate, `fp / negatives`.
    pub fpr: f64,
    /// True-positive rate (recall), `tp / positives`.
    pub tpr: f64,
}

/// One point of a precision-recall curve: predicting positive when
/// `score >= threshold` gives `recall` and `precision`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrPoint {
    /// The decision threshold; `+inf` for the first point (nothing predicted positive).
    pub threshold: f64,
    /// Recall (true-positive rate), `tp / positives`.
    pub recall: f64,
    /// Precision, `tp / (tp + fp)`; `1` for the first point, where nothing is predicted positive.
    pub precision: f64,
}

/// Area under the ROC curve, with the trapezoid rule over distinct thresholds
/// (equal to the Mann–Whitney statistic with average ranks for ties), like
/// scikit-learn's `roc_auc_score`.
///
/// `Ok(None)` when either class is absent (the curve is undefined). Errors
/// when the lengths differ, a label is not 0 or 1, or a score is NaN.
///
/// ```
/// use firnml_udfs::metrics::roc_auc;
///
/// let auc = roc_auc(&[0.1, 0.4, 0.35, 0.8], &[0.0, 0.0, 1.0, 1.0])?;
/// assert_eq!(auc, Some(0.75));
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn roc_auc(scores: &[f64], labels: &[f64]) -> Result<Option<f64>> {
    Ok(Ranked::from_slices("roc_auc", scores, labels)?.roc_auc())
}

/// Average precision, the usual summary of the precision-recall curve:
/// `Σ (Rₖ − Rₖ₋₁) · Pₖ` over distinct thresholds in descending order, exactly
/// scikit-learn's `average_precision_score` (no interpolation).
///
/// `Ok(None)` when there are no positive labels (recall is undefined); `1.0`
/// when every label is positive. Errors like [`roc_auc`].
///
/// ```
/// use firnml_udfs::metrics::pr_auc;
///
/// let ap = pr_auc(&[0.1, 0.4, 0.35, 0.8], &[0.0, 0.0, 1.0, 1.0])?.unwrap();
/// assert!((ap - 5.0 / 6.0).abs() < 1e-12);
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn pr_auc(scores: &[f64], labels: &[f64]) -> Result<Option<f64>> {
    Ok(Ranked::from_slices("pr_auc", scores, labels)?.average_precision())
}

/// The ROC curve: one point per distinct score in descending order, preceded
/// by `(+inf, 0, 0)`, like scikit-learn's `roc_curve(..., drop_intermediate=False)`.
///
/// `Ok(None)` when either class is absent. Errors like [`roc_auc`].
///
/// ```
/// use firnml_udfs::metrics::{RocPoint, roc_curve};
///
/// let curve = roc_curve(&[0.8, 0.4, 0.4], &[1.0, 1.0, 0.0])?.unwrap();
/// assert_eq!(curve[1], RocPoint { threshold: 0.8, fpr: 0.0, tpr: 0.5 });
/// assert_eq!(curve[2], RocPoint { threshold: 0.4, fpr: 1.0, tpr: 1.0 });
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn roc_curve(scores: &[f64], labels: &[f64]) -> Result<Option<Vec<RocPoint>>> {
    Ok(Ranked::from_slices("roc_curve", scores, labels)?.roc_curve())
}

/// The precision-recall curve: one point per distinct score in descending
/// order, preceded by `(+inf, recall 0, precision 1)`. These are exactly
/// scikit-learn's `precision_recall_curve` points (`drop_intermediate=False`),
/// which lists them the other way round, with the `(recall 0, precision 1)`
/// point last and no threshold for it.
///
/// Drawn as a step function — precision `Pₖ` from recall `Rₖ₋₁` to `Rₖ` — the
/// area under the curve is [`pr_auc`] (average precision).
///
/// `Ok(None)` when there are no positive labels (recall is undefined). Errors
/// like [`roc_auc`].
///
/// ```
/// use firnml_udfs::metrics::{PrPoint, pr_curve};
///
/// let curve = pr_curve(&[0.8, 0.4, 0.4], &[1.0, 1.0, 0.0])?.unwrap();
/// assert_eq!(curve[1], PrPoint { threshold: 0.8, recall: 0.5, precision: 1.0 });
/// assert_eq!(curve[2].threshold, 0.4);
/// assert_eq!((curve[2].recall, curve[2].precision), (1.0, 2.0 / 3.0));
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn pr_curve(scores: &[f64], labels: &[f64]) -> Result<Option<Vec<PrPoint>>> {
    Ok(Ranked::from_slices("pr_curve", scores, labels)?.pr_curve())
}

/// Score/label pairs sorted by descending score, with the class totals: the
/// shared first step of the ranking metrics.
#[derive(Debug)]
pub(crate) struct Ranked {
    pairs: Vec<(f64, bool)>,
    positives: u64,
    negatives: u64,
}

impl Ranked {
    /// Checks and sorts `scores` against 0/1 `labels`; `name` labels errors.
    fn from_slices(name: &str, scores: &[f64], labels: &[f64]) -> Result<Self> {
        check_lengths(name, scores.len(), labels.len())?;
        let pairs = scores
            .iter()
            .zip(labels)
            .map(|(&s, &l)| Ok((check_score(name, "score", s)?, check_label(name, l)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self::from_pairs(pairs))
    }

    /// Sorts already-checked pairs (no NaN score, `-0.0` folded into `0.0`).
    pub(crate) fn from_pairs(mut pairs: Vec<(f64, bool)>) -> Self {
        pairs.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
        let positives = pairs.iter().filter(|(_, label)| *label).count() as u64;
        let negatives = pairs.len() as u64 - positives;
        Self {
            pairs,
            positives,
            negatives,
        }
    }

    /// Cumulative `(threshold, tp, fp)` after each distinct threshold, descending.
    fn steps(&self) -> Steps<'_> {
        Steps {
            pairs: &self.pairs,
            next: 0,
            tp: 0,
            fp: 0,
        }
    }

    /// See [`roc_auc`].
    pub(crate) fn roc_auc(&self) -> Option<f64> {
        if self.positives == 0 || self.negatives == 0 {
            return None;
        }
        // Twice the area under the (tp, fp) staircase, trapezoids over tied runs.
        let (mut area2, mut prev_tp, mut prev_fp) = (0.0, 0, 0);
        for (_, tp, fp) in self.steps() {
            area2 += (fp - prev_fp) as f64 * (tp + prev_tp) as f64;
            (prev_tp, prev_fp) = (tp, fp);
        }
        Some(area2 / (2.0 * self.positives as f64 * self.negatives as f64))
    }

    /// See [`pr_auc`].
    pub(crate) fn average_precision(&self) -> Option<f64> {
        if self.positives == 0 {
            return None;
        }
        let (mut sum, mut prev_tp) = (0.0, 0);
        for (_, tp, fp) in self.steps() {
            sum += (tp - prev_tp) as f64 * (tp as f64 / (tp + fp) as f64);
            prev_tp = tp;
        }
        Some(sum / self.positives as f64)
    }

    /// See [`roc_curve`].
    fn roc_curve(&self) -> Option<Vec<RocPoint>> {
        if self.positives == 0 || self.negatives == 0 {
            return None;
        }
        let (p, n) = (self.positives as f64, self.negatives as f64);
        let first = RocPoint {
            threshold: f64::INFINITY,
            fpr: 0.0,
            tpr: 0.0,
        };
        let rest = self.steps().map(|(threshold, tp, fp)| RocPoint {
            threshold,
            fpr: fp as f64 / n,
            tpr: tp as f64 / p,
        });
        Some(std::iter::once(first).chain(rest).collect())
    }

    /// See [`pr_curve`].
    fn pr_curve(&self) -> Option<Vec<PrPoint>> {
        if self.positives == 0 {
            return None;
        }
        let p = self.positives as f64;
        let first = PrPoint {
            threshold: f64::INFINITY,
            recall: 0.0,
            precision: 1.0,
        };
        // Every step adds at least one row, so `tp + fp > 0`.
        let rest = self.steps().map(|(threshold, tp, fp)| PrPoint {
            threshold,
            recall: tp as f64 / p,
            precision: tp as f64 / (tp + fp) as f64,
        });
        Some(std::iter::once(first).chain(rest).collect())
    }
}

/// Iterator behind [`Ranked::steps`].
struct Steps<'a> {
    pairs: &'a [(f64, bool)],
    next: usize,
    tp: u64,
    fp: u64,
}

impl Iterator for Steps<'_> {
    type Item = (f64, u64, u64);

    fn next(&mut self) -> Option<Self::Item> {
        let &(threshold, _) = self.pairs.get(self.next)?;
        while let Some(&(score, label)) = self.pairs.get(self.next) {
            if score != threshold {
                break;
            }
            if label {
                self.tp += 1;
            } else {
                self.fp += 1;
            }
            self.next += 1;
        }
        Some((threshold, self.tp, self.fp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::fixtures::{LABELS, SCORES, close};

    /// (scores, labels, sklearn roc_auc_score, sklearn average_precision_score)
    fn cases() -> Vec<(Vec<f64>, Vec<f64>, f64, f64)> {
        vec![
            // sklearn's documentation example
            (
                vec![0.1, 0.4, 0.35, 0.8],
                vec![0., 0., 1., 1.],
                0.75,
                0.8333333333333333,
            ),
            // ties across classes
            (
                vec![0.9, 0.8, 0.8, 0.7, 0.7, 0.7, 0.3, 0.2],
                vec![1., 1., 0., 1., 0., 0., 1., 0.],
                0.65625,
                0.6845238095238095,
            ),
            (
                SCORES.to_vec(),
                LABELS.to_vec(),
                0.609375,
                0.8744842054874951,
            ),
            // perfect and inverted classifiers
            (vec![0.9, 0.8, 0.2, 0.1], vec![1., 1., 0., 0.], 1.0, 1.0),
            (
                vec![0.9, 0.8, 0.2, 0.1],
                vec![0., 0., 1., 1.],
                0.0,
                0.41666666666666663,
            ),
            // every score tied
            (vec![0.5; 4], vec![1., 0., 1., 0.], 0.5, 0.5),
        ]
    }

    #[test]
    fn auc_and_average_precision_match_sklearn() {
        for (scores, labels, auc, ap) in cases() {
            let got = roc_auc(&scores, &labels).unwrap().unwrap();
            assert!(close(got, auc), "auc {got} != {auc} for {scores:?}");
            let got = pr_auc(&scores, &labels).unwrap().unwrap();
            assert!(close(got, ap), "ap {got} != {ap} for {scores:?}");
        }
    }

    #[test]
    fn row_order_does_not_matter() {
        let mut rows: Vec<(f64, f64)> = SCORES.into_iter().zip(LABELS).collect();
        rows.reverse();
        rows.rotate_left(7);
        let (scores, labels): (Vec<f64>, Vec<f64>) = rows.into_iter().unzip();
        assert!(close(roc_auc(&scores, &labels).unwrap().unwrap(), 0.609375));
        assert!(close(
            pr_auc(&scores, &labels).unwrap().unwrap(),
            0.8744842054874951
        ));
    }

    #[test]
    fn roc_curve_matches_sklearn() {
        let curve = roc_curve(&SCORES, &LABELS).unwrap().unwrap();
        let expected = [
            (f64::INFINITY, 0.0, 0.0),
            (1.0, 0.0, 0.125),
            (0.9, 0.0, 0.25),
            (0.8, 0.25, 0.4375),
            (0.6, 0.5, 0.5625),
            (0.5, 0.75, 0.625),
            (0.4, 0.75, 0.6875),
            (0.3, 0.75, 0.9375),
            (0.2, 0.75, 1.0),
            (0.0, 1.0, 1.0),
        ];
        let got: Vec<_> = curve.iter().map(|p| (p.threshold, p.fpr, p.tpr)).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn pr_curve_matches_hand_computed_points() {
        // Rows by descending score: 0.9 (1), 0.8 (1), 0.8 (0), 0.7 (1), 0.7 (0), 0.7 (0),
        // 0.3 (1), 0.2 (0): 4 positives. Cumulative (tp, fp) after each distinct
        // threshold: (1, 0), (2, 1), (3, 3), (4, 3), (4, 4).
        let scores = [0.9, 0.8, 0.8, 0.7, 0.7, 0.7, 0.3, 0.2];
        let labels = [1., 1., 0., 1., 0., 0., 1., 0.];
        let curve = pr_curve(&scores, &labels).unwrap().unwrap();
        let got: Vec<_> = curve
            .iter()
            .map(|p| (p.threshold, p.recall, p.precision))
            .collect();
        let expected = [
            (f64::INFINITY, 0.0, 1.0),
            (0.9, 0.25, 1.0),
            (0.8, 0.5, 2.0 / 3.0),
            (0.7, 0.75, 0.5),
            (0.3, 1.0, 4.0 / 7.0),
            (0.2, 1.0, 0.5),
        ];
        assert_eq!(got, expected);
        // The step area under the curve is the average precision.
        let area: f64 = curve
            .windows(2)
            .map(|w| (w[1].recall - w[0].recall) * w[1].precision)
            .sum();
        let ap = pr_auc(&scores, &labels).unwrap().unwrap();
        assert!(close(area, ap), "{area} != {ap}");
        assert!(close(ap, 0.6845238095238095), "sklearn's value");
    }

    #[test]
    fn pr_curve_on_the_fixture() {
        // From the ROC points of `roc_curve_matches_sklearn` (16 positives, 4
        // negatives): tp = 16·tpr, fp = 4·fpr, precision = tp / (tp + fp).
        let curve = pr_curve(&SCORES, &LABELS).unwrap().unwrap();
        let expected = [
            (f64::INFINITY, 0.0, 1.0),
            (1.0, 0.125, 1.0),
            (0.9, 0.25, 1.0),
            (0.8, 0.4375, 0.875),
            (0.6, 0.5625, 0.8181818181818182),
            (0.5, 0.625, 0.7692307692307693),
            (0.4, 0.6875, 0.7857142857142857),
            (0.3, 0.9375, 0.8333333333333334),
            (0.2, 1.0, 0.8421052631578947),
            (0.0, 1.0, 0.8),
        ];
        assert_eq!(curve.len(), expected.len());
        for (point, (threshold, recall, precision)) in curve.iter().zip(expected) {
            assert_eq!(point.threshold, threshold);
            assert!(close(point.recall, recall), "{point:?}");
            assert!(close(point.precision, precision), "{point:?}");
        }
    }

    #[test]
    fn single_class_is_undefined() {
        assert_eq!(roc_auc(&[0.2, 0.7], &[1.0, 1.0]).unwrap(), None);
        assert_eq!(roc_auc(&[0.2, 0.7], &[0.0, 0.0]).unwrap(), None);
        assert_eq!(roc_curve(&[0.2, 0.7], &[0.0, 0.0]).unwrap(), None);
        assert_eq!(pr_curve(&[0.2, 0.7], &[0.0, 0.0]).unwrap(), None);
        assert_eq!(
            pr_curve(&[0.2, 0.7], &[1.0, 1.0]).unwrap().unwrap().len(),
            3
        );
        assert_eq!(roc_auc(&[], &[]).unwrap(), None);
        // Average precision needs positives only.
        assert_eq!(pr_auc(&[0.5, 0.2], &[1.0, 1.0]).unwrap(), Some(1.0));
        assert_eq!(pr_auc(&[0.5, 0.2], &[0.0, 0.0]).unwrap(), None);
        assert_eq!(pr_auc(&[], &[]).unwrap(), None);
    }

    #[test]
    fn zeros_and_infinities_rank_correctly() {
        // -0.0 and 0.0 are one tied threshold.
        assert_eq!(roc_auc(&[-0.0, 0.0], &[1.0, 0.0]).unwrap(), Some(0.5));
        let curve = roc_curve(&[-0.0, 0.0], &[1.0, 0.0]).unwrap().unwrap();
        assert_eq!(curve.len(), 2);
        let scores = [f64::INFINITY, 1.0, f64::NEG_INFINITY];
        assert_eq!(roc_auc(&scores, &[1.0, 0.0, 0.0]).unwrap(), Some(1.0));
    }

    #[test]
    fn bad_inputs_are_errors() {
        let err = roc_auc(&[0.1, 0.2], &[1.0, 0.5])
            .unwrap_err()
            .strip_backtrace();
        assert!(
            err.contains("roc_auc: label must be 0 or 1, got 0.5"),
            "{err}"
        );
        let err = pr_auc(&[0.1, f64::NAN], &[1.0, 0.0])
            .unwrap_err()
            .strip_backtrace();
        assert!(err.contains("pr_auc: score is NaN"), "{err}");
        assert!(roc_curve(&[0.1], &[1.0, 0.0]).is_err());
        let err = pr_curve(&[0.1, 0.2], &[1.0, 2.0])
            .unwrap_err()
            .strip_backtrace();
        assert!(err.contains("pr_curve: label must be 0 or 1"), "{err}");
    }
}
