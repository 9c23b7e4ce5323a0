//! Scales and ticks: mapping data values to pixels, choosing "nice" tick
//! values (1, 2 or 5 times a power of ten) and printing them.

/// A linear map from a data interval (the domain) to a pixel interval (the range).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Linear {
    domain: (f64, f64),
    range: (f64, f64),
}

impl Linear {
    /// Maps `domain` onto `range`; an empty or non-finite domain is widened so
    /// every value maps somewhere finite.
    pub fn new(domain: (f64, f64), range: (f64, f64)) -> Self {
        Self {
            domain: widen(domain),
            range,
        }
    }

    /// The domain (after widening).
    #[cfg(test)]
    pub fn domain(&self) -> (f64, f64) {
        self.domain
    }

    /// The pixel position of `value` (values outside the domain map outside the range).
    pub fn map(&self, value: f64) -> f64 {
        let (d0, d1) = self.domain;
        let (r0, r1) = self.range;
        r0 + (value - d0) / (d1 - d0) * (r1 - r0)
    }

    /// Like [`Linear::map`], with `value` first clamped to the domain.
    #[cfg(test)]
    pub fn map_clamped(&self, value: f64) -> f64 {
        let (d0, d1) = self.domain;
        self.map(value.clamp(d0.min(d1), d0.max(d1)))
    }
}

/// A finite, non-empty interval containing `(lo, hi)`.
fn widen((lo, hi): (f64, f64)) -> (f64, f64) {
    let (lo, hi) = match (lo.is_finite(), hi.is_finite()) {
        (true, true) => (lo.min(hi), lo.max(hi)),
        (true, false) => (lo, lo),
        (false, true) => (hi, hi),
        (false, false) => (0.0, 1.0),
    };
    if hi > lo {
        return (lo, hi);
    }
    let pad = if lo == 0.0 { 0.5 } else { lo.abs() * 0.1 };
    (lo - pad, hi + pad)
}

/// A step of 1, 2 or 5 × 10ᵏ giving about `target` intervals over `(lo, hi)`.
fn nice_step(lo: f64, hi: f64, target: usize) -> f64 {
    let raw = (hi - lo) / target.max(1) as f64;
    let power = 10f64.powf(raw.log10().floor());
    let fraction = raw / power;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

/// Nice ticks covering `(lo, hi)`: the multiples of a 1-2-5 step from the one
/// at or below `lo` to the one at or above `hi`, so the ticks' ends make a
/// domain that contains the data.
///
/// ```
/// use firnml::report::scale::nice_ticks;
/// assert_eq!(nice_ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
/// assert_eq!(nice_ticks(-0.3, 2.7, 4), vec![-1.0, 0.0, 1.0, 2.0, 3.0]);
/// ```
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let (lo, hi) = widen((lo, hi));
    let step = nice_step(lo, hi, target);
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    // Integer multiples of the step, rounded to the step's decimals, so 0.1 + 0.2
    // never prints as 0.30000000000000004. Steps finer than that are left alone.
    let digits = decimals(step);
    let scale = 10f64.powi(digits as i32);
    (first..=last)
        .map(|i| {
            let v = i as f64 * step;
            let v = if digits < MAX_DECIMALS {
                (v * scale).round() / scale
            } else {
                v
            };
            if v == 0.0 { 0.0 } else { v }
        })
        .collect()
}

/// Most decimals printed for a tick.
const MAX_DECIMALS: usize = 12;

/// Decimals needed to print multiples of `step` exactly (0 for steps ≥ 1).
fn decimals(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) {
        return 0;
    }
    let mut digits = 0;
    let mut scaled = step;
    while digits < MAX_DECIMALS && (scaled - scaled.round()).abs() > 1e-6 * scaled.abs() {
        scaled *= 10.0;
        digits += 1;
    }
    digits
}

/// Tick labels for `ticks` (evenly spaced), all with the same number of decimals.
///
/// ```
/// use firnml::report::scale::tick_labels;
/// assert_eq!(tick_labels(&[0.0, 0.5, 1.0]), vec!["0.0", "0.5", "1.0"]);
/// assert_eq!(tick_labels(&[0.0, 1000.0, 2000.0]), vec!["0", "1,000", "2,000"]);
/// ```
pub fn tick_labels(ticks: &[f64]) -> Vec<String> {
    let step = match ticks {
        [a, b, ..] => (b - a).abs(),
        _ => 1.0,
    };
    let digits = decimals(step);
    let largest = ticks.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if digits >= MAX_DECIMALS || largest >= 1e12 {
        return ticks.iter().map(|v| format!("{v:.2e}")).collect();
    }
    ticks.iter().map(|v| format_fixed(*v, digits)).collect()
}

