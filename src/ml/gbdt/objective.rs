//! Objectives: the first margin, and each row's gradient and hessian in
//! fixed point.
//!
//! Gradients and hessians are computed in `f64`, then stored as integers in
//! units of `max / 2^bits`, with `bits` chosen so that the sum over every row
//! of the fit fits an `i64` (62 bits less the bits of the row count: 42 bits
//! for a million rows, i.e. a resolution of 2⁻⁴² of the largest value, far
//! finer than `f32`). Integer sums are exact and associative, so a histogram
//! is the same whatever order or grouping its rows are added in: parallel
//! histograms, the sibling subtraction and any thread count give bit-identical
//! sums, and every split and leaf computed from them is identical too.

use std::ops::{Add, AddAssign, Sub, SubAssign};

use firnml_udfs::model::Objective;

/// A gradient and hessian (or a sum of them) in fixed point.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct GradSum {
    /// Gradient, in units of [`Scale::grad`].
    pub g: i64,
    /// Hessian, in units of [`Scale::hess`].
    pub h: i64,
}

impl Add for GradSum {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Self {
            g: self.g.wrapping_add(o.g),
            h: self.h.wrapping_add(o.h),
        }
    }
}

impl AddAssign for GradSum {
    #[inline(always)]
    fn add_assign(&mut self, o: Self) {
        *self = *self + o;
    }
}

impl Sub for GradSum {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Self {
            g: self.g.wrapping_sub(o.g),
            h: self.h.wrapping_sub(o.h),
        }
    }
}

impl SubAssign for GradSum {
    #[inline(always)]
    fn sub_assign(&mut self, o: Self) {
        *self = *self - o;
    }
}

/// The value of one unit of gradient and of hessian, for one tree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scale {
    /// Gradient per unit.
    pub grad: f64,
    /// Hessian per unit.
    pub hess: f64,
    inv_grad: f64,
    inv_hess: f64,
}

impl Scale {
    /// Units so that `rows` values of at most `max_grad` and `max_hess` sum
    /// within an `i64`: the largest value is `2^bits` units, `bits` = 62 less
    /// the bits of `rows`, at most 50 (so a unit count is exact in an `f64`).
    pub fn new(rows: usize, max_grad: f64, max_hess: f64) -> Self {
        let bits = (62 - (usize::BITS - rows.max(1).leading_zeros()) as i32).min(50);
        let step = 2f64.powi(-bits);
        let unit = |max: f64| {
            if max.is_finite() && max > 0.0 {
                max * step
            } else {
                1.0
            }
        };
        let (grad, hess) = (unit(max_grad), unit(max_hess));
        Self {
            grad,
            hess,
            inv_grad: 1.0 / grad,
            inv_hess: 1.0 / hess,
        }
    }

    /// `g` and `h` in units (rounded to the nearest, halves away from zero).
    #[inline(always)]
    pub fn quantize(&self, g: f64, h: f64) -> GradSum {
        GradSum {
            g: round(g * self.inv_grad),
            h: round(h * self.inv_hess),
        }
    }

    /// A sum back in real numbers: (gradient, hessian).
    #[inline(always)]
    pub fn real(&self, s: GradSum) -> (f64, f64) {
        (s.g as f64 * self.grad, s.h as f64 * self.hess)
    }
}

/// 1.5 · 2⁵²: adding it to an `f64` of magnitude below 2⁵¹ rounds it to an
/// integer (ties to even) held in the low bits of the sum.
const ROUNDING: f64 = 6_755_399_441_055_744.0;

/// `x` (|x| ≤ 2⁵⁰) rounded to the nearest integer, ties to even: plain
/// arithmetic, no libm call, so loops over rows stay inlined.
#[inline(always)]
fn round(x: f64) -> i64 {
    ((x + ROUNDING).to_bits() as i64).wrapping_sub(ROUNDING.to_bits() as i64)
}

/// e^x from IEEE basic arithmetic only: the same bits on every platform and
/// no libm call in the gradient loop. `x` is clamped to [-708, 709] (the
/// margins of a boosted model never come close); relative error ≈ 2·10⁻¹⁶.
#[inline(always)]
pub(crate) fn exp(x: f64) -> f64 {
    const LOG2_E: f64 = std::f64::consts::LOG2_E;
    // ln 2 in two parts (Cody–Waite): k · LN2_HI is exact for |k| < 2^11.
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let x = x.clamp(-708.0, 709.0);
    let shifted = x * LOG2_E + ROUNDING;
    let k = shifted - ROUNDING;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // e^r for |r| ≤ ln 2 / 2 by Taylor's series to r¹² (remainder < 2·10⁻¹⁶).
    const INVERSE_FACTORIALS: [f64; 12] = [
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        1.0 / 2.0,
        1.0,
        1.0,
    ];
    let mut p = 1.0 / 479_001_600.0;
    for c in INVERSE_FACTORIALS {
        p = p * r + c;
    }
    // 2^k from k's bits in the rounded sum.
    let k = (shifted.to_bits() as i64).wrapping_sub(ROUNDING.to_bits() as i64);
    p * f64::from_bits(((k + 1023) as u64) << 52)
}

