//! The SHAP summary (beeswarm) plot: one row per feature, most important
//! (largest mean |SHAP|) on top; each sampled row is a dot at its SHAP value,
//! coloured by the feature's value from low (blue) to high (red). Dots that
//! would overlap are stacked outwards from the row's centre line in a fixed
//! order, so the same data always gives the same picture.

use super::axes::{AXIS, GRID, INK, title};
use super::bars::NAME_CHARS;
use super::color::value_colour;
use super::scale::{Linear, format_value, nice_ticks, tick_labels};
use super::svg::{Anchor, Paint, Svg, TextStyle, text_width, truncate};

/// Most feature rows drawn; the rest are counted in a note.
pub const MAX_FEATURES: usize = 20;
/// Height of one feature's row.
const ROW: f64 = 32.0;
/// Dot radius.
const DOT: f64 = 2.3;
/// Width of the bins dots are stacked in.
const BIN: f64 = 2.0;

/// One feature's row: the SHAP value and colour position of each sampled row.
#[derive(Debug, Clone, PartialEq)]
pub struct SwarmFeature {
    /// The feature's name.
    pub name: String,
    /// SHAP value of each sampled row.
    pub shap: Vec<f64>,
    /// Each row's feature value as a colour position, 0 (low) … 1 (high); NaN when missing.
    pub colour: Vec<f64>,
}

impl SwarmFeature {
    /// Mean absolute SHAP value (0 for no rows).
    pub fn mean_abs(&self) -> f64 {
        if self.shap.is_empty() {
            return 0.0;
        }
        self.shap.iter().map(|v| v.abs()).sum::<f64>() / self.shap.len() as f64
    }
}

/// Colour positions of numeric `values`: the 5th–95th percentile range of the
/// present values spread over 0–1 (values beyond it are clamped), as SHAP
/// does so a few outliers don't wash the colours out; NaN stays NaN.
pub fn numeric_positions(values: &[f64]) -> Vec<f64> {
    let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    present.sort_by(f64::total_cmp);
    let at = |q: f64| -> f64 {
        if present.is_empty() {
            return 0.0;
        }
        let i = (q * (present.len() - 1) as f64).round() as usize;
        present[i.min(present.len() - 1)]
    };
    let (mut lo, mut hi) = (at(0.05), at(0.95));
    if hi <= lo {
        (lo, hi) = (at(0.0), at(1.0));
    }
    values
        .iter()
        .map(|&v| {
            if v.is_nan() {
                f64::NAN
            } else if hi > lo {
                ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
            } else {
                0.5
            }
        })
        .collect()
}

/// Colour positions of category codes `0 … categories − 1`: code / (categories − 1).
pub fn category_positions(codes: &[f64], categories: usize) -> Vec<f64> {
    let span = categories.saturating_sub(1).max(1) as f64;
    codes
        .iter()
        .map(|&c| {
            if c.is_nan() {
                f64::NAN
            } else if categories <= 1 {
                0.5
            } else {
                (c / span).clamp(0.0, 1.0)
            }
        })
        .collect()
}

/// The display order: largest mean |SHAP| first, ties by name.
pub fn order(features: &[SwarmFeature]) -> Vec<usize> {
    let means: Vec<f64> = features.iter().map(SwarmFeature::mean_abs).collect();
    let mut order: Vec<usize> = (0..features.len()).collect();
    order.sort_by(|&a, &b| {
        means[b]
            .total_cmp(&means[a])
            .then_with(|| features[a].name.cmp(&features[b].name))
    });
    order
}

/// Vertical offsets (in stacking steps: 0, +1, −1, +2, −2, …) of dots at
/// pixel positions `xs`: dots in the same `BIN`-wide bin stack outwards, in
/// the order of their x and then their index.
fn stack_offsets(xs: &[f64]) -> Vec<i64> {
    let mut by_x: Vec<usize> = (0..xs.len()).filter(|&i| xs[i].is_finite()).collect();
    by_x.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]).then(a.cmp(&b)));
    let mut offsets = vec![0i64; xs.len()];
    let mut bin = i64::MIN;
    let mut in_bin = 0i64;
    for i in by_x {
        let b = (xs[i] / BIN).floor() as i64;
        if b != bin {
            (bin, in_bin) = (b, 0);
        }
        // 0, 1, -1, 2, -2, …
        offsets[i] = if in_bin % 2 == 1 {
            in_bin.div_euclid(2) + 1
        } else {
            -in_bin.div_euclid(2)
        };
        in_bin += 1;
    }
    offsets
}

