//! The population stability index over bins: `Σ (a − e) · ln(a / e)`, where
//! `a` is a bin's share of the new values and `e` its share of the training
//! values, both floored at [`SHARE_FLOOR`] so an empty bin counts as nearly
//! empty rather than making the sum infinite.

/// The smallest share a bin counts with.
pub(crate) const SHARE_FLOOR: f64 = 1e-4;

/// Each count's share of their total (all zero when the total is zero).
pub(crate) fn shares(counts: &[u64]) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    counts
        .iter()
        .map(|c| {
            if total == 0 {
                0.0
            } else {
                *c as f64 / total as f64
            }
        })
        .collect()
}

/// The PSI of new bin counts `actual` against training bin counts `expected`
/// (the same bins, in the same order).
pub(crate) fn psi(actual: &[u64], expected: &[u64]) -> f64 {
    shares(actual)
        .into_iter()
        .zip(shares(expected))
        .map(|(a, e)| {
            let (a, e) = (a.max(SHARE_FLOOR), e.max(SHARE_FLOOR));
            (a - e) * (a / e).ln()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_shares_give_zero() {
        assert_eq!(psi(&[1, 2, 3, 0], &[2, 4, 6, 0]), 0.0);
    }

    #[test]
    fn matches_a_hand_computed_value() {
        // a = (0.5, 0.5), e = (0.25, 0.75):
        // 0.25 · ln 2 + (−0.25) · ln(2/3) = 0.25 · ln 3
        let got = psi(&[1, 1], &[1, 3]);
        assert!((got - 0.25 * 3f64.ln()).abs() < 1e-15, "{got}");
    }

    #[test]
    fn empty_bins_are_floored() {
        // a = (1, 0), e = (0, 1) → both floored to 1e-4 where empty:
        // 2 · (1 − 1e-4) · ln(1 / 1e-4)
        let got = psi(&[5, 0], &[0, 5]);
        let want = 2.0 * (1.0 - 1e-4) * (1e4f64).ln();
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
}
