//! Horizontal bar charts of one number per feature (importance by gain, mean
//! |SHAP|): largest first, names on the left, values at the bars' ends.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::color::BAR;
use super::format::format_value;
use super::plot::{AXIS, anchored, font_in, heading, plain, render, row, rows_chart};

/// Most bars drawn; the rest are counted in a note.
pub const MAX_BARS: usize = 25;
/// Longest feature name shown in full (longer ones are cut).
pub(crate) const NAME_CHARS: usize = 28;
/// Height of one bar's row.
const ROW: u32 = 24;

/// `bars` (name, value) sorted for display: largest value first, ties by name.
pub fn sorted(bars: &[(String, f64)]) -> Vec<(String, f64)> {
    let mut sorted: Vec<(String, f64)> = bars
        .iter()
        .map(|(n, v)| (n.clone(), if v.is_finite() { *v } else { 0.0 }))
        .collect();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    sorted
}

/// A bar chart titled `heading` whose x axis reads `x_label`, as an SVG document.
pub fn bar_chart(title: &str, subtitle: &str, x_label: &str, bars: &[(String, f64)]) -> String {
    let all = sorted(bars);
    let shown = &all[..all.len().min(MAX_BARS)];
    let names: Vec<String> = shown.iter().map(|(n, _)| plain(n, NAME_CHARS)).collect();
    let note = all.len() > shown.len();
    let rows = shown.len().max(1) as u32;
    let height = 54 + 12 + rows * ROW + 48 + if note { 18 } else { 0 };
    render((560, height), title, |root| {
        let area = heading(root, title, subtitle)?;
        let (area, footer) = area.split_vertically(height - 54 - if note { 18 } else { 0 });
        let largest = shown.iter().map(|(_, v)| *v).fold(0.0, f64::max);
        let end = if largest > 0.0 { largest * 1.18 } else { 1.0 };
        let mut chart = rows_chart(&area, 0.0..end, &names, x_label, false)?;
        chart.draw_series(shown.iter().enumerate().map(|(i, (_, value))| {
            let row = row(i, shown.len());
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(row)),
                    (*value, SegmentValue::Exact(row + 1)),
                ],
                BAR.filled(),
            );
            bar.set_margin(4, 4, 0, 0);
            bar
        }))?;
        chart.draw_series(shown.iter().enumerate().map(|(i, (_, value))| {
            let row = row(i, shown.len());
            EmptyElement::at((*value, SegmentValue::CenterOf(row)))
                + Text::new(
                    format_value(*value),
                    (5, 0),
                    anchored(font_in(11.0, AXIS), HPos::Left, VPos::Center),
                )
        }))?;
        if note {
            footer.draw(&Text::new(
                format!(
                    "… and {} more features with smaller values",
                    all.len() - shown.len()
                ),
                (14, 2),
                font_in(11.0, AXIS),
            ))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plot::{has_text, text_y};

    #[test]
    fn largest_first_with_values_and_a_note_for_the_rest() {
        let bars: Vec<(String, f64)> = (0..30)
            .map(|i| (format!("f{i:02}"), f64::from(i)))
            .collect();
        let svg = bar_chart("Importance", "gain", "Average gain", &bars);
        assert_eq!(svg.matches("<rect").count() - 1, MAX_BARS, "{svg}");
        assert!(svg.contains("… and 5 more features"));
        let y = |name: &str| text_y(&svg, name).expect(name);
        assert!(y("f29") < y("f05"), "largest on top: {svg}");
        assert!(has_text(&svg, "29.00"), "values at the bars' ends");
        assert!(!has_text(&svg, "f04"), "cut");
        assert_eq!(svg, bar_chart("Importance", "gain", "Average gain", &bars));
    }

    #[test]
    fn sorting_is_stable_and_non_finite_values_are_zero() {
        let sorted = sorted(&[("b".into(), 1.0), ("a".into(), 1.0), ("c".into(), f64::NAN)]);
        let names: Vec<&str> = sorted.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(sorted[2].1, 0.0);
    }
}
