//! Binary log loss (cross-entropy) of predicted probabilities.

use datafusion::common::{Result, exec_err};

use super::input::{check_label, check_lengths};

/// Probabilities are clipped to `[LOG_LOSS_EPS, 1 - LOG_LOSS_EPS]` so that a
/// confident wrong prediction costs about 34.5 instead of infinity.
///
/// This is scikit-learn's historical `eps=1e-15`; releases from 1.5 on clip at
/// the float's machine epsilon instead, which only changes results for
/// probabilities within 1e-15 of 0 or 1.
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// Mean binary log loss, `−mean(y·ln p + (1 − y)·ln(1 − p))`, with `p` clipped
/// to `[LOG_LOSS_EPS, 1 − LOG_LOSS_EPS]`.
///
/// `Ok(None)` for empty input. Errors when the lengths differ, a label is not
/// 0 or 1, or a probability is NaN or outside `[0, 1]`.
///
/// ```
/// use firnml_udfs::metrics::log_loss;
///
/// let loss = log_loss(&[0.5, 0.5], &[1.0, 0.0])?.unwrap();
/// assert!((loss - std::f64::consts::LN_2).abs() < 1e-15);
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
pub fn log_loss(probs: &[f64], labels: &[f64]) -> Result<Option<f64>> {
    const NAME: &str = "log_loss";
    check_lengths(NAME, probs.len(), labels.len())?;
    let mut sum = 0.0;
    for (&prob, &label) in probs.iter().zip(labels) {
        sum += row_log_loss(NAME, prob, label)?;
    }
    Ok((!probs.is_empty()).then(|| sum / probs.len() as f64))
}

/// The log loss of one row, after checking it; `name` labels errors.
pub(crate) fn row_log_loss(name: &str, prob: f64, label: f64) -> Result<f64> {
    if !(0.0..=1.0).contains(&prob) {
        return exec_err!("{name}: probability must be between 0 and 1, got {prob}");
    }
    let p = prob.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
    Ok(if check_label(name, label)? {
        -p.ln()
    } else {
        -(1.0 - p).ln()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::fixtures::close;

    #[test]
    fn matches_sklearn() {
        let probs = [0.9, 0.1, 0.8, 0.35, 0.6, 0.2];
        let labels = [1.0, 0.0, 1.0, 0.0, 0.0, 1.0];
        let got = log_loss(&probs, &labels).unwrap().unwrap();
        assert!(close(got, 0.5650626905050954), "{got}");
    }

    #[test]
    fn clips_certain_mistakes() {
        // numpy: -mean(y*log(clip(p)) + (1-y)*log(1-clip(p))) with eps 1e-15
        let got = log_loss(&[0.0, 1.0, 0.5], &[1.0, 0.0, 1.0])
            .unwrap()
            .unwrap();
        assert!(close(got, 23.257166522603836), "{got}");
        // A certain, correct prediction costs (almost) nothing.
        let got = log_loss(&[1.0, 0.0], &[1.0, 0.0]).unwrap().unwrap();
        assert!(got.is_finite() && got < 1e-14, "{got}");
    }

    #[test]
    fn empty_and_bad_inputs() {
        assert_eq!(log_loss(&[], &[]).unwrap(), None);
        let err = log_loss(&[1.5], &[1.0]).unwrap_err().strip_backtrace();
        assert!(err.contains("log_loss: probability must be between 0 and 1, got 1.5"));
        assert!(log_loss(&[f64::NAN], &[1.0]).is_err());
        let err = log_loss(&[0.5], &[-1.0]).unwrap_err().strip_backtrace();
        assert!(err.contains("label must be 0 or 1, got -1"), "{err}");
    }
}
