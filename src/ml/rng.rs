//! A small, fully specified pseudo-random number generator, so that a seed
//! produces byte-identical data forever (no dependency whose algorithm may change).
//!
//! Streams are xoshiro256** (Blackman & Vigna) seeded through SplitMix64. Every
//! derived quantity uses only IEEE-754 basic arithmetic (+ − × ÷), which is
//! exactly reproducible on every platform; no `exp`/`ln`/`cos` from a libm.

/// SplitMix64: used to expand a 64-bit seed into a xoshiro state.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// xoshiro256**: the generator every customer's draws come from.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator seeded from `seed` through SplitMix64.
    pub fn new(seed: u64) -> Self {
        let mut sm = SplitMix64::new(seed);
        Rng {
            s: [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()],
        }
    }

    /// The independent stream of entity `index` under the run's `seed`, so any
    /// customer can be regenerated on its own (the writer makes two passes).
    pub fn stream(seed: u64, index: u64) -> Self {
        let mut sm = SplitMix64::new(seed);
        let base = sm.next_u64();
        Rng::new(base ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n) (multiply-high; the bias is below 2^-32 for our n).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Approximately standard normal: Irwin–Hall sum of four uniforms, rescaled
    /// to unit variance (bounded by ±3.46, which suits demo data fine).
    pub fn normal(&mut self) -> f64 {
        let s = self.uniform() + self.uniform() + self.uniform() + self.uniform();
        (s - 2.0) * 1.732_050_807_568_877_2
    }

    /// A Poisson(`lambda`) count by inversion, capped at `cap`.
    pub fn poisson(&mut self, lambda: f64, cap: u32) -> u32 {
        if lambda <= 0.0 {
            return 0;
        }
        let u = self.uniform();
        let mut p = exp_neg(lambda);
        let mut cdf = p;
        let mut k = 0;
        while u >= cdf && k < cap {
            if f64::from(k) > lambda && p < 1e-18 {
                break; // the tail is exhausted; the cdf fell short of u by rounding
            }
            k += 1;
            p = p * lambda / f64::from(k);
            cdf += p;
        }
        k
    }
}

/// e^(−x) for 0 ≤ x ≤ 16 using only basic arithmetic: a Taylor series of
/// e^(−x/32) (|x/32| ≤ 0.5, 16 terms), squared five times. Relative error ≈ 1e-14.
pub(crate) fn exp_neg(x: f64) -> f64 {
    let r = -x / 32.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 1..=16 {
        term = term * r / f64::from(n);
        sum += term;
    }
    for _ in 0..5 {
        sum *= sum;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_reference_vector() {
        let mut sm = SplitMix64::new(1_234_567);
        let got: Vec<u64> = (0..5).map(|_| sm.next_u64()).collect();
        assert_eq!(
            got,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821,
            ]
        );
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = {
            let mut r = Rng::stream(42, 7);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::stream(42, 7);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = Rng::stream(42, 8);
            (0..4).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn distributions_have_the_intended_moments() {
        let mut r = Rng::new(1);
        let n = 200_000;
        let (mut su, mut sn, mut sn2, mut sp) = (0.0, 0.0, 0.0, 0.0);
        for _ in 0..n {
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
            su += u;
            let z = r.normal();
            sn += z;
            sn2 += z * z;
            sp += f64::from(r.poisson(2.5, 40));
            assert!(r.below(10) < 10);
        }
        let nf = f64::from(n);
        assert!((su / nf - 0.5).abs() < 0.01);
        assert!((sn / nf).abs() < 0.01);
        assert!((sn2 / nf - 1.0).abs() < 0.02);
        assert!((sp / nf - 2.5).abs() < 0.03);
        for (x, want) in [
            (0.0, 1.0),
            (1.0, 0.367_879_441_171_442_3),
            (8.5, 2.034_683_690_106_442_7e-4),
        ] {
            assert!((exp_neg(x) / want - 1.0).abs() < 1e-13, "{x}");
        }
    }
}
