//! Input checks shared by every metric: equal lengths, 0/1 labels, no NaN.
//!
//! Every check names the metric it guards, so an error raised deep inside a
//! cross-validation loop or a SQL aggregate still says where it came from.

use datafusion::common::{Result, exec_err};

/// Fails unless the two inputs of `name` have the same length.
pub(crate) fn check_lengths(name: &str, left: usize, right: usize) -> Result<()> {
    if left != right {
        return exec_err!("{name}: inputs have different lengths ({left} and {right})");
    }
    Ok(())
}

/// Reads a binary label: `1.0` is the positive class, `0.0` the negative one;
/// anything else is an error naming the value.
pub(crate) fn check_label(name: &str, label: f64) -> Result<bool> {
    if label == 1.0 {
        Ok(true)
    } else if label == 0.0 {
        Ok(false)
    } else {
        exec_err!("{name}: label must be 0 or 1, got {label}")
    }
}

/// Returns `score` unchanged unless it is NaN. `-0.0` is turned into `0.0` so
/// that sorting by total order keeps the two zeros together as one threshold.
pub(crate) fn check_score(name: &str, what: &str, score: f64) -> Result<f64> {
    if score.is_nan() {
        return exec_err!("{name}: {what} is NaN");
    }
    Ok(score + 0.0)
}

/// Returns `value` unless it is NaN or infinite.
pub(crate) fn check_finite(name: &str, what: &str, value: f64) -> Result<f64> {
    if !value.is_finite() {
        return exec_err!("{name}: {what} must be a finite number, got {value}");
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_zero_or_one() {
        assert!(check_label("m", 1.0).unwrap());
        assert!(!check_label("m", 0.0).unwrap());
        assert!(!check_label("m", -0.0).unwrap());
        let err = check_label("m", 2.0).unwrap_err().strip_backtrace();
        assert!(err.contains("m: label must be 0 or 1, got 2"), "{err}");
        let err = check_label("m", f64::NAN).unwrap_err().strip_backtrace();
        assert!(err.contains("got NaN"), "{err}");
    }

    #[test]
    fn scores_reject_nan_and_fold_negative_zero() {
        assert!(check_score("m", "score", f64::NAN).is_err());
        assert!(check_score("m", "score", -0.0).unwrap().is_sign_positive());
        assert_eq!(
            check_score("m", "score", f64::INFINITY).unwrap(),
            f64::INFINITY
        );
        assert!(check_finite("m", "prediction", f64::INFINITY).is_err());
        assert!(check_lengths("m", 2, 3).is_err());
    }
}
