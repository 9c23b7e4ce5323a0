//! Regression metrics: RMSE, MAE and R², from one mergeable summary.

use datafusion::common::Result;

use super::input::{check_finite, check_lengths};

/// A mergeable summary of `(prediction, actual)` pairs from which RMSE, MAE
/// and R² are read. Partitions summarised separately and [merged](Self::merge)
/// give the same metrics as one pass (up to rounding).
///
/// The spread of the actual values is kept as a running mean and sum of
/// squared deviations (Welford / Chan et al.), not as raw sums of squares,
/// so R² stays accurate for values far from zero.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RegressionStats {
    /// Number of pairs.
    pub count: u64,
    /// `Σ |prediction − actual|`.
    pub sum_abs_error: f64,
    /// `Σ (prediction − actual)²`.
    pub sum_sq_error: f64,
    /// Mean of the actual values.
    pub mean_actual: f64,
    /// `Σ (actual − mean_actual)²`.
    pub m2_actual: f64,
}

impl RegressionStats {
    /// Summarises `preds` against `actuals`. Errors when the lengths differ or
    /// a value is NaN or infinite.
    pub fn from_slices(preds: &[f64], actuals: &[f64]) -> Result<Self> {
        Self::checked("regression_stats", preds, actuals)
    }

    fn checked(name: &str, preds: &[f64], actuals: &[f64]) -> Result<Self> {
        check_lengths(name, preds.len(), actuals.len())?;
        let mut stats = Self::default();
        for (&pred, &actual) in preds.iter().zip(actuals) {
            stats.push_checked(name, pred, actual)?;
        }
        Ok(stats)
    }

    /// Adds one pair after checking that both values are finite; `name`
    /// labels errors.
    pub(crate) fn push_checked(&mut self, name: &str, pred: f64, actual: f64) -> Result<()> {
        let pred = check_finite(name, "prediction", pred)?;
        let actual = check_finite(name, "actual value", actual)?;
        let error = pred - actual;
        self.count += 1;
        self.sum_abs_error += error.abs();
        self.sum_sq_error += error * error;
        let delta = actual - self.mean_actual;
        self.mean_actual += delta / self.count as f64;
        self.m2_actual += delta * (actual - self.mean_actual);
        Ok(())
    }

    /// Adds the pairs summarised by `other`.
    pub fn merge(&mut self, other: &Self) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let (n1, n2) = (self.count as f64, other.count as f64);
        let n = n1 + n2;
        let delta = other.mean_actual - self.mean_actual;
        self.mean_actual += delta * n2 / n;
        self.m2_actual += other.m2_actual + delta * delta * n1 * n2 / n;
        self.count += other.count;
        self.sum_abs_error += other.sum_abs_error;
        self.sum_sq_error += other.sum_sq_error;
    }

    /// Mean squared error; `None` when empty.
    pub fn mse(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum_sq_error / self.count as f64)
    }

    /// Root mean squared error; `None` when empty.
    pub fn rmse(&self) -> Option<f64> {
        self.mse().map(f64::sqrt)
    }

    /// Mean absolute error; `None` when empty.
    pub fn mae(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum_abs_error / self.count as f64)
    }

    /// Coefficient of determination, `1 − SS_res / SS_tot`, with
    /// scikit-learn's conventions: `None` for fewer than two pairs; when the
    /// actual values are all equal (`SS_tot = 0`), `1` for perfect predictions
    /// and `0` otherwise (`force_finite=True`).
    pub fn r2(&self) -> Option<f64> {
        if self.count < 2 {
            return None;
        }
        if self.m2_actual == 0.0 {
            return Some(if self.sum_sq_error == 0.0 { 1.0 } else { 0.0 });
        }
        Some(1.0 - self.sum_sq_error / self.m2_actual)
    }
}

