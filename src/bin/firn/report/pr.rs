//! The precision-recall curve: precision against recall over every
//! threshold, drawn as steps so its area is the average precision, with the
//! base rate (what a random ranking gets) and the operating point.

use firnml_udfs::metrics::PrPoint;
use plotters::prelude::*;

use super::color::CURVE;
use super::format::format_value;
use super::plot::{
    CURVE_CHART, heading, legend, line_mark, operating_point, reference_line, render, thin,
    xy_chart,
};
use super::roc::OperatingPoint;

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
    let description = format!(
        "Precision-recall curve, average precision {}",
        format_value(ap)
    );
    render(CURVE_CHART, &description, |root| {
        let area = heading(
            root,
            "Precision-recall curve",
            &format!(
                "average precision {} · base rate {}",
                format_value(ap),
                format_value(base_rate)
            ),
        )?;
        let mut chart = xy_chart(&area, 0.0..1.0, 0.0..1.0, "Recall", "Precision")?;
        reference_line(
            &mut chart,
            [(0.0, base_rate), (1.0, base_rate)],
            &format!("random ranking (base rate {})", format_value(base_rate)),
        )?;
        let points = thin(&steps(curve), 0.002);
        chart.draw_series(AreaSeries::new(points.clone(), 0.0, CURVE.mix(0.08)))?;
        chart
            .draw_series(LineSeries::new(points, CURVE.stroke_width(2)))?
            .label(format!("model (average precision {})", format_value(ap)))
            .legend(line_mark(CURVE.stroke_width(2)));
        if let Some(point) = operating {
            operating_point(&mut chart, point)?;
        }
        legend(&mut chart, SeriesLabelPosition::LowerLeft)
    })
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
        assert!(svg.contains("base rate 0.5000"), "{svg}");
    }
}
