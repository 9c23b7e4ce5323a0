//! The threshold sweep: precision, recall, F1 and the share of rows flagged
//! at every decision threshold (BigQuery ML's evaluation slider, as a chart
//! and a table), so the threshold of a campaign can be chosen by what it costs.

use plotters::prelude::*;

use super::color::{REFERENCE, SWEEP};
use super::format::format_fixed;
use super::plot::{CURVE_CHART, heading, legend, line_mark, render, xy_chart};

/// The metrics at one threshold (a row is flagged when its score ≥ the threshold).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepPoint {
    /// The threshold.
    pub threshold: f64,
    /// Rows flagged.
    pub flagged: usize,
    /// Share of rows flagged.
    pub flagged_share: f64,
    /// Flagged rows that are positive, over flagged rows (NaN when none is flagged).
    pub precision: f64,
    /// Positives flagged, over positives (NaN without positives).
    pub recall: f64,
    /// Harmonic mean of precision and recall (NaN when either is).
    pub f1: f64,
}

/// The metrics of `scores` against `labels` (1 positive) at each of `thresholds`.
pub fn sweep(scores: &[f64], labels: &[f64], thresholds: &[f64]) -> Vec<SweepPoint> {
    let mut all: Vec<f64> = scores.to_vec();
    all.sort_by(f64::total_cmp);
    let mut positives: Vec<f64> = scores
        .iter()
        .zip(labels)
        .filter(|(_, l)| **l == 1.0)
        .map(|(s, _)| *s)
        .collect();
    positives.sort_by(f64::total_cmp);
    let at_least = |sorted: &[f64], t: f64| sorted.len() - sorted.partition_point(|s| *s < t);
    thresholds
        .iter()
        .map(|&threshold| {
            let flagged = at_least(&all, threshold);
            let tp = at_least(&positives, threshold) as f64;
            let ratio = |num: f64, den: usize| {
                if den == 0 { f64::NAN } else { num / den as f64 }
            };
            let (precision, recall) = (ratio(tp, flagged), ratio(tp, positives.len()));
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else if precision.is_nan() || recall.is_nan() {
                f64::NAN
            } else {
                0.0
            };
            SweepPoint {
                threshold,
                flagged,
                flagged_share: ratio(flagged as f64, all.len()),
                precision,
                recall,
                f1,
            }
        })
        .collect()
}

/// The thresholds of the card's table: 0.1 … 0.9 and the model's own.
pub fn table_thresholds(threshold: f64) -> Vec<f64> {
    let mut thresholds: Vec<f64> = (1..=9).map(|i| f64::from(i) / 10.0).collect();
    if !thresholds.iter().any(|t| (t - threshold).abs() < 1e-9) {
        thresholds.push(threshold);
        thresholds.sort_by(f64::total_cmp);
    }
    thresholds
}

/// One of the sweep's metrics, read from a point.
type Metric = fn(&SweepPoint) -> f64;

/// Runs of consecutive finite points (a line breaks where a metric is undefined).
fn finite_runs(points: impl Iterator<Item = (f64, f64)>) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (x, y) in points {
        if y.is_finite() {
            if let Some(run) = runs.last_mut() {
                run.push((x, y));
            }
        } else if runs.last().is_some_and(|r| !r.is_empty()) {
            runs.push(Vec::new());
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// The sweep chart over thresholds 0, 0.01, …, 1 with the model's `threshold` marked.
pub fn sweep_chart(scores: &[f64], labels: &[f64], threshold: f64) -> String {
    let grid: Vec<f64> = (0..=100).map(|i| f64::from(i) / 100.0).collect();
    let points = sweep(scores, labels, &grid);
    render(CURVE_CHART, "Metrics by decision threshold", |root| {
        let area = heading(
            root,
            "Metrics by threshold",
            &format!(
                "a row is flagged when its score ≥ the threshold · now {}",
                format_fixed(threshold, 2)
            ),
        )?;
        let mut chart = xy_chart(&area, 0.0..1.0, 0.0..1.0, "Decision threshold", "Value")?;
        chart.draw_series(DashedLineSeries::new(
            [(threshold, 0.0), (threshold, 1.0)],
            5,
            4,
            REFERENCE.stroke_width(1),
        ))?;
        let series: [(&str, Metric); 4] = [
            ("precision", |p| p.precision),
            ("recall", |p| p.recall),
            ("F1", |p| p.f1),
            ("share flagged", |p| p.flagged_share),
        ];
        for ((name, metric), colour) in series.into_iter().zip(SWEEP) {
            let runs = finite_runs(points.iter().map(|p| (p.threshold, metric(p))));
            for (i, run) in runs.into_iter().enumerate() {
                let drawn = chart.draw_series(LineSeries::new(run, colour.stroke_width(2)))?;
                if i == 0 {
                    drawn.label(name).legend(line_mark(colour.stroke_width(2)));
                }
            }
        }
        legend(&mut chart, SeriesLabelPosition::LowerLeft)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_rows_at_or_above_each_threshold() {
        let scores = [0.9, 0.8, 0.6, 0.4, 0.2];
        let labels = [1.0, 0.0, 1.0, 1.0, 0.0];
        let points = sweep(&scores, &labels, &[0.0, 0.6, 0.95]);
        assert_eq!(points[0].flagged, 5);
        assert_eq!(points[0].recall, 1.0);
        assert_eq!(points[0].precision, 0.6);
        // 0.6 is flagged: ≥, as predict_label does.
        assert_eq!(points[1].flagged, 3);
        assert!((points[1].precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((points[1].recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((points[1].f1 - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(points[1].flagged_share, 0.6);
        assert_eq!(points[2].flagged, 0);
        assert!(points[2].precision.is_nan() && points[2].f1.is_nan());
        assert_eq!(points[2].recall, 0.0);
    }

    #[test]
    fn table_includes_the_models_threshold() {
        assert_eq!(table_thresholds(0.5).len(), 9);
        let t = table_thresholds(0.35);
        assert_eq!(t.len(), 10);
        assert_eq!(t[3], 0.35);
    }

    #[test]
    fn chart_has_four_labelled_lines() {
        let scores = [0.9, 0.8, 0.6, 0.4, 0.2];
        let labels = [1.0, 0.0, 1.0, 1.0, 0.0];
        let svg = sweep_chart(&scores, &labels, 0.5);
        for name in ["precision", "recall", "F1", "share flagged"] {
            assert!(crate::report::plot::has_text(&svg, name), "{name}: {svg}");
        }
        assert_eq!(svg, sweep_chart(&scores, &labels, 0.5));
    }
}
