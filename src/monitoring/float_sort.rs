//! Sorting many `f64`s in [`f64::total_cmp`] order by their bits: a least
//! significant digit radix sort, several times faster than a comparison sort
//! on the million-row columns a training profile sorts. The result is the
//! comparison sort's, bit for bit: values equal under `total_cmp` have the
//! same bits.

/// Below this many values a comparison sort is as fast.
const RADIX_FROM: usize = 1_024;
/// Bits per digit (eight passes over a 64-bit key).
const DIGIT_BITS: u32 = 8;
const BUCKETS: usize = 1 << DIGIT_BITS;
const PASSES: usize = (u64::BITS / DIGIT_BITS) as usize;

/// A key whose unsigned order is `total_cmp`'s: a negative value's bits all
/// flipped (larger magnitudes first), a positive value's sign bit set.
#[inline(always)]
fn key(value: f64) -> u64 {
    let bits = value.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The value of a [`key`].
#[inline(always)]
fn value(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

/// Sorts `values` as `values.sort_by(f64::total_cmp)` would.
pub(crate) fn sort_total(values: &mut [f64]) {
    if values.len() < RADIX_FROM {
        values.sort_unstable_by(f64::total_cmp);
        return;
    }
    let mut keys: Vec<u64> = values.iter().map(|&v| key(v)).collect();
    // Every pass's digit counts, in one read of the keys.
    let mut counts = [[0usize; BUCKETS]; PASSES];
    for &k in &keys {
        for (pass, count) in counts.iter_mut().enumerate() {
            count[digit(k, pass)] += 1;
        }
    }
    let mut buffer = vec![0u64; keys.len()];
    for (pass, count) in counts.iter().enumerate() {
        // A digit every key shares leaves the order as it is.
        if count.contains(&keys.len()) {
            continue;
        }
        let mut next = [0usize; BUCKETS];
        let mut start = 0;
        for (slot, &n) in next.iter_mut().zip(count) {
            *slot = start;
            start += n;
        }
        for &k in &keys {
            let d = digit(k, pass);
            buffer[next[d]] = k;
            next[d] += 1;
        }
        std::mem::swap(&mut keys, &mut buffer);
    }
    for (v, &k) in values.iter_mut().zip(&keys) {
        *v = value(k);
    }
}

#[inline(always)]
fn digit(key: u64, pass: usize) -> usize {
    ((key >> (pass as u32 * DIGIT_BITS)) as usize) & (BUCKETS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(values: &[f64]) -> Vec<u64> {
        values.iter().map(|v| v.to_bits()).collect()
    }

    fn check(values: Vec<f64>) {
        let mut expected = values.clone();
        expected.sort_by(f64::total_cmp);
        let mut sorted = values;
        sort_total(&mut sorted);
        assert_eq!(bits(&sorted), bits(&expected));
    }

    #[test]
    fn keys_order_values_as_total_cmp_does() {
        let values = [
            f64::NEG_INFINITY,
            -1e300,
            -1.0,
            -f64::MIN_POSITIVE,
            -5e-324,
            -0.0,
            0.0,
            5e-324,
            1.0,
            f64::INFINITY,
            f64::NAN,
        ];
        for pair in values.windows(2) {
            assert!(key(pair[0]) < key(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        for v in values {
            assert_eq!(value(key(v)).to_bits(), v.to_bits());
        }
    }

    #[test]
    fn sorts_as_the_comparison_sort_does() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        // Random bit patterns (NaNs, infinities and subnormals among them).
        check((0..50_000).map(|_| f64::from_bits(next())).collect());
        // Values sharing their high bytes (passes skipped), with repeats and signed zeros.
        check(
            (0..40_000)
                .map(|i| match i % 7 {
                    0 => -0.0,
                    1 => 0.0,
                    _ => (next() % 10_000) as f64 / 10_000.0,
                })
                .collect(),
        );
        // One value everywhere, and a short slice (the comparison sort).
        check(vec![2.5; 5_000]);
        check((0..100).map(|_| f64::from_bits(next())).collect());
        check(Vec::new());
    }
}
