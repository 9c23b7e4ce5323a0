//! Colours: the low→high ramp of feature values (blue to red, as SHAP plots
//! use), the white→blue ramp of the confusion matrix, and the fixed palette.

/// Lines of the model's curves.
pub const CURVE: &str = "#1f6fb4";
/// Reference lines (chance diagonal, base rate, perfect prediction).
pub const REFERENCE: &str = "#9a9a9a";
/// Bars of importance charts.
pub const BAR: &str = "#3d7fc1";
/// Points whose feature value is missing.
pub const MISSING: &str = "#b0b0b0";

/// Blue of low feature values.
const LOW: (f64, f64, f64) = (0.0, 139.0, 251.0);
/// Red of high feature values.
const HIGH: (f64, f64, f64) = (255.0, 0.0, 82.0);

fn hex((r, g, b): (f64, f64, f64)) -> String {
    let channel = |v: f64| v.round().clamp(0.0, 255.0) as u8;
    format!("#{:02x}{:02x}{:02x}", channel(r), channel(g), channel(b))
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
///
/// ```
/// use firnml::report::color::value_colour;
/// assert_eq!(value_colour(0.0), "#008bfb");
/// assert_eq!(value_colour(1.0), "#ff0052");
/// assert_eq!(value_colour(f64::NAN), "#b0b0b0");
/// ```
pub fn value_colour(t: f64) -> String {
    if t.is_nan() {
        return MISSING.to_string();
    }
    hex(mix(LOW, HIGH, t.clamp(0.0, 1.0)))
}

/// The fill of a heat-map cell holding share `t` (0–1) of the total: white to dark blue.
pub fn heat_colour(t: f64) -> String {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    hex(mix((247.0, 251.0, 255.0), (8.0, 69.0, 148.0), t))
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
        assert_eq!(value_colour(0.5), "#8046a7");
        assert_eq!(value_colour(-3.0), value_colour(0.0), "clamped");
        assert_eq!(heat_colour(0.0), "#f7fbff");
        assert_eq!(heat_colour(1.0), "#084594");
        assert_eq!(heat_colour(f64::NAN), heat_colour(0.0));
        assert!(heat_text_is_light(0.9) && !heat_text_is_light(0.1));
    }
}
