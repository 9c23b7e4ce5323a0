//! The Kolmogorov–Smirnov statistic: the largest gap between the new values'
//! empirical CDF and the training CDF. The training CDF is the training
//! values' empirical CDF when they can be read again ([`ks_exact`]); otherwise
//! it is rebuilt from the 101 stored percentiles `p0 ≤ … ≤ p100`
//! ([`ks_from_percentiles`]): 0 below `p0`, 1 from `p100` on, and between them
//! `F(x) = (k + (x − pk) / (pk+1 − pk)) / 100` with `k` the largest index with
//! `pk ≤ x` — linear between percentiles, as the percentiles were.

/// The largest gap between the empirical CDFs of two sorted, non-empty samples.
pub(crate) fn ks_exact(train: &[f64], new: &[f64]) -> f64 {
    let (n, m) = (train.len() as f64, new.len() as f64);
    let (mut i, mut j, mut gap) = (0, 0, 0.0f64);
    // Step through the distinct values of both samples in order.
    while i < train.len() || j < new.len() {
        let x = match (train.get(i), new.get(j)) {
            (Some(a), Some(b)) => a.min(*b),
            (Some(a), None) => *a,
            (None, Some(b)) => *b,
            (None, None) => break,
        };
        while i < train.len() && train[i] <= x {
            i += 1;
        }
        while j < new.len() && new[j] <= x {
            j += 1;
        }
        gap = gap.max((i as f64 / n - j as f64 / m).abs());
    }
    gap
}

/// The training CDF at `x` from its percentiles (see the module docs).
fn percentile_cdf(p: &[f64], x: f64) -> f64 {
    let last = p.len() - 1;
    if x < p[0] {
        return 0.0;
    }
    if x >= p[last] {
        return 1.0;
    }
    // p[k] ≤ x < p[last], so k < last and p[k + 1] > x ≥ p[k].
    let k = p.partition_point(|v| *v <= x) - 1;
    (k as f64 + (x - p[k]) / (p[k + 1] - p[k])) / last as f64
}

/// The training CDF just below `x` (its left limit).
fn percentile_cdf_below(p: &[f64], x: f64) -> f64 {
    let last = p.len() - 1;
    if x <= p[0] {
        return 0.0;
    }
    if x > p[last] {
        return 1.0;
    }
    // p[k] < x ≤ p[last], so k < last and p[k + 1] ≥ x > p[k].
    let k = p.partition_point(|v| *v < x) - 1;
    (k as f64 + (x - p[k]) / (p[k + 1] - p[k])) / last as f64
}

/// The largest gap between the sorted, non-empty `new` values' empirical CDF
/// and the training CDF rebuilt from `percentiles` (at least two, ascending).
/// Between consecutive points of either the new values or the percentiles one
/// CDF is flat and the other linear, so the largest gap is at (or just below)
/// one of those points.
pub(crate) fn ks_from_percentiles(percentiles: &[f64], new: &[f64]) -> f64 {
    if percentiles.len() < 2 || new.is_empty() {
        return f64::NAN;
    }
    let m = new.len() as f64;
    percentiles
        .iter()
        .chain(new)
        .map(|x| {
            let at = new.partition_point(|v| v <= x) as f64 / m;
            let below = new.partition_point(|v| v < x) as f64 / m;
            let here = (at - percentile_cdf(percentiles, *x)).abs();
            here.max((below - percentile_cdf_below(percentiles, *x)).abs())
        })
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_ks_matches_hand_computed_gaps() {
        assert_eq!(ks_exact(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), 0.0);
        // F_train jumps to 1 at 2; F_new is 0 until 3.
        assert_eq!(ks_exact(&[1.0, 2.0], &[3.0, 4.0]), 1.0);
        // Gaps at 1, 2, 3, 4, 5: 1/4, 0, 1/4, 1/2 (train 4/4, new 1/2), 0.
        assert_eq!(ks_exact(&[1.0, 2.0, 3.0, 4.0], &[2.0, 5.0]), 0.5);
        // ties: train {1,1,2}, new {1,2,2}: at 1: 2/3 vs 1/3.
        let gap = ks_exact(&[1.0, 1.0, 2.0], &[1.0, 2.0, 2.0]);
        assert!((gap - 1.0 / 3.0).abs() < 1e-15, "{gap}");
    }

    #[test]
    fn percentile_ks_matches_hand_computed_gaps() {
        // Percentiles 0, 1, …, 100 describe a uniform distribution on [0, 100].
        let uniform: Vec<f64> = (0..=100).map(f64::from).collect();
        assert_eq!(percentile_cdf(&uniform, 25.5), 0.255);
        // One new value at 50: F_new jumps 0 → 1 where F_train = 0.5.
        assert_eq!(ks_from_percentiles(&uniform, &[50.0]), 0.5);
        // New values above every percentile: F_train is 1 before F_new rises.
        assert_eq!(ks_from_percentiles(&uniform, &[200.0, 300.0]), 1.0);
        // New values 10 and 90: gaps 0.1 below 10, |0.5 − 0.1| = 0.4 at 10, 0.4 below 90.
        let gap = ks_from_percentiles(&uniform, &[10.0, 90.0]);
        assert!((gap - 0.4).abs() < 1e-15, "{gap}");
    }

    #[test]
    fn tied_percentiles_make_a_jump() {
        // Half the training values are 0: p0 … p50 are 0, then linear to 1.
        let p: Vec<f64> = (0..=100)
            .map(|k| {
                if k <= 50 {
                    0.0
                } else {
                    f64::from(k - 50) / 50.0
                }
            })
            .collect();
        assert_eq!(percentile_cdf(&p, 0.0), 0.5);
        assert_eq!(percentile_cdf_below(&p, 0.0), 0.0);
        // New values all 0: F_new = 1 at 0 where F_train = 0.5; below 0 both are 0.
        assert_eq!(ks_from_percentiles(&p, &[0.0, 0.0]), 0.5);
    }
}