/// Root mean squared error of `preds` against `actuals`; `Ok(None)` when empty.
/// Errors when the lengths differ or a value is NaN or infinite.
///
/// ```
/// use firnml_udfs::metrics::rmse;
///
/// assert_eq!(rmse(&[1.0, 2.0], &[1.0, 4.0])?, Some(2f64.sqrt()));
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn rmse(preds: &[f64], actuals: &[f64]) -> Result<Option<f64>> {
    Ok(RegressionStats::checked("rmse", preds, actuals)?.rmse())
}

/// Mean absolute error of `preds` against `actuals`; `Ok(None)` when empty.
/// Errors like [`rmse`].
pub fn mae(preds: &[f64], actuals: &[f64]) -> Result<Option<f64>> {
    Ok(RegressionStats::checked("mae", preds, actuals)?.mae())
}

/// R² of `preds` against `actuals`, see [`RegressionStats::r2`] for the
/// conventions. Errors like [`rmse`].
///
/// ```
/// use firnml_udfs::metrics::r2;
///
/// assert_eq!(r2(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0])?, Some(1.0));
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn r2(preds: &[f64], actuals: &[f64]) -> Result<Option<f64>> {
    Ok(RegressionStats::checked("r2", preds, actuals)?.r2())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::fixtures::close;

    // sklearn's documentation example: y_true = ACTUAL, y_pred = PRED.
    const PRED: [f64; 4] = [2.5, 0.0, 2.0, 8.0];
    const ACTUAL: [f64; 4] = [3.0, -0.5, 2.0, 7.0];

    #[test]
    fn matches_sklearn() {
        assert!(close(
            rmse(&PRED, &ACTUAL).unwrap().unwrap(),
            0.6123724356957945
        ));
        assert!(close(mae(&PRED, &ACTUAL).unwrap().unwrap(), 0.5));
        assert!(close(
            r2(&PRED, &ACTUAL).unwrap().unwrap(),
            0.9486081370449679
        ));
    }

    #[test]
    fn merged_partitions_equal_one_pass() {
        let whole = RegressionStats::from_slices(&PRED, &ACTUAL).unwrap();
        let mut left = RegressionStats::from_slices(&PRED[..1], &ACTUAL[..1]).unwrap();
        left.merge(&RegressionStats::default());
        left.merge(&RegressionStats::from_slices(&PRED[1..], &ACTUAL[1..]).unwrap());
        assert_eq!(left.count, whole.count);
        assert!(close(left.r2().unwrap(), whole.r2().unwrap()));
        assert!(close(left.rmse().unwrap(), whole.rmse().unwrap()));
        let mut empty = RegressionStats::default();
        empty.merge(&whole);
        assert_eq!(empty, whole);
    }

    #[test]
    fn r2_stays_accurate_far_from_zero() {
        let actual = [1e9 + 1.0, 1e9 + 2.0, 1e9 + 3.0];
        let pred = [1e9 + 1.0, 1e9 + 2.0, 1e9 + 4.0];
        // SS_res = 1, SS_tot = 2
        assert!(close(r2(&pred, &actual).unwrap().unwrap(), 0.5));
    }

    #[test]
    fn degenerate_cases_follow_sklearn() {
        assert_eq!(r2(&[2.0, 2.0, 2.0], &[2.0, 2.0, 2.0]).unwrap(), Some(1.0));
        assert_eq!(r2(&[1.0, 2.0, 3.0], &[2.0, 2.0, 2.0]).unwrap(), Some(0.0));
        assert_eq!(r2(&[1.0], &[2.0]).unwrap(), None);
        assert_eq!(rmse(&[], &[]).unwrap(), None);
        assert_eq!(mae(&[], &[]).unwrap(), None);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let err = rmse(&[f64::NAN], &[1.0]).unwrap_err().strip_backtrace();
        assert!(
            err.contains("rmse: prediction must be a finite number, got NaN"),
            "{err}"
        );
        let err = r2(&[1.0], &[f64::INFINITY]).unwrap_err().strip_backtrace();
        assert!(
            err.contains("r2: actual value must be a finite number, got inf"),
            "{err}"
        );
        assert!(mae(&[1.0], &[]).is_err());
    }
}
