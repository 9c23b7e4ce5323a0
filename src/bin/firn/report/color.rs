//! Colours: the low→high ramp of feature values (blue to red, as SHAP plots
//! use), the white→blue ramp of the confusion matrix, and the fixed palette.

use plotters::style::RGBColor;

/// Lines of the model's curves.
pub const CURVE: RGBColor = RGBColor(0x1f, 0x6f, 0xb4);
/// The second model of a comparison.
pub const OTHER: RGBColor = RGBColor(0xe8, 0x71, 0x0a);
/// Reference lines (chance diagonal, base rate, perfect prediction).
pub const REFERENCE: RGBColor = RGBColor(0x9a, 0x9a, 0x9a);
/// Bars of importance charts.
pub const BAR: RGBColor = RGBColor(0x3d, 0x7f, 0xc1);
/// Points whose feature value is missing.
pub const MISSING: RGBColor = RGBColor(0xb0, 0xb0, 0xb0);
/// The operating point (the decision threshold) on curves.
pub const OPERATING: RGBColor = RGBColor(0xd6, 0x27, 0x28);
/// The series of the threshold sweep: precision, recall, F1, share flagged.
pub const SWEEP: [RGBColor; 4] = [
    RGBColor(0x1f, 0x6f, 0xb4),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0xe8, 0x71, 0x0a),
];

/// Blue of low feature values.
const LOW: (f64, f64, f64) = (0.0, 139.0, 251.0);
/// Red of high feature values.
const HIGH: (f64, f64, f64) = (255.0, 0.0, 82.0);

fn rgb((r, g, b): (f64, f64, f64)) -> RGBColor {
    let channel = |v: f64| v.round().clamp(0.0, 255.0) as u8;
    RGBColor(channel(r), channel(g), channel(b))
}

fn mix(a: (f64, f64, f64), b: (f64, f64, f64), t: f64) -> (f64, f64, f64) {
    (
        a.0 + (b.0 - a.0) * t,
        a.1 + (b.1 - a.1) * t,
        a.2 + (b.2 - a.2) * t,
    )
}

/// The colour of a feature value at position `t` in 0 (low, blue) … 1 (high,
/// red), through purple; NaN (a missing value) is grey.
pub fn value_colour(t: f64) -> RGBColor {
    if t.is_nan() {
        return MISSING;
    }
    rgb(mix(LOW, HIGH, t.clamp(0.0, 1.0)))
}

/// The fill of a heat-map cell holding share `t` (0–1) of the total: white to dark blue.
pub fn heat_colour(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    rgb(mix((247.0, 251.0, 255.0), (8.0, 69.0, 148.0), t))
}

/// Whether text on a heat-map cell of share `t` should be white (dark cell).
pub fn heat_text_is_light(t: f64) -> bool {
    t.is_finite() && t > 0.45
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_run_from_end_to_end() {
        assert_eq!(value_colour(0.0), RGBColor(0x00, 0x8b, 0xfb));
        assert_eq!(value_colour(1.0), RGBColor(0xff, 0x00, 0x52));
        assert_eq!(value_colour(0.5), RGBColor(0x80, 0x46, 0xa7));
        assert_eq!(value_colour(f64::NAN), MISSING);
        assert_eq!(value_colour(-3.0), value_colour(0.0), "clamped");
        assert_eq!(heat_colour(0.0), RGBColor(0xf7, 0xfb, 0xff));
        assert_eq!(heat_colour(1.0), RGBColor(0x08, 0x45, 0x94));
        assert_eq!(heat_colour(f64::NAN), heat_colour(0.0));
        assert!(heat_text_is_light(0.9) && !heat_text_is_light(0.1));
    }
}
