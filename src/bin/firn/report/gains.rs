//! Cumulative gains and lift: rows ranked by score, the share of all
//! positives found in the top x % of rows. The chart a churn campaign is
//! planned with ("calling the riskiest 20 % reaches 55 % of churners").

use plotters::prelude::*;

use super::color::{CURVE, REFERENCE};
use super::format::format_fixed;
use super::plot::{
    CURVE_CHART, heading, legend, line_mark, reference_line, render, thin, xy_chart,
};

/// One tenth of the rows, ranked by score (decile 1 holds the highest scores).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decile {
    /// 1 … 10.
    pub decile: usize,
    /// Rows in it.
    pub rows: usize,
    /// Positives in it.
    pub positives: usize,
    /// Its share of positives, over the base rate.
    pub lift: f64,
    /// Share of all positives in deciles 1 … this one.
    pub cumulative_capture: f64,
}

/// Row indices by descending score; ties keep row order.
fn ranked(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order
}

/// The gains curve: (share of rows taken, share of positives found), from
/// (0, 0); rows with equal scores are taken together (a straight segment),
/// so the curve does not depend on their order.
pub fn gains(scores: &[f64], labels: &[f64]) -> Vec<(f64, f64)> {
    let n = scores.len().min(labels.len());
    let positives = labels[..n].iter().filter(|l| **l == 1.0).count();
    let mut curve = vec![(0.0, 0.0)];
    if n == 0 || positives == 0 {
        return curve;
    }
    let order = ranked(&scores[..n]);
    let mut found = 0usize;
    for (taken, &i) in order.iter().enumerate() {
        if labels[i] == 1.0 {
            found += 1;
        }
        let last_of_tie = order
            .get(taken + 1)
            .is_none_or(|&next| scores[next].total_cmp(&scores[i]).is_ne());
        if last_of_tie {
            curve.push((
                (taken + 1) as f64 / n as f64,
                found as f64 / positives as f64,
            ));
        }
    }
    curve
}

/// The ten deciles of rows ranked by score.
pub fn deciles(scores: &[f64], labels: &[f64]) -> Vec<Decile> {
    let n = scores.len().min(labels.len());
    let order = ranked(&scores[..n]);
    let total = labels[..n].iter().filter(|l| **l == 1.0).count();
    let base = total as f64 / n.max(1) as f64;
    let mut cumulative = 0usize;
    (0..10)
        .map(|d| {
            let rows = &order[d * n / 10..(d + 1) * n / 10];
            let positives = rows.iter().filter(|&&i| labels[i] == 1.0).count();
            cumulative += positives;
            let rate = positives as f64 / rows.len().max(1) as f64;
            Decile {
                decile: d + 1,
                rows: rows.len(),
                positives,
                lift: if base > 0.0 { rate / base } else { f64::NAN },
                cumulative_capture: if total > 0 {
                    cumulative as f64 / total as f64
                } else {
                    f64::NAN
                },
            }
        })
        .collect()
}

/// The cumulative gains chart, with the random and the perfect ranking.
pub fn gains_chart(scores: &[f64], labels: &[f64]) -> String {
    let curve = gains(scores, labels);
    let n = labels.len().max(1);
    let base = labels.iter().filter(|l| **l == 1.0).count() as f64 / n as f64;
    let top = deciles(scores, labels);
    let first_two = top.get(1).map_or(f64::NAN, |d| d.cumulative_capture);
    let lift = top.first().map_or(f64::NAN, |d| d.lift);
    render(CURVE_CHART, "Cumulative gains", |root| {
        let area = heading(
            root,
            "Cumulative gains",
            &format!(
                "the top 20 % of rows hold {} % of positives · top-decile lift {}",
                format_fixed(100.0 * first_two, 0),
                format_fixed(lift, 2)
            ),
        )?;
        let mut chart = xy_chart(
            &area,
            0.0..1.0,
            0.0..1.0,
            "Share of rows, highest scores first",
            "Share of positives found",
        )?;
        reference_line(&mut chart, [(0.0, 0.0), (1.0, 1.0)], "random order")?;
        let perfect = REFERENCE.mix(0.6).stroke_width(1);
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (base, 1.0), (1.0, 1.0)],
                perfect,
            ))?
            .label("perfect ranking")
            .legend(line_mark(perfect));
        chart
            .draw_series(LineSeries::new(thin(&curve, 0.002), CURVE.stroke_width(2)))?
            .label("model")
            .legend(line_mark(CURVE.stroke_width(2)));
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gains_rise_to_one_and_treat_ties_together() {
        let scores = [0.9, 0.8, 0.8, 0.1];
        let labels = [1.0, 0.0, 1.0, 0.0];
        assert_eq!(
            gains(&scores, &labels),
            vec![(0.0, 0.0), (0.25, 0.5), (0.75, 1.0), (1.0, 1.0)]
        );
        // Swapping the tied rows changes nothing.
        assert_eq!(
            gains(&scores, &[1.0, 1.0, 0.0, 0.0]),
            gains(&scores, &labels)
        );
        assert_eq!(gains(&scores, &[0.0; 4]), vec![(0.0, 0.0)]);
    }

    #[test]
    fn deciles_split_the_ranked_rows() {
        let scores: Vec<f64> = (0..100).map(|i| f64::from(i) / 100.0).collect();
        // The 20 highest scores are positive.
        let labels: Vec<f64> = (0..100).map(|i| if i >= 80 { 1.0 } else { 0.0 }).collect();
        let d = deciles(&scores, &labels);
        assert_eq!(d.len(), 10);
        assert_eq!((d[0].rows, d[0].positives), (10, 10));
        assert!((d[0].lift - 5.0).abs() < 1e-12);
        assert_eq!(d[1].cumulative_capture, 1.0);
        assert_eq!(d[9].positives, 0);
        let svg = gains_chart(&scores, &labels);
        assert!(
            svg.contains("the top 20 % of rows hold 100 % of positives"),
            "{svg}"
        );
        assert!(svg.contains("top-decile lift 5.00"));
    }
}
