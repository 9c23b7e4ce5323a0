//! Split finding: the best (feature, threshold, missing-value direction) of a
//! node from its histogram.
//!
//! For each feature the bins are scanned upwards; "bins below `t` go left" is
//! tried for every `t` whose bin holds rows, once with the missing values
//! sent right and, if the node has missing values of that feature, once with
//! them sent left (XGBoost's two enumerations). `t` past the last value bin
//! sends every value left and only the missing values right. A split's gain
//! is XGBoost's loss reduction; both children need `min_child_weight` of
//! hessian. Ties keep the first candidate in the order features ascending,
//! `t` ascending, missing right before missing left, so the choice is a
//! function of the histogram alone.

use crate::ml::gbdt::bins::{BinnedMatrix, FeatureBins};
use crate::ml::gbdt::config::SplitParams;
use crate::ml::gbdt::histogram::FeatureSet;
use crate::ml::gbdt::objective::{GradSum, Scale};

/// A chosen split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Split {
    /// The feature.
    pub feature: usize,
    /// Rows whose bin is below this go left (missing values aside).
    pub bin: usize,
    /// The raw-value threshold of `bin`: `value < threshold` goes left.
    pub threshold: f64,
    /// Where missing values go.
    pub default_left: bool,
    /// Loss reduction.
    pub gain: f64,
    /// Sums of the rows going left.
    pub left: GradSum,
    /// Sums of the rows going right.
    pub right: GradSum,
}

impl Split {
    /// Whether a row in `bin` of the split's feature goes left.
    #[inline(always)]
    pub fn goes_left(&self, bin: usize, missing_bin: Option<usize>) -> bool {
        if Some(bin) == missing_bin {
            self.default_left
        } else {
            bin < self.bin
        }
    }

    /// `goes_left` for every bin of the feature, as 0/1 bytes.
    pub fn left_table(&self, feature: &FeatureBins) -> Vec<u8> {
        let missing = feature.missing_bin();
        (0..feature.total_bins())
            .map(|b| u8::from(self.goes_left(b, missing)))
            .collect()
    }
}

/// The best split of a node with sums `node` and histogram `hist`, if any
/// split is allowed and reduces the loss enough.
pub(crate) fn best_split(
    matrix: &BinnedMatrix,
    set: &FeatureSet,
    hist: &[GradSum],
    node: GradSum,
    scale: &Scale,
    params: &SplitParams,
) -> Option<Split> {
    let (g, h) = scale.real(node);
    let parent = params.score(g, h);
    let mut best: Option<Split> = None;
    for f in set.features() {
        let bins = &matrix.features()[f];
        let start = matrix.offset(f);
        let values = &hist[start..start + bins.value_bins()];
        let missing = bins
            .missing_bin()
            .map_or(GradSum::default(), |m| hist[start + m]);
        let has_missing = missing != GradSum::default();
        let mut left = GradSum::default();
        for (i, &bin) in values.iter().enumerate() {
            let t = i + 1;
            left += bin;
            if bin == GradSum::default() && t < values.len() {
                continue; // the same split as the previous t
            }
            let Some(threshold) = bins.threshold(t) else {
                continue;
            };
            let mut consider = |l: GradSum, default_left: Option<bool>| {
                let r = node - l;
                let (gl, hl) = scale.real(l);
                let (gr, hr) = scale.real(r);
                let m = params.min_child_weight;
                if hl < m || hr < m || hl <= 0.0 || hr <= 0.0 {
                    return;
                }
                let gain = params.score(gl, hl) + params.score(gr, hr) - parent;
                if best.is_none_or(|b| gain > b.gain) {
                    best = Some(Split {
                        feature: f,
                        bin: t,
                        threshold,
                        // Without missing rows, unseen missing values follow the larger child.
                        default_left: default_left.unwrap_or(hl > hr),
                        gain,
                        left: l,
                        right: r,
                    });
                }
            };
            if t < values.len() {
                consider(left, if has_missing { Some(false) } else { None });
            }
            if has_missing {
                if t < values.len() {
                    consider(left + missing, Some(true));
                } else {
                    consider(left, Some(false)); // values left, missing right
                }
            }
        }
    }
    best.filter(|s| params.accepts(s.gain))
}