/// The smallest hessian of a logistic row (XGBoost's `kRtEps`-style floor).
const MIN_HESSIAN: f64 = 1e-16;

/// The margin every row starts from: the log-odds of the weighted positive
/// share (logistic) or the weighted mean label (squared error), summed in row order.
pub(crate) fn base_score(objective: Objective, labels: impl Iterator<Item = (f64, f64)>) -> f64 {
    let (mut weighted, mut total) = (0.0, 0.0);
    for (y, w) in labels {
        weighted += w * y;
        total += w;
    }
    if total <= 0.0 {
        return 0.0;
    }
    let mean = weighted / total;
    match objective {
        Objective::BinaryLogistic => {
            let p = mean.clamp(1e-7, 1.0 - 1e-7);
            (p / (1.0 - p)).ln()
        }
        Objective::SquaredError => mean,
    }
}

/// Gradient and hessian of a row with margin `margin`, label `y` and weight `w`.
#[inline(always)]
pub(crate) fn gradient(objective: Objective, margin: f64, y: f64, w: f64) -> (f64, f64) {
    match objective {
        Objective::BinaryLogistic => {
            let p = 1.0 / (1.0 + exp(-margin));
            ((p - y) * w, (p * (1.0 - p)).max(MIN_HESSIAN) * w)
        }
        Objective::SquaredError => ((margin - y) * w, w),
    }
}

/// Gradient pairs of rows with `margins` and `labels` (positives weighing
/// `positive_weight` for a classifier), in `scale`'s units, into `out`.
///
/// One straight loop over slices, so the compiler vectorises it: two rows
/// at a time in x86-64's baseline (SSE2), four on a CPU with AVX2, which is
/// checked once per call. Both are the same IEEE operations in the same
/// order (no fused multiply-add), so the pairs are bit for bit the same on
/// every CPU; only the width differs.
pub(crate) fn gradients(
    objective: Objective,
    margins: &[f64],
    labels: &[f64],
    positive_weight: f64,
    scale: &Scale,
    out: &mut [GradSum],
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked on the line above.
        unsafe { gradients_avx2(objective, margins, labels, positive_weight, scale, out) };
        return;
    }
    gradients_baseline(objective, margins, labels, positive_weight, scale, out);
}

/// [`gradients_baseline`] compiled for AVX2.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn gradients_avx2(
    objective: Objective,
    margins: &[f64],
    labels: &[f64],
    positive_weight: f64,
    scale: &Scale,
    out: &mut [GradSum],
) {
    gradients_baseline(objective, margins, labels, positive_weight, scale, out);
}

/// [`gradients`] for any CPU; inlined into each wider variant.
#[inline(always)]
fn gradients_baseline(
    objective: Objective,
    margins: &[f64],
    labels: &[f64],
    positive_weight: f64,
    scale: &Scale,
    out: &mut [GradSum],
) {
    let rows = margins.iter().zip(labels).zip(out.iter_mut());
    match objective {
        Objective::BinaryLogistic => {
            for ((&m, &y), o) in rows {
                let w = if y == 1.0 { positive_weight } else { 1.0 };
                let p = 1.0 / (1.0 + exp(-m));
                *o = scale.quantize((p - y) * w, (p * (1.0 - p)).max(MIN_HESSIAN) * w);
            }
        }
        Objective::SquaredError => {
            for ((&m, &y), o) in rows {
                *o = scale.quantize(m - y, 1.0);
            }
        }
    }
}