/// The beeswarm of `features` with an x axis reading `x_label`, as an SVG document.
pub fn beeswarm_chart(features: &[SwarmFeature], subtitle: &str, x_label: &str) -> String {
    let order = order(features);
    let shown: Vec<&SwarmFeature> = order
        .iter()
        .take(MAX_FEATURES)
        .map(|&i| &features[i])
        .collect();
    let names: Vec<String> = shown
        .iter()
        .map(|f| truncate(&f.name, NAME_CHARS))
        .collect();
    let name_width = names
        .iter()
        .map(|n| text_width(n, 12.0))
        .fold(40.0, f64::max);
    let (width, left, right, top) = (680.0, name_width + 24.0, 90.0, 60.0);
    let rows = shown.len().max(1) as f64;
    let bottom = top + rows * ROW;
    let note = features.len() > shown.len();
    let height = bottom + 52.0 + if note { 18.0 } else { 0.0 };
    let mut svg = Svg::new(width, height, "SHAP summary (beeswarm)");
    title(&mut svg, "SHAP summary", subtitle);

    let values = shown.iter().flat_map(|f| f.shap.iter().copied());
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let ticks = nice_ticks(lo, hi, 6);
    let x = Linear::new(
        (
            ticks.first().copied().unwrap_or(lo),
            ticks.last().copied().unwrap_or(hi),
        ),
        (left, width - right),
    );
    for (tick, text) in ticks.iter().zip(tick_labels(&ticks)) {
        let px = x.map(*tick);
        svg.line((px, top), (px, bottom), &Paint::stroke(GRID, 1.0));
        svg.text(
            (px, bottom + 16.0),
            &text,
            TextStyle::anchored(Anchor::Middle).size(11.0).fill(AXIS),
        );
    }
    svg.line(
        (x.map(0.0), top),
        (x.map(0.0), bottom),
        &Paint::stroke("#999", 1.0),
    );
    for (i, (feature, short)) in shown.iter().zip(&names).enumerate() {
        let centre = top + (i as f64 + 0.5) * ROW;
        svg.line(
            (left, centre),
            (width - right, centre),
            &Paint::stroke(GRID, 1.0).dashed("1 3"),
        );
        svg.text_with_tooltip(
            (left - 8.0, centre + 4.0),
            short,
            &format!(
                "{}: mean |SHAP| {}",
                feature.name,
                format_value(feature.mean_abs())
            ),
            TextStyle::anchored(Anchor::End).size(12.0).fill(INK),
        );
        let xs: Vec<f64> = feature.shap.iter().map(|v| x.map(*v)).collect();
        let offsets = stack_offsets(&xs);
        let deepest = offsets.iter().map(|o| o.abs()).max().unwrap_or(0).max(1) as f64;
        let step = (DOT * 0.9).min(0.42 * ROW / deepest);
        for ((px, offset), position) in xs.iter().zip(&offsets).zip(&feature.colour) {
            if !px.is_finite() {
                continue;
            }
            svg.circle(
                (*px, centre + *offset as f64 * step),
                DOT,
                &Paint::fill(value_colour(*position)),
            );
        }
    }
    svg.text(
        (left + (width - right - left) / 2.0, bottom + 38.0),
        x_label,
        TextStyle::anchored(Anchor::Middle).size(12.0).fill(INK),
    );
    if note {
        svg.text(
            (left, bottom + 56.0),
            &format!(
                "… and {} more features with smaller mean |SHAP|",
                features.len() - shown.len()
            ),
            TextStyle::default().size(11.0).fill(AXIS),
        );
    }
    colour_bar(&mut svg, width - right + 30.0, top, bottom);
    svg.finish()
}