#[cfg(test)]
mod tests {
    use firnml_udfs::model::FeatureSpec;

    use super::*;
    use crate::ml::dataset::Dataset;
    use crate::ml::gbdt::histogram::build;

    fn params() -> SplitParams {
        SplitParams {
            lambda: 1.0,
            alpha: 0.0,
            gamma: 0.0,
            min_child_weight: 1.0,
            max_delta_step: 0.0,
        }
    }

    /// Rows with feature `x` and gradient `g` (hessian 1), a split found by brute force alike.
    fn setup(x: Vec<f64>, g: Vec<f64>) -> (BinnedMatrix, Vec<GradSum>, Scale) {
        let rows = x.len();
        let data = Dataset {
            features: vec![FeatureSpec::numeric("x")],
            columns: vec![x],
            labels: vec![0.0; rows],
        };
        let matrix = BinnedMatrix::build(&data, 256).expect("bins");
        let scale = Scale::new(rows, 4.0, 1.0);
        let gh = g.iter().map(|&g| scale.quantize(g, 1.0)).collect();
        (matrix, gh, scale)
    }

    fn find(x: Vec<f64>, g: Vec<f64>, params: SplitParams) -> Option<Split> {
        let rows = x.len() as u32;
        let (m, gh, scale) = setup(x, g);
        let set = FeatureSet::new(&m, &[0]);
        let all: Vec<u32> = (0..rows).collect();
        let hist = build(&m, &set, &all, &gh);
        let node = gh.iter().fold(GradSum::default(), |a, &b| a + b);
        best_split(&m, &set, &hist, node, &scale, &params)
    }

    #[test]
    fn finds_the_separating_threshold_and_its_gain() {
        let x = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let g = vec![-1.0, -1.0, -1.0, 1.0, 1.0, 1.0];
        let split = find(x, g, params()).expect("split");
        assert_eq!((split.feature, split.bin, split.threshold), (0, 3, 4.0));
        // (-3)²/4 + 3²/4 - 0²/7
        assert!((split.gain - 4.5).abs() < 1e-9, "{}", split.gain);
    }

    #[test]
    fn learns_where_missing_values_go() {
        let nan = f64::NAN;
        // Missing rows look like the high rows: they should go right with them…
        let split = find(
            vec![1.0, 2.0, 3.0, 4.0, nan, nan],
            vec![-1.0, -1.0, 1.0, 1.0, 1.0, 1.0],
            params(),
        )
        .expect("split");
        assert_eq!((split.bin, split.default_left), (2, false));
        // …and left with the low rows when they look like those.
        let split = find(
            vec![1.0, 2.0, 3.0, 4.0, nan, nan],
            vec![-1.0, -1.0, 1.0, 1.0, -1.0, -1.0],
            params(),
        )
        .expect("split");
        assert_eq!((split.bin, split.default_left), (2, true));
        // Missing alone against every value: the missing-only split.
        let split = find(
            vec![1.0, 2.0, 3.0, nan, nan, nan],
            vec![-1.0, -1.0, -1.0, 1.0, 1.0, 1.0],
            params(),
        )
        .expect("split");
        assert_eq!((split.bin, split.default_left), (3, false));
        assert_eq!(split.threshold, f64::from(f32::MAX));
    }

    #[test]
    fn respects_min_child_weight_and_gamma() {
        let x = vec![1.0, 2.0, 3.0, 4.0];
        let g = vec![-3.0, 1.0, 1.0, 1.0];
        let strict = SplitParams {
            min_child_weight: 2.0,
            ..params()
        };
        let split = find(x.clone(), g.clone(), strict).expect("split");
        assert_eq!(split.bin, 2, "each side needs hessian 2");
        let gamma = SplitParams {
            gamma: 100.0,
            ..params()
        };
        assert!(find(x.clone(), g.clone(), gamma).is_none());
        assert!(
            find(vec![1.0; 4], g, params()).is_none(),
            "one value: no split"
        );
    }
}
