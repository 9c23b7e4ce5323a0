//! The precision-recall curve: precision against recall over every
//! threshold, drawn as steps so its area is the average precision, with the
//! base rate (what a random ranking gets) and the operating point.

use firnml_udfs::metrics::PrPoint;

use super::axes::{Corner, Frame, Margins, Mark, legend, thin, title};
use super::color::{CURVE, REFERENCE};
use super::roc::{CURVE_CHART, OperatingPoint};
use super::scale::{format_fixed, format_value, nice_ticks};
use super::svg::{Paint, Svg};

/// The steps of the curve in data space: precision `Pₖ` holds from recall
/// `Rₖ₋₁` to `Rₖ`, as in the average-precision sum.
fn steps(curve: &[PrPoint]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(curve.len() * 2);
    if let Some(first) = curve.first() {
        out.push((first.recall, first.precision));
    }
    for pair in curve.windows(2) {
        out.push((pair[0].recall, pair[1].precision));
        out.push((pair[1].recall, pair[1].precision));
    }
    out
}

/// The precision-recall curve of `curve` (from
/// [`firnml_udfs::metrics::pr_curve`]) with average precision `ap` and the
/// share of positives `base_rate`, as an SVG document.
pub fn pr_chart(
    curve: &[PrPoint],
    ap: f64,
    base_rate: f64,
    operating: Option<OperatingPoint>,
) -> String {
    let (width, height) = CURVE_CHART;
    let mut svg = Svg::new(
        width,
        height,
        &format!(
            "Precision-recall curve, average precision {}",
            format_value(ap)
        ),
    );
    title(
        &mut svg,
        "Precision-recall curve",
        &format!(
            "average precision {} · base rate {}",
            format_value(ap),
            format_value(base_rate)
        ),
    );
    let ticks = nice_ticks(0.0, 1.0, 5);
    let frame = Frame::new(&svg, Margins::default(), ticks.clone(), ticks);
    frame.draw(&mut svg, "Recall", "Precision");
    svg.line(
        frame.point((0.0, base_rate)),
        frame.point((1.0, base_rate)),
        &Paint::stroke(REFERENCE, 1.2).dashed("5 4"),
    );
    let points: Vec<(f64, f64)> = steps(curve).into_iter().map(|p| frame.point(p)).collect();
    let points = thin(&points, 0.5);
    let mut area = points.clone();
    if let (Some(&(last_x, _)), Some(&(first_x, _))) = (points.last(), points.first()) {
        area.push((last_x, frame.bottom()));
        area.push((first_x, frame.bottom()));
    }
    svg.polygon(&area, &Paint::fill(CURVE).opacity(0.08));
    svg.polyline(&points, &Paint::stroke(CURVE, 2.2));
    let mut entries = vec![
        (
            Mark::Line(CURVE, None),
            format!("model (AP {})", format_value(ap)),
        ),
        (
            Mark::Line(REFERENCE, Some("5 4")),
            format!("base rate {}", format_value(base_rate)),
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
    use firnml_udfs::metrics::{pr_auc, pr_curve};

    #[test]
    fn steps_enclose_the_average_precision() {
        let scores = [0.9, 0.8, 0.8, 0.7, 0.7, 0.7, 0.3, 0.2];
        let labels = [1., 1., 0., 1., 0., 0., 1., 0.];
        let curve = pr_curve(&scores, &labels).unwrap().unwrap();
        let steps = steps(&curve);
        let area: f64 = steps.windows(2).map(|w| (w[1].0 - w[0].0) * w[1].1).sum();
        let ap = pr_auc(&scores, &labels).unwrap().unwrap();
        assert!((area - ap).abs() < 1e-12, "{area} != {ap}");
        assert_eq!(steps.first(), Some(&(0.0, 1.0)));
        assert_eq!(steps.last(), Some(&(1.0, 0.5)));
        let svg = pr_chart(&curve, ap, 0.5, None);
        assert!(svg.contains("average precision 0.6845"), "{svg}");
        assert!(svg.contains("base rate 0.5000</text>"));
        // The base-rate line sits at precision 0.5: half way up the plot area.
        assert!(svg.contains("y1=\"230\" x2=\"420\" y2=\"230\""), "{svg}");
    }
}
