//! The ROC curve: true-positive rate against false-positive rate over every
//! threshold, with its area (AUC), the chance diagonal and the operating
//! point; with `--compare`, a second model's curve over the same rows.

use firnml_udfs::metrics::RocPoint;
use plotters::prelude::*;

use super::color::{CURVE, OTHER};
use super::format::format_value;
use super::plot::{
    CURVE_CHART, heading, legend, line_mark, operating_point, plain, reference_line, render, thin,
    xy_chart,
};

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

/// One model's curve.
#[derive(Debug, Clone, PartialEq)]
pub struct RocSeries<'a> {
    /// The model, as the legend names it.
    pub name: String,
    /// The curve (from [`firnml_udfs::metrics::roc_curve`]).
    pub curve: &'a [RocPoint],
    /// Its area.
    pub auc: f64,
}

/// The ROC curves of `series` (the card's model first), as an SVG document.
pub fn roc_chart(series: &[RocSeries<'_>], operating: Option<OperatingPoint>) -> String {
    let aucs: Vec<String> = series.iter().map(|s| format_value(s.auc)).collect();
    let description = format!("ROC curve, AUC {}", aucs.join(" and "));
    render(CURVE_CHART, &description, |root| {
        let subtitle = match aucs.as_slice() {
            [one] => format!("AUC {one} · higher and further left is better"),
            _ => format!("AUC {} · same rows, both models", aucs.join(" vs ")),
        };
        let area = heading(root, "ROC curve", &subtitle)?;
        let mut chart = xy_chart(
            &area,
            0.0..1.0,
            0.0..1.0,
            "False-positive rate",
            "True-positive rate (recall)",
        )?;
        reference_line(&mut chart, [(0.0, 0.0), (1.0, 1.0)], "chance (AUC 0.5)")?;
        for (i, s) in series.iter().enumerate() {
            let colour = if i == 0 { CURVE } else { OTHER };
            let points: Vec<(f64, f64)> = s.curve.iter().map(|p| (p.fpr, p.tpr)).collect();
            let points = thin(&points, 0.002);
            if i == 0 {
                chart.draw_series(AreaSeries::new(points.clone(), 0.0, CURVE.mix(0.08)))?;
            }
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))?
                .label(format!(
                    "{} (AUC {})",
                    plain(&s.name, 24),
                    format_value(s.auc)
                ))
                .legend(line_mark(colour.stroke_width(2)));
        }
        if let Some(point) = operating {
            operating_point(&mut chart, point)?;
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use firnml_udfs::metrics::{roc_auc, roc_curve};

    fn chart(compare: bool) -> String {
        let scores = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2];
        let labels = [1., 1., 0., 1., 0., 1., 0., 0.];
        let curve = roc_curve(&scores, &labels).unwrap().unwrap();
        let auc = roc_auc(&scores, &labels).unwrap().unwrap();
        let mut series = vec![RocSeries {
            name: "m@v2".into(),
            curve: &curve,
            auc,
        }];
        if compare {
            series.push(RocSeries {
                name: "m@v1".into(),
                curve: &curve,
                auc: 0.5,
            });
        }
        roc_chart(
            &series,
            Some(OperatingPoint {
                threshold: 0.5,
                x: 0.5,
                y: 0.75,
            }),
        )
    }

    #[test]
    fn shows_the_auc_the_diagonal_and_the_operating_point() {
        let svg = chart(false);
        assert!(svg.contains("AUC 0.8125"), "{svg}");
        assert!(svg.contains("chance (AUC 0.5)"));
        assert!(svg.contains("threshold 0.50"));
        assert!(svg.matches("<polyline").count() >= 2, "{svg}");
        assert_eq!(svg, chart(false), "same input, same bytes");
    }

    #[test]
    fn a_comparison_draws_both_curves_with_their_names() {
        let svg = chart(true);
        assert!(svg.contains("m@v2 (AUC 0.8125)"), "{svg}");
        assert!(svg.contains("m@v1 (AUC 0.5000)"), "{svg}");
        assert!(
            svg.contains("#E8710A") || svg.contains("#e8710a"),
            "the second colour: {svg}"
        );
    }
}