/// Bounds of |gradient| and hessian known before any row is seen (logistic:
/// the probability is in [0, 1]), or `None` when they depend on the margins.
pub(crate) fn known_bounds(objective: Objective, max_weight: f64) -> Option<(f64, f64)> {
    match objective {
        Objective::BinaryLogistic => Some((max_weight, 0.25 * max_weight)),
        Objective::SquaredError => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_sums_are_exact_in_any_order() {
        let scale = Scale::new(1_000, 1.0, 0.25);
        let values: Vec<GradSum> = (0..1_000)
            .map(|i| {
                let g = ((i * 7919) % 1000) as f64 / 999.0 - 0.5;
                scale.quantize(g, 0.25 * g.abs())
            })
            .collect();
        let forward = values.iter().fold(GradSum::default(), |a, &b| a + b);
        let backward = values.iter().rev().fold(GradSum::default(), |a, &b| a + b);
        assert_eq!(forward, backward);
        let (g, _) = scale.real(forward);
        let exact: f64 = (0..1_000)
            .map(|i| ((i * 7919) % 1000) as f64 / 999.0 - 0.5)
            .sum();
        assert!((g - exact).abs() < 1e-9, "{g} vs {exact}");
        // The largest values of every row still sum within i64.
        let max = scale.quantize(1.0, 0.25);
        assert!(max.g.checked_mul(1_000).is_some() && max.g > 1 << 40);
    }

    #[test]
    fn rounds_to_nearest_even() {
        for x in [
            0.0,
            0.49,
            1.5,
            -1.49,
            -2.6,
            1e15 + 0.25,
            12345.678,
            -(2f64.powi(50)),
        ] {
            assert_eq!(round(x), x.round() as i64, "{x}");
        }
        for (x, even) in [(0.5, 0), (2.5, 2), (-0.5, 0), (-1.5, -2)] {
            assert_eq!(round(x), even, "{x}");
        }
    }

    #[test]
    fn exp_is_accurate() {
        let mut worst: f64 = 0.0;
        for i in -70_000..=70_000 {
            let x = f64::from(i) * 0.01 + 1e-3;
            let (ours, libm) = (exp(x), x.exp());
            worst = worst.max(((ours - libm) / libm).abs());
        }
        assert!(worst < 1e-15, "relative error {worst}");
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(-1e6) > 0.0 && exp(1e6).is_finite());
    }

    #[test]
    fn every_cpu_path_gives_the_same_pairs() {
        let scale = Scale::new(10_000, 3.0, 0.75);
        let margins: Vec<f64> = (0..1_001)
            .map(|i| f64::from(i) * 0.037 - 18.5)
            .chain([0.0, -0.0, 800.0, -800.0, 1e-300])
            .collect();
        let labels: Vec<f64> = (0..margins.len()).map(|i| f64::from(i % 3 == 0)).collect();
        for objective in [Objective::BinaryLogistic, Objective::SquaredError] {
            let mut dispatched = vec![GradSum::default(); margins.len()];
            let mut baseline = dispatched.clone();
            gradients(objective, &margins, &labels, 3.0, &scale, &mut dispatched);
            gradients_baseline(objective, &margins, &labels, 3.0, &scale, &mut baseline);
            assert_eq!(dispatched, baseline, "{objective:?}");
            for (i, pair) in dispatched.iter().enumerate() {
                let w = if labels[i] == 1.0 { 3.0 } else { 1.0 };
                let w = if objective == Objective::BinaryLogistic {
                    w
                } else {
                    1.0
                };
                let (g, h) = gradient(objective, margins[i], labels[i], w);
                assert_eq!(*pair, scale.quantize(g, h), "{objective:?} row {i}");
            }
        }
    }

    #[test]
    fn objectives() {
        let logit = base_score(
            Objective::BinaryLogistic,
            [(1.0, 1.0), (0.0, 1.0), (0.0, 1.0), (0.0, 1.0)].into_iter(),
        );
        assert!((logit - (1.0f64 / 3.0).ln()).abs() < 1e-15);
        let mean = base_score(
            Objective::SquaredError,
            [(1.0, 1.0), (4.0, 2.0)].into_iter(),
        );
        assert_eq!(mean, 3.0);
        let (g, h) = gradient(Objective::BinaryLogistic, 0.0, 1.0, 2.0);
        assert_eq!((g, h), (-1.0, 0.5));
        assert_eq!(
            gradient(Objective::SquaredError, 2.0, 5.0, 1.0),
            (-3.0, 1.0)
        );
        assert!(known_bounds(Objective::SquaredError, 1.0).is_none());
        // The slice kernel gives what the row function gives.
        let scale = Scale::new(4, 2.0, 0.5);
        let (margins, labels) = ([0.3, -1.2, 2.0, 0.0], [1.0, 0.0, 0.0, 1.0]);
        let mut out = [GradSum::default(); 4];
        gradients(
            Objective::BinaryLogistic,
            &margins,
            &labels,
            2.0,
            &scale,
            &mut out,
        );
        for i in 0..4 {
            let w = if labels[i] == 1.0 { 2.0 } else { 1.0 };
            let (g, h) = gradient(Objective::BinaryLogistic, margins[i], labels[i], w);
            assert_eq!(out[i], scale.quantize(g, h));
        }
    }
}
