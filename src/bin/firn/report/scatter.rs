//! Predicted against actual values, for regressors: one dot per row (at most
//! [`MAX_POINTS`], evenly spaced through the rows) and the line of perfect
//! prediction.

use plotters::prelude::*;

use super::color::CURVE;
use super::plot::{CURVE_CHART, extent, heading, legend, plain, reference_line, render, xy_chart};

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
    render(CURVE_CHART, "Predicted against actual values", |root| {
        let area = heading(root, "Predicted vs actual", subtitle)?;
        let n = actual.len().min(predicted.len());
        let rows = evenly_spaced(n, MAX_POINTS);
        let (lo, hi) = extent(rows.iter().flat_map(|&i| [actual[i], predicted[i]]));
        let pad = (hi - lo) * 0.04;
        let range = (lo - pad)..(hi + pad);
        let mut chart = xy_chart(
            &area,
            range.clone(),
            range,
            &format!("Actual {}", plain(label, 30)),
            "Predicted",
        )?;
        reference_line(&mut chart, [(lo, lo), (hi, hi)], "perfect prediction")?;
        chart
            .draw_series(
                rows.iter()
                    .filter(|&&i| actual[i].is_finite() && predicted[i].is_finite())
                    .map(|&i| Circle::new((actual[i], predicted[i]), 2, CURVE.mix(0.45).filled())),
            )?
            .label("rows")
            .legend(|(x, y)| Circle::new((x + 9, y), 3, CURVE.filled()));
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_dot_per_row_and_the_diagonal() {
        let actual = [1.0, 2.0, 3.0, 4.0];
        let predicted = [1.5, 2.0, 2.5, f64::NAN];
        let svg = scatter_chart(&actual, &predicted, "RMSE 0.5", "y");
        // Three finite rows plus the legend's dot.
        assert_eq!(svg.matches("<circle").count(), 4, "{svg}");
        assert!(svg.contains("perfect prediction"));
        assert!(svg.contains("Actual y"));
        assert_eq!(evenly_spaced(10, 4), vec![0, 2, 5, 7]);
    }
}
