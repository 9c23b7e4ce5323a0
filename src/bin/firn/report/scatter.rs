//! Predicted against actual values, for regressors: one dot per row (at most
//! [`MAX_POINTS`], evenly spaced through the rows) and the line of perfect
//! prediction.

use super::axes::{Corner, Frame, Margins, Mark, legend, title};
use super::color::{CURVE, REFERENCE};
use super::roc::CURVE_CHART;
use super::scale::nice_ticks;
use super::svg::{Paint, Svg};

/// Most dots drawn.
pub const MAX_POINTS: usize = 2000;

/// Indices of at most `max` of `n` rows, evenly spaced (all when `n <= max`).
pub fn evenly_spaced(n: usize, max: usize) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    (0..max).map(|i| i * n / max).collect()
}

/// The predicted-vs-actual scatter of `actual` and `predicted`, as an SVG document.
pub fn scatter_chart(actual: &[f64], predicted: &[f64], subtitle: &str, label: &str) -> String {
    let (width, height) = CURVE_CHART;
    let mut svg = Svg::new(width, height, "Predicted against actual values");
    title(&mut svg, "Predicted vs actual", subtitle);
    let n = actual.len().min(predicted.len());
    let rows = evenly_spaced(n, MAX_POINTS);
    let (lo, hi) = rows
        .iter()
        .flat_map(|&i| [actual[i], predicted[i]])
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let ticks = if lo <= hi {
        nice_ticks(lo, hi, 5)
    } else {
        nice_ticks(0.0, 1.0, 5)
    };
    let frame = Frame::new(&svg, Margins::default(), ticks.clone(), ticks.clone());
    frame.draw(
        &mut svg,
        &format!("Actual {}", super::svg::truncate(label, 30)),
        "Predicted",
    );
    let (first, last) = (
        ticks.first().copied().unwrap_or(0.0),
        ticks.last().copied().unwrap_or(1.0),
    );
    svg.line(
        frame.point((first, first)),
        frame.point((last, last)),
        &Paint::stroke(REFERENCE, 1.2).dashed("5 4"),
    );
    for &i in &rows {
        if actual[i].is_finite() && predicted[i].is_finite() {
            svg.circle(
                frame.point((actual[i], predicted[i])),
                2.4,
                &Paint::fill(CURVE).opacity(0.45),
            );
        }
    }
    let entries = [
        (Mark::Dot(CURVE), "one row".to_string()),
        (
            Mark::Line(REFERENCE, Some("5 4")),
            "perfect prediction".to_string(),
        ),
    ];
    legend(&mut svg, &frame, Corner::TopLeft, &entries);
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_evenly_and_draws_the_diagonal() {
        assert_eq!(evenly_spaced(5, 10), vec![0, 1, 2, 3, 4]);
        assert_eq!(evenly_spaced(10, 4), vec![0, 2, 5, 7]);
        let actual = [1.0, 2.0, 3.0, f64::NAN];
        let predicted = [1.1, 1.9, 3.2, 2.0];
        let svg = scatter_chart(&actual, &predicted, "RMSE 0.14", "price");
        assert_eq!(
            svg.matches("<circle").count(),
            3 + 1,
            "three rows and the legend dot"
        );
        assert!(svg.contains("Actual price"));
        // The diagonal runs from the plot's bottom-left to its top-right corner.
        assert!(
            svg.contains("x1=\"62\" y1=\"408\" x2=\"420\" y2=\"52\""),
            "{svg}"
        );
    }
}