/// `value` with `digits` decimals and thousands separators; `-0` prints as `0`.
pub fn format_fixed(value: f64, digits: usize) -> String {
    if !value.is_finite() {
        return if value.is_nan() {
            "NaN".to_string()
        } else if value > 0.0 {
            "∞".to_string()
        } else {
            "−∞".to_string()
        };
    }
    let text = format!("{value:.digits$}");
    let text = if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        text.trim_start_matches('-').to_string()
    } else {
        text
    };
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (unsigned, None),
    };
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A measured value for people: four significant decimals for values below
/// 10 (`0.9132`, `3.1416`), fewer as values grow (`123.46`, `12,346`), and
/// scientific notation for very small or very large magnitudes.
///
/// ```
/// use firnml::report::scale::format_value;
/// assert_eq!(format_value(0.91324), "0.9132");
/// assert_eq!(format_value(12345.678), "12,346");
/// assert_eq!(format_value(3.0), "3.0000");
/// assert_eq!(format_value(0.00001234), "1.234e-5");
/// ```
pub fn format_value(value: f64) -> String {
    let magnitude = value.abs();
    if value.is_finite() && magnitude != 0.0 && !(1e-3..1e12).contains(&magnitude) {
        return format!("{value:.3e}");
    }
    let digits = if magnitude < 10.0 {
        4
    } else if magnitude < 1000.0 {
        2
    } else {
        0
    };
    format_fixed(value, digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_linearly_and_inverts_pixel_axes() {
        let x = Linear::new((0.0, 1.0), (50.0, 450.0));
        assert_eq!(x.map(0.0), 50.0);
        assert_eq!(x.map(0.5), 250.0);
        assert_eq!(x.map(1.0), 450.0);
        // y grows downwards in SVG: the domain's top maps to the smaller pixel.
        let y = Linear::new((0.0, 1.0), (400.0, 20.0));
        assert_eq!(y.map(1.0), 20.0);
        assert_eq!(y.map_clamped(7.0), 20.0);
        assert_eq!(y.map_clamped(-7.0), 400.0);
    }

    #[test]
    fn degenerate_domains_still_map() {
        let flat = Linear::new((3.0, 3.0), (0.0, 100.0));
        assert_eq!(flat.domain(), (2.7, 3.3));
        assert_eq!(flat.map(3.0), 50.0);
        let zero = Linear::new((0.0, 0.0), (0.0, 100.0));
        assert_eq!(zero.map(0.0), 50.0);
        let nan = Linear::new((f64::NAN, f64::NAN), (0.0, 100.0));
        assert!(nan.map(0.5).is_finite());
        let reversed = Linear::new((1.0, 0.0), (0.0, 100.0));
        assert_eq!(reversed.map(1.0), 100.0);
    }

    #[test]
    fn ticks_are_round_and_cover_the_data() {
        assert_eq!(nice_ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(nice_ticks(0.0, 1.0, 10)[3], 0.3, "no 0.30000000000000004");
        assert_eq!(nice_ticks(-0.3, 2.7, 4), vec![-1.0, 0.0, 1.0, 2.0, 3.0]);
        assert_eq!(
            nice_ticks(12.0, 480.0, 5),
            vec![0.0, 100.0, 200.0, 300.0, 400.0, 500.0]
        );
        let small = nice_ticks(-0.013, 0.042, 5);
        assert_eq!(small.first(), Some(&-0.02));
        assert_eq!(small.last(), Some(&0.06), "step 0.02");
        let tiny = nice_ticks(0.0, 3e-15, 3);
        assert!(
            tiny.len() >= 3 && tiny.windows(2).all(|w| w[0] < w[1]),
            "{tiny:?}"
        );
        assert_eq!(tick_labels(&tiny)[1], "1.00e-15");
        let huge = nice_ticks(-2e300, 2e300, 4);
        assert!(
            huge.len() <= 6 && huge.iter().all(|t| t.is_finite()),
            "{huge:?}"
        );
        let flat = nice_ticks(5.0, 5.0, 5);
        assert!(flat.first().is_some_and(|t| *t <= 5.0) && flat.last().is_some_and(|t| *t >= 5.0));
    }

    #[test]
    fn labels_share_their_decimals() {
        assert_eq!(
            tick_labels(&nice_ticks(0.0, 1.0, 5)),
            vec!["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
        );
        assert_eq!(
            tick_labels(&[-0.05, 0.0, 0.05]),
            vec!["-0.05", "0.00", "0.05"]
        );
        assert_eq!(tick_labels(&[-2.0, 0.0, 2.0]), vec!["-2", "0", "2"]);
        assert_eq!(format_fixed(-0.0001, 2), "0.00");
        assert_eq!(format_fixed(-1234567.891, 1), "-1,234,567.9");
        assert_eq!(format_fixed(f64::NAN, 2), "NaN");
    }

    #[test]
    fn values_read_naturally() {
        assert_eq!(format_value(0.0), "0.0000");
        assert_eq!(format_value(-0.5), "-0.5000");
        assert_eq!(format_value(42.4242), "42.42");
        assert_eq!(format_value(2.5e13), "2.500e13");
    }
}
