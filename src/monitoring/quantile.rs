//! Percentiles as numpy's default `np.percentile(values, q)` computes them
//! (method `linear`): the value at virtual index `(n − 1) · q / 100` of the
//! sorted values, interpolated between its neighbours the way numpy's `_lerp`
//! does, so stored percentiles match numpy's to the last bit.

/// The `q`-th percentile (0 ≤ q ≤ 100) of `sorted` (ascending, finite, non-empty;
/// NaN when empty).
pub(crate) fn percentile(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let virtual_index = last as f64 * (q / 100.0);
    let previous = virtual_index.floor();
    let gamma = virtual_index - previous;
    let below = (previous.max(0.0) as usize).min(last);
    let above = (below + 1).min(last);
    lerp(sorted[below], sorted[above], gamma)
}

/// numpy's `_lerp`: from `a` below the midpoint, from `b` above it (more exact
/// near `b`, and exactly `b` at `t = 1`).
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn matches_hand_computed_linear_interpolation() {
        let values = [1.0, 2.0, 4.0, 8.0, 16.0];
        // Virtual index 4 · q / 100, between the values below and above it.
        assert_eq!(percentile(&values, 0.0), 1.0);
        assert_eq!(percentile(&values, 100.0), 16.0);
        assert_eq!(percentile(&values, 50.0), 4.0);
        assert_eq!(percentile(&values, 6.25), 1.25); // index 0.25: 1 + 0.25 · 1
        assert_eq!(percentile(&values, 12.5), 1.5); // index 0.5: 2 − 0.5 · 1
        assert_eq!(percentile(&values, 37.5), 3.0); // index 1.5: 4 − 0.5 · 2
        assert_eq!(percentile(&values, 87.5), 12.0); // index 3.5: 16 − 0.5 · 8
        assert!((percentile(&values, 90.0) - 12.8).abs() < 1e-12); // index 3.6
        assert_eq!(percentile(&[7.0], 33.0), 7.0);
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn ties_give_the_tied_value_exactly() {
        let values = [0.1, 0.1, 0.1, 0.7];
        for q in [0.0, 10.0, 33.0, 50.0, 66.0] {
            assert_eq!(percentile(&values, q), 0.1, "q = {q}");
        }
    }
}
