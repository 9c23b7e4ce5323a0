//! The confusion matrix at the decision threshold: a 2 × 2 heat map of
//! counts (rows: actual class, columns: predicted class, as scikit-learn
//! draws it) with each cell's share of all rows and the metrics it gives.

use firnml_udfs::metrics::ConfusionMatrix;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::color::{heat_colour, heat_text_is_light};
use super::format::{format_fixed, format_value};
use super::plot::{AXIS, INK, anchored, bold, font_in, heading, plain, render};

/// One cell: its name, count and grid position (row = actual, column = predicted).
fn cells(m: &ConfusionMatrix) -> [(&'static str, u64, i32, i32); 4] {
    [
        ("TN", m.tn, 0, 0),
        ("FP", m.fp, 0, 1),
        ("FN", m.fn_, 1, 0),
        ("TP", m.tp, 1, 1),
    ]
}

/// The confusion matrix `m` of label column `label` at `threshold`, as an SVG document.
pub fn confusion_chart(m: &ConfusionMatrix, threshold: f64, label: &str) -> String {
    let total = m.total();
    let description = format!(
        "Confusion matrix at threshold {}: TN {}, FP {}, FN {}, TP {}",
        format_fixed(threshold, 2),
        m.tn,
        m.fp,
        m.fn_,
        m.tp
    );
    render((440, 400), &description, |root| {
        let area = heading(
            root,
            "Confusion matrix",
            &format!(
                "positive when the score ≥ {} · {total} rows",
                format_fixed(threshold, 2)
            ),
        )?;
        let (left, top, cell_w, cell_h) = (112, 42, 150, 110);
        let largest = cells(m).iter().map(|c| c.1).max().unwrap_or(0).max(1);
        let centred =
            |px: f64, colour: RGBColor| anchored(font_in(px, colour), HPos::Center, VPos::Center);
        for (name, count, row, column) in cells(m) {
            let (x, y) = (left + column * cell_w, top + row * cell_h);
            let share = count as f64 / largest as f64;
            area.draw(&Rectangle::new(
                [(x + 1, y + 1), (x + cell_w - 1, y + cell_h - 1)],
                heat_colour(share).filled(),
            ))?;
            let ink = if heat_text_is_light(share) {
                WHITE
            } else {
                INK
            };
            let percent = if total == 0 {
                0.0
            } else {
                100.0 * count as f64 / total as f64
            };
            let centre = x + cell_w / 2;
            area.draw(&Text::new(name, (centre, y + 24), centred(12.0, ink)))?;
            area.draw(&Text::new(
                count.to_string(),
                (centre, y + 56),
                anchored(bold(24.0, ink), HPos::Center, VPos::Center),
            ))?;
            area.draw(&Text::new(
                format!("{} % of rows", format_fixed(percent, 1)),
                (centre, y + 86),
                centred(12.0, ink),
            ))?;
        }
        for (class, i) in [("0", 0), ("1", 1)] {
            area.draw(&Text::new(
                format!("predicted {class}"),
                (left + cell_w * i + cell_w / 2, top - 10),
                centred(12.0, AXIS),
            ))?;
            area.draw(&Text::new(
                format!("actual {class}"),
                (left - 10, top + cell_h * i + cell_h / 2),
                anchored(font_in(12.0, AXIS), HPos::Right, VPos::Center),
            ))?;
        }
        area.draw(&Text::new(
            format!("Actual {}", plain(label, 18)),
            (24, top + cell_h),
            anchored(bold(12.0, INK), HPos::Center, VPos::Center)
                .transform(FontTransform::Rotate270),
        ))?;
        let accuracy = m.accuracy().map_or_else(|| "—".to_string(), format_value);
        area.draw(&Text::new(
            format!(
                "precision {} · recall {}",
                format_value(m.precision()),
                format_value(m.recall())
            ),
            (left + cell_w, top + 2 * cell_h + 24),
            centred(12.0, INK),
        ))?;
        area.draw(&Text::new(
            format!("F1 {} · accuracy {accuracy}", format_value(m.f1())),
            (left + cell_w, top + 2 * cell_h + 44),
            centred(12.0, INK),
        ))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plot::has_text;

    #[test]
    fn shows_counts_shares_and_metrics() {
        let m = ConfusionMatrix {
            tp: 30,
            fp: 10,
            tn: 50,
            fn_: 10,
        };
        let svg = confusion_chart(&m, 0.5, "is_churned");
        for text in ["30", "10", "50", "30.0 % of rows", "50.0 % of rows"] {
            assert!(has_text(&svg, text), "{text} in {svg}");
        }
        assert!(svg.contains("precision 0.7500 · recall 0.7500"));
        assert!(svg.contains("F1 0.7500 · accuracy 0.8000"));
        assert!(svg.contains("Actual is_churned"));
        assert!(svg.contains("TN 50, FP 10, FN 10, TP 30"));
        // TN (the largest count) is the darkest cell.
        assert!(svg.contains("fill=\"#084594\""), "{svg}");
    }

    #[test]
    fn an_empty_matrix_draws_without_dividing_by_zero() {
        let svg = confusion_chart(&ConfusionMatrix::default(), 0.5, "<y>");
        assert!(svg.contains("0.0 % of rows"));
        assert!(svg.contains("accuracy —"));
        assert!(svg.contains("Actual &lt;y&gt;"));
    }
}
