//! The ROC curve: true-positive rate against false-positive rate over every
//! threshold, with its area (AUC), the chance diagonal and the operating point.

use firnml_udfs::metrics::RocPoint;

use super::axes::{Corner, Frame, Margins, Mark, legend, thin, title};
use super::color::{CURVE, REFERENCE};
use super::scale::{format_fixed, format_value, nice_ticks};
use super::svg::{Paint, Svg};

/// Size of the square curve charts (ROC, precision-recall).
pub(crate) const CURVE_CHART: (f64, f64) = (440.0, 460.0);

/// Where the model operates: the decision threshold and the curve point it gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OperatingPoint {
    /// The decision threshold (positive when `score >= threshold`).
    pub threshold: f64,
    /// The point's x (false-positive rate, or recall).
    pub x: f64,
    /// The point's y (true-positive rate, or precision).
    pub y: f64,
}

/// The ROC curve of `curve` (from [`firnml_udfs::metrics::roc_curve`]) with
/// area `auc`, as an SVG document.
pub fn roc_chart(curve: &[RocPoint], auc: f64, operating: Option<OperatingPoint>) -> String {
    let (width, height) = CURVE_CHART;
    let mut svg = Svg::new(
        width,
        height,
        &format!("ROC curve, AUC {}", format_value(auc)),
    );
    title(
        &mut svg,
        "ROC curve",
        &format!(
            "AUC {} · higher and further left is better",
            format_value(auc)
        ),
    );
    let ticks = nice_ticks(0.0, 1.0, 5);
    let frame = Frame::new(&svg, Margins::default(), ticks.clone(), ticks);
    frame.draw(
        &mut svg,
        "False-positive rate",
        "True-positive rate (recall)",
    );
    svg.line(
        frame.point((0.0, 0.0)),
        frame.point((1.0, 1.0)),
        &Paint::stroke(REFERENCE, 1.2).dashed("5 4"),
    );
    let points: Vec<(f64, f64)> = curve.iter().map(|p| frame.point((p.fpr, p.tpr))).collect();
    let points = thin(&points, 0.5);
    let mut area = points.clone();
    area.push(frame.point((1.0, 0.0)));
    area.push(frame.point((0.0, 0.0)));
    svg.polygon(&area, &Paint::fill(CURVE).opacity(0.08));
    svg.polyline(&points, &Paint::stroke(CURVE, 2.2));
    let mut entries = vec![
        (
            Mark::Line(CURVE, None),
            format!("model (AUC {})", format_value(auc)),
        ),
        (
            Mark::Line(REFERENCE, Some("5 4")),
            "chance (AUC 0.5)".to_string(),
        ),
    ];
    if let Some(point) = operating {
        svg.circle(
            frame.point((point.x, point.y)),
            5.0,
            &Paint {
                stroke: Some("#ffffff".into()),
                width: 1.5,
                ..Paint::fill("#d62728")
            },
        );
        entries.push((
            Mark::Dot("#d62728"),
            format!("threshold {}", format_fixed(point.threshold, 2)),
        ));
    }
    legend(&mut svg, &frame, Corner::BottomRight, &entries);
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use firnml_udfs::metrics::{roc_auc, roc_curve};

    fn chart() -> String {
        let scores = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2];
        let labels = [1., 1., 0., 1., 0., 1., 0., 0.];
        let curve = roc_curve(&scores, &labels).unwrap().unwrap();
        let auc = roc_auc(&scores, &labels).unwrap().unwrap();
        roc_chart(
            &curve,
            auc,
            Some(OperatingPoint {
                threshold: 0.5,
                x: 0.5,
                y: 0.75,
            }),
        )
    }

    #[test]
    fn curve_runs_from_origin_to_the_top_right() {
        let svg = chart();
        let polyline = svg
            .lines()
            .find(|l| l.starts_with("<polyline"))
            .expect("the curve");
        let points = polyline
            .split("points=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("points");
        let points: Vec<&str> = points.split(' ').collect();
        // Margins (62, 52) and a 358 × 356 plot area: (0, 0) and (1, 1) in pixels.
        assert_eq!(points.first(), Some(&"62,408"));
        assert_eq!(points.last(), Some(&"420,52"));
    }

    #[test]
    fn shows_the_auc_the_diagonal_and_the_operating_point() {
        let svg = chart();
        assert!(svg.contains("AUC 0.8125"), "{svg}");
        assert!(svg.contains("stroke-dasharray=\"5 4\""));
        assert!(svg.contains("threshold 0.50"));
        assert_eq!(svg, chart(), "same input, same bytes");
    }
}
