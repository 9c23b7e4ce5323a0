//! Horizontal bar charts of one number per feature (importance by gain, mean
//! |SHAP|): largest first, names on the left, values at the bars' ends.

use super::axes::{AXIS, GRID, INK, title};
use super::color::BAR;
use super::scale::{Linear, format_value, nice_ticks, tick_labels};
use super::svg::{Anchor, Paint, Svg, TextStyle, text_width, truncate};

/// Most bars drawn; the rest are counted in a note.
pub const MAX_BARS: usize = 25;
/// Longest feature name shown in full (longer ones are cut, with the full name on hover).
pub(crate) const NAME_CHARS: usize = 28;
/// Height of one bar's row.
const ROW: f64 = 24.0;

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
pub fn bar_chart(heading: &str, subtitle: &str, x_label: &str, bars: &[(String, f64)]) -> String {
    let all = sorted(bars);
    let shown = &all[..all.len().min(MAX_BARS)];
    let names: Vec<String> = shown.iter().map(|(n, _)| truncate(n, NAME_CHARS)).collect();
    let name_width = names
        .iter()
        .map(|n| text_width(n, 12.0))
        .fold(40.0, f64::max);
    let width = 560.0;
    let (left, right, top) = (name_width + 24.0, 70.0, 60.0);
    let note = all.len() > shown.len();
    let height = top + shown.len().max(1) as f64 * ROW + 52.0 + if note { 18.0 } else { 0.0 };
    let mut svg = Svg::new(width, height, heading);
    title(&mut svg, heading, subtitle);
    let largest = shown.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let ticks = nice_ticks(0.0, if largest > 0.0 { largest } else { 1.0 }, 4);
    let end = ticks.last().copied().unwrap_or(1.0);
    let x = Linear::new((0.0, end), (left, width - right));
    let bottom = top + shown.len().max(1) as f64 * ROW;
    for (tick, text) in ticks.iter().zip(tick_labels(&ticks)) {
        let px = x.map(*tick);
        svg.line((px, top - 4.0), (px, bottom), &Paint::stroke(GRID, 1.0));
        svg.text(
            (px, bottom + 16.0),
            &text,
            TextStyle::anchored(Anchor::Middle).size(11.0).fill(AXIS),
        );
    }
    for (i, ((name, value), short)) in shown.iter().zip(&names).enumerate() {
        let y = top + i as f64 * ROW;
        let tooltip = format!("{name}: {}", format_value(*value));
        svg.rect(
            (left, y + 4.0),
            (x.map(*value) - left, ROW - 8.0),
            &Paint::fill(BAR),
            &tooltip,
        );
        svg.text_with_tooltip(
            (left - 8.0, y + ROW / 2.0 + 4.0),
            short,
            if short == name { "" } else { name },
            TextStyle::anchored(Anchor::End).size(12.0).fill(INK),
        );
        svg.text(
            (x.map(*value) + 5.0, y + ROW / 2.0 + 4.0),
            &format_value(*value),
            TextStyle::default().size(11.0).fill(AXIS),
        );
    }
    svg.line((left, top - 4.0), (left, bottom), &Paint::stroke(AXIS, 1.0));
    svg.text(
        (left + (width - right - left) / 2.0, bottom + 38.0),
        x_label,
        TextStyle::anchored(Anchor::Middle).size(12.0).fill(INK),
    );
    if note {
        svg.text(
            (left, bottom + 56.0),
            &format!("… and {} more features", all.len() - shown.len()),
            TextStyle::default().size(11.0).fill(AXIS),
        );
    }
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars() -> Vec<(String, f64)> {
        vec![
            ("b".into(), 2.0),
            ("a".into(), 2.0),
            ("big".into(), 10.0),
            ("none".into(), 0.0),
            ("nan".into(), f64::NAN),
        ]
    }

    #[test]
    fn sorts_largest_first_ties_by_name() {
        let order: Vec<String> = sorted(&bars()).into_iter().map(|(n, _)| n).collect();
        assert_eq!(order, ["big", "a", "b", "nan", "none"]);
    }

    #[test]
    fn draws_one_bar_per_feature_in_order() {
        let svg = bar_chart("Importance", "gain", "Average gain", &bars());
        let titles: Vec<&str> = svg
            .lines()
            .filter(|l| l.starts_with("<rect") && l.contains("<title>"))
            .filter_map(|l| l.split("<title>").nth(1))
            .filter_map(|l| l.split(':').next())
            .collect();
        assert_eq!(titles, ["big", "a", "b", "nan", "none"]);
        assert!(
            svg.contains(">10.0000</text>") || svg.contains(">10.00</text>"),
            "{svg}"
        );
        assert_eq!(
            svg,
            bar_chart("Importance", "gain", "Average gain", &bars())
        );
    }

    #[test]
    fn long_lists_and_names_are_cut_with_a_note() {
        let many: Vec<(String, f64)> = (0..30)
            .map(|i| (format!("feature_with_a_rather_long_name_{i:02}"), i as f64))
            .collect();
        let svg = bar_chart("Importance", "", "x", &many);
        assert_eq!(
            svg.matches("<rect").count(),
            1 + MAX_BARS,
            "background + bars"
        );
        assert!(svg.contains("… and 5 more features"));
        assert!(svg.contains("<title>feature_with_a_rather_long_name_29</title>"));
    }
}
