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
    /// Units so that `rows` values of at most `max_grad` and `max_hess` sum within an `i64`.
    pub fn new(rows: usize, max_grad: f64, max_hess: f64) -> Self {
        let bits = 62 - (usize::BITS - rows.max(1).leading_zeros()) as i32;
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

    /// `g` and `h` in units (rounded to the nearest).
    #[inline(always)]
    pub fn quantize(&self, g: f64, h: f64) -> GradSum {
        GradSum {
            g: (g * self.inv_grad).round() as i64,
            h: (h * self.inv_hess).round() as i64,
        }
    }

    /// A sum back in real numbers: (gradient, hessian).
    #[inline(always)]
    pub fn real(&self, s: GradSum) -> (f64, f64) {
        (s.g as f64 * self.grad, s.h as f64 * self.hess)
    }
}

/// The smallest hessian of a logistic row (XGBoost's `kRtEps`-style floor).
const MIN_HESSIAN: f64 = 1e-16;

/// The margin every row starts from: the log-odds of the weighted positive
/// share (logistic) or the weighted mean label (squared error), summed in row order.
pub(crate) fn base_score(
    objective: Objective,
    labels: impl Iterator<Item = (f64, f64)>,
) -> f64 {
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
            let p = 1.0 / (1.0 + (-margin).exp());
            ((p - y) * w, (p * (1.0 - p)).max(MIN_HESSIAN) * w)
        }
        Objective::SquaredError => ((margin - y) * w, w),
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
    fn objectives() {
        let logit = base_score(
            Objective::BinaryLogistic,
            [(1.0, 1.0), (0.0, 1.0), (0.0, 1.0), (0.0, 1.0)].into_iter(),
        );
        assert!((logit - (1.0f64 / 3.0).ln()).abs() < 1e-15);
        let mean = base_score(Objective::SquaredError, [(1.0, 1.0), (4.0, 2.0)].into_iter());
        assert_eq!(mean, 3.0);
        let (g, h) = gradient(Objective::BinaryLogistic, 0.0, 1.0, 2.0);
        assert_eq!((g, h), (-1.0, 0.5));
        assert_eq!(gradient(Objective::SquaredError, 2.0, 5.0, 1.0), (-3.0, 1.0));
        assert!(known_bounds(Objective::SquaredError, 1.0).is_none());
    }
}