/// The low→high colour key at the right of the plot.
fn colour_bar(svg: &mut Svg, x: f64, top: f64, bottom: f64) {
    let height = (bottom - top).clamp(60.0, 220.0);
    let top = top + ((bottom - top) - height) / 2.0;
    let steps = 24;
    let step = height / steps as f64;
    for i in 0..steps {
        let t = 1.0 - (i as f64 + 0.5) / steps as f64;
        svg.rect(
            (x, top + i as f64 * step),
            (10.0, step + 0.5),
            &Paint::fill(value_colour(t)),
            "",
        );
    }
    let style = TextStyle::anchored(Anchor::Middle).size(11.0).fill(AXIS);
    svg.text((x + 5.0, top - 6.0), "High", style);
    svg.text((x + 5.0, top + height + 14.0), "Low", style);
    svg.text(
        (x + 24.0, top + height / 2.0),
        "Feature value",
        style.rotate(90.0),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(name: &str, shap: Vec<f64>) -> SwarmFeature {
        let colour = numeric_positions(&(0..shap.len()).map(|i| i as f64).collect::<Vec<_>>());
        SwarmFeature {
            name: name.into(),
            shap,
            colour,
        }
    }

    fn features() -> Vec<SwarmFeature> {
        vec![
            feature("small", vec![0.01, -0.02, 0.0, 0.01]),
            feature("large", vec![1.5, -2.0, 0.7, 1.1]),
            feature("middle", vec![0.2, -0.4, 0.3, 0.1]),
        ]
    }

    #[test]
    fn one_row_per_feature_most_important_first() {
        let svg = beeswarm_chart(&features(), "4 rows", "SHAP value");
        let names: Vec<&str> = svg
            .lines()
            .filter(|l| l.contains("mean |SHAP|"))
            .filter_map(|l| l.split("<title>").nth(1))
            .filter_map(|l| l.split(':').next())
            .collect();
        assert_eq!(names, ["large", "middle", "small"]);
        assert_eq!(
            svg.matches("<circle").count(),
            12,
            "one dot per row and feature"
        );
        assert_eq!(svg, beeswarm_chart(&features(), "4 rows", "SHAP value"));
    }

    #[test]
    fn overlapping_dots_stack_outwards() {
        assert_eq!(
            stack_offsets(&[10.0, 10.1, 10.2, 10.3, 50.0]),
            vec![0, 1, -1, 2, 0]
        );
        assert_eq!(
            stack_offsets(&[10.3, 10.0]),
            vec![1, 0],
            "by x, not by index"
        );
        assert_eq!(stack_offsets(&[f64::NAN, 1.0]), vec![0, 0]);
    }

    #[test]
    fn colours_follow_value_rank_and_category_code() {
        let values: Vec<f64> = (0..=100).map(f64::from).collect();
        let positions = numeric_positions(&values);
        assert_eq!(positions[0], 0.0, "below the 5th percentile clamps");
        assert_eq!(positions[50], 0.5);
        assert_eq!(positions[100], 1.0);
        assert!(numeric_positions(&[f64::NAN, 3.0])[0].is_nan());
        assert_eq!(numeric_positions(&[3.0, 3.0]), vec![0.5, 0.5]);
        assert_eq!(
            category_positions(&[0.0, 1.0, 2.0, f64::NAN], 3)[..3],
            [0.0, 0.5, 1.0]
        );
        assert_eq!(category_positions(&[0.0], 1), vec![0.5]);
    }

    #[test]
    fn many_features_are_cut_with_a_note() {
        let many: Vec<SwarmFeature> = (0..25)
            .map(|i| feature(&format!("f{i:02}"), vec![i as f64]))
            .collect();
        let svg = beeswarm_chart(&many, "", "SHAP value");
        assert_eq!(svg.matches("<circle").count(), MAX_FEATURES);
        assert!(svg.contains("… and 5 more features"));
        assert!(
            svg.contains("<title>f24: mean |SHAP| 24.00</title>"),
            "largest kept"
        );
    }
}
