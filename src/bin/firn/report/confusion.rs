//! The confusion matrix at the decision threshold: a 2 × 2 heat map of
//! counts (rows: actual class, columns: predicted class, as scikit-learn
//! draws it) with each cell's share of all rows and the metrics it gives.

use firnml_udfs::metrics::ConfusionMatrix;

use super::axes::{AXIS, INK, title};
use super::color::{heat_colour, heat_text_is_light};
use super::scale::{format_fixed, format_value};
use super::svg::{Anchor, Paint, Svg, TextStyle, truncate};

/// One cell: its name, count and grid position (row = actual, column = predicted).
fn cells(m: &ConfusionMatrix) -> [(&'static str, u64, usize, usize); 4] {
    [
        ("TN", m.tn, 0, 0),
        ("FP", m.fp, 0, 1),
        ("FN", m.fn_, 1, 0),
        ("TP", m.tp, 1, 1),
    ]
}

/// The confusion matrix `m` of label column `label` at `threshold`, as an SVG document.
pub fn confusion_chart(m: &ConfusionMatrix, threshold: f64, label: &str) -> String {
    let (width, height) = (440.0, 400.0);
    let total = m.total();
    let mut svg = Svg::new(
        width,
        height,
        &format!(
            "Confusion matrix at threshold {}: TN {}, FP {}, FN {}, TP {}",
            format_fixed(threshold, 2),
            m.tn,
            m.fp,
            m.fn_,
            m.tp
        ),
    );
    title(
        &mut svg,
        "Confusion matrix",
        &format!(
            "positive when the score ≥ {} · {total} rows",
            format_fixed(threshold, 2)
        ),
    );
    let (left, top, cell_w, cell_h) = (112.0, 96.0, 150.0, 110.0);
    let largest = cells(m).iter().map(|c| c.1).max().unwrap_or(0).max(1);
    let label = truncate(label, 18);
    for (name, count, row, column) in cells(m) {
        let x = left + column as f64 * cell_w;
        let y = top + row as f64 * cell_h;
        let share = count as f64 / largest as f64;
        svg.rect(
            (x, y),
            (cell_w, cell_h),
            &Paint {
                stroke: Some("#ffffff".into()),
                width: 2.0,
                ..Paint::fill(heat_colour(share))
            },
            &format!("{name}: {count}"),
        );
        let fill = if heat_text_is_light(share) {
            "#ffffff"
        } else {
            INK
        };
        let centre = x + cell_w / 2.0;
        let percent = if total == 0 {
            0.0
        } else {
            100.0 * count as f64 / total as f64
        };
        let style = TextStyle::anchored(Anchor::Middle).fill(fill);
        svg.text((centre, y + 30.0), name, style.size(12.0));
        svg.text(
            (centre, y + 62.0),
            &count.to_string(),
            style.size(24.0).bold(),
        );
        svg.text(
            (centre, y + 86.0),
            &format!("{} % of rows", format_fixed(percent, 1)),
            style.size(12.0),
        );
    }
    let axis = TextStyle::anchored(Anchor::Middle).size(12.0).fill(AXIS);
    for (class, i) in [("0", 0.0), ("1", 1.0)] {
        svg.text(
            (left + cell_w * (i + 0.5), top - 10.0),
            &format!("predicted {class}"),
            axis,
        );
        svg.text(
            (left - 10.0, top + cell_h * (i + 0.5) + 4.0),
            &format!("actual {class}"),
            TextStyle::anchored(Anchor::End).size(12.0).fill(AXIS),
        );
    }
    svg.text(
        (left + cell_w, top - 30.0),
        "Predicted class",
        TextStyle::anchored(Anchor::Middle)
            .size(12.0)
            .fill(INK)
            .bold(),
    );
    svg.text(
        (24.0, top + cell_h),
        &format!("Actual {label}"),
        TextStyle::anchored(Anchor::Middle)
            .size(12.0)
            .fill(INK)
            .bold()
            .rotate(-90.0),
    );
    let accuracy = m.accuracy().map_or_else(|| "—".to_string(), format_value);
    let metrics = TextStyle::anchored(Anchor::Middle).size(12.0).fill(INK);
    svg.text(
        (left + cell_w, top + 2.0 * cell_h + 30.0),
        &format!(
            "precision {} · recall {}",
            format_value(m.precision()),
            format_value(m.recall())
        ),
        metrics,
    );
    svg.text(
        (left + cell_w, top + 2.0 * cell_h + 48.0),
        &format!("F1 {} · accuracy {accuracy}", format_value(m.f1())),
        metrics,
    );
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_counts_shares_and_metrics() {
        let m = ConfusionMatrix {
            tp: 30,
            fp: 10,
            tn: 50,
            fn_: 10,
        };
        let svg = confusion_chart(&m, 0.5, "is_churned");
        for text in [
            ">30</text>",
            ">10</text>",
            ">50</text>",
            "30.0 % of rows",
            "50.0 % of rows",
        ] {
            assert!(svg.contains(text), "{text} in {svg}");
        }
        assert!(svg.contains("precision 0.7500 · recall 0.7500"));
        assert!(svg.contains("F1 0.7500 · accuracy 0.8000"));
        assert!(svg.contains("Actual is_churned"));
        assert!(svg.contains("TN 50, FP 10, FN 10, TP 30"));
        // TN (the largest count) is the darkest cell, with white text.
        let tn_cell = svg
            .lines()
            .find(|l| l.contains("<title>TN: 50</title>"))
            .expect("TN cell");
        assert!(tn_cell.contains("fill=\"#084594\""), "{tn_cell}");
    }

    #[test]
    fn an_empty_matrix_draws_without_dividing_by_zero() {
        let svg = confusion_chart(&ConfusionMatrix::default(), 0.5, "<y>");
        assert!(svg.contains("0.0 % of rows"));
        assert!(svg.contains("accuracy —"));
        assert!(svg.contains("Actual &lt;y&gt;"));
    }
}
