//! Calibration (a reliability diagram): rows binned by predicted probability,
//! each bin's mean prediction against the share of its rows that are
//! positive. On the diagonal, a predicted 30 % means 30 % of such rows churn.

use plotters::prelude::*;

use super::color::CURVE;
use super::format::format_value;
use super::plot::{CURVE_CHART, heading, legend, line_mark, reference_line, render, xy_chart};

/// Equal-width bins of predicted probability.
pub const BINS: usize = 10;

/// The rows whose prediction fell in one bin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationBin {
    /// Lower edge of the bin.
    pub lo: f64,
    /// Upper edge (the last bin includes 1).
    pub hi: f64,
    /// Rows in the bin.
    pub rows: usize,
    /// Their mean predicted probability.
    pub mean_predicted: f64,
    /// The share of them that are positive.
    pub observed: f64,
}

/// The non-empty bins of `scores` (probabilities) against `labels`.
pub fn calibration(scores: &[f64], labels: &[f64], bins: usize) -> Vec<CalibrationBin> {
    let bins = bins.max(1);
    let mut sums = vec![(0usize, 0.0f64, 0.0f64); bins];
    for (score, label) in scores.iter().zip(labels) {
        if !score.is_finite() {
            continue;
        }
        let bin = ((score.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
        sums[bin].0 += 1;
        sums[bin].1 += score;
        sums[bin].2 += if *label == 1.0 { 1.0 } else { 0.0 };
    }
    sums.iter()
        .enumerate()
        .filter(|(_, (rows, _, _))| *rows > 0)
        .map(|(i, (rows, predicted, positives))| CalibrationBin {
            lo: i as f64 / bins as f64,
            hi: (i + 1) as f64 / bins as f64,
            rows: *rows,
            mean_predicted: predicted / *rows as f64,
            observed: positives / *rows as f64,
        })
        .collect()
}

/// The Brier score: the mean squared difference between probability and label.
pub fn brier(scores: &[f64], labels: &[f64]) -> f64 {
    let n = scores.len().min(labels.len());
    if n == 0 {
        return f64::NAN;
    }
    scores
        .iter()
        .zip(labels)
        .map(|(s, l)| (s - l) * (s - l))
        .sum::<f64>()
        / n as f64
}

/// The reliability diagram of `scores` against `labels`.
pub fn calibration_chart(scores: &[f64], labels: &[f64]) -> String {
    let bins = calibration(scores, labels, BINS);
    let score = brier(scores, labels);
    render(
        CURVE_CHART,
        "Calibration of predicted probabilities",
        |root| {
            let area = heading(
                root,
                "Calibration",
                &format!(
                    "Brier score {} · {BINS} bins of predicted probability",
                    format_value(score)
                ),
            )?;
            let mut chart = xy_chart(
                &area,
                0.0..1.0,
                0.0..1.0,
                "Mean predicted probability",
                "Share of rows that are positive",
            )?;
            reference_line(&mut chart, [(0.0, 0.0), (1.0, 1.0)], "perfectly calibrated")?;
            let points: Vec<(f64, f64)> = bins
                .iter()
                .map(|b| (b.mean_predicted, b.observed))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), CURVE.stroke_width(2)))?
                .label("model")
                .legend(line_mark(CURVE.stroke_width(2)));
            chart.draw_series(points.iter().map(|p| Circle::new(*p, 4, CURVE.filled())))?;
            legend(&mut chart, SeriesLabelPosition::UpperLeft)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_hold_their_rows_means_and_rates() {
        let scores = [0.05, 0.15, 0.12, 0.95, 1.0, 0.91];
        let labels = [0.0, 0.0, 1.0, 1.0, 1.0, 0.0];
        let bins = calibration(&scores, &labels, 10);
        assert_eq!(bins.len(), 3, "{bins:?}");
        assert_eq!(bins[1].rows, 2);
        assert!((bins[1].mean_predicted - 0.135).abs() < 1e-12);
        assert_eq!(bins[1].observed, 0.5);
        assert_eq!(bins[2].rows, 3, "1.0 falls in the last bin");
        assert!((brier(&[1.0, 0.0], &[1.0, 1.0]) - 0.5).abs() < 1e-12);
        assert!(brier(&[], &[]).is_nan());
        let svg = calibration_chart(&scores, &labels);
        assert!(svg.contains("perfectly calibrated"));
        assert_eq!(svg.matches("<circle").count(), 3, "one dot per bin: {svg}");
    }
}
