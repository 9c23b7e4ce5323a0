//! Test data shared by the metric tests.
//!
//! 20 rows drawn with numpy (`default_rng(7)`, scores rounded to one decimal so
//! that they tie); every expected value the tests compare against was computed
//! with scikit-learn 1.9.

/// Scores with many ties.
pub(crate) const SCORES: [f64; 20] = [
    0.6, 0.9, 0.8, 0.2, 0.3, 0.9, 0.0, 0.8, 0.8, 0.5, 0.3, 0.3, 0.3, 0.4, 0.5, 0.6, 1.0, 0.8, 0.6,
    1.0,
];

/// 16 positive and 4 negative labels.
pub(crate) const LABELS: [f64; 20] = [
    1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0,
    1.0,
];

/// `|a - b| < 1e-12`.
pub(crate) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}
