//! Binning: every feature value becomes a small bin number, once per data set.
//!
//! Each feature gets sorted, distinct *edges* `e₁ < e₂ < … < e_k`; a value `v`
//! falls in bin `#{j : e_j ≤ v}` (0 ..= k), so "bin < t" is exactly
//! "`v < e_t`" — the comparison Firn's node table makes (`value < threshold`
//! goes left), and a split found on bins routes raw values the same way.
//! A missing value (NaN) has a bin of its own after the value bins, if the
//! feature has any missing value. A feature with at most as many distinct
//! values as it may have bins gets one bin per value (its splits are exact);
//! otherwise the edges are quantiles. Edges come from at most
//! [`SAMPLE_ROWS`] rows, chosen by a fixed hash of the row number, as
//! LightGBM and scikit-learn do: the same data always gives the same edges.
//!
//! The bins are stored twice, in one byte per value when every feature has at
//! most 256 bins (the missing bin included; `nbins` counts it), else two:
//! row-major (a row's bins side by side, one cache line when histograms are
//! built row by row) and column-major (a split reads one feature of many
//! rows: a column of a million rows is a megabyte, which stays in cache).

use datafusion::common::{Result, plan_err};
use rayon::prelude::*;

use crate::ml::dataset::Dataset;

/// Rows the edges are computed from, at most.
pub(crate) const SAMPLE_ROWS: usize = 200_000;

/// Rows binned per parallel task.
const BIN_BLOCK: usize = 16_384;

/// How one feature's values map to bins.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FeatureBins {
    /// Lower edges of bins 1..: `v` is in bin `#{e ∈ edges : e ≤ v}`.
    edges: Vec<f64>,
    /// Whether the feature has missing values (then they have the last bin).
    has_missing: bool,
    /// The threshold that sends every value left and only missing values
    /// right; `None` when no finite `f32` is above every value (the XGBoost
    /// export writes thresholds as `f32`).
    missing_only: Option<f64>,
}

impl FeatureBins {
    /// Bins of non-missing values.
    pub fn value_bins(&self) -> usize {
        self.edges.len() + 1
    }

    /// All bins, the missing bin included.
    pub fn total_bins(&self) -> usize {
        self.value_bins() + usize::from(self.has_missing)
    }

    /// The bin of missing values, if the feature has any.
    pub fn missing_bin(&self) -> Option<usize> {
        self.has_missing.then_some(self.edges.len() + 1)
    }

    /// The bin of `v` (the reference the batch binning is tested against).
    #[cfg(test)]
    pub fn bin(&self, v: f64) -> usize {
        if v.is_nan() {
            // A feature without missing training values sends them to bin 0;
            // training never sees one, so this only keeps the function total.
            return self.missing_bin().unwrap_or(0);
        }
        count_at_or_below(&self.edges, v)
    }

    /// The threshold of the split "bins below `t` go left" (`1 ..= value_bins()`),
    /// `value_bins()` being "every value left, missing values right".
    pub fn threshold(&self, t: usize) -> Option<f64> {
        if t == self.value_bins() {
            self.missing_only
        } else {
            t.checked_sub(1).and_then(|i| self.edges.get(i)).copied()
        }
    }

    /// Bins of `values` into `out`: `bin` for many values at once. The edges,
    /// padded with NaN (never `≤` anything) to 2^k − 1, are searched by binary
    /// lifting with no data-dependent branch, eight values in lockstep so
    /// their searches overlap.
    fn bin_many<B: Bin>(&self, values: &[f64], out: &mut [B], narrow: &impl Fn(usize) -> B) {
        let len = (self.edges.len() + 1).next_power_of_two() - 1;
        let mut padded = self.edges.clone();
        padded.resize(len, f64::NAN);
        let top = len.div_ceil(2);
        let missing = self.missing_bin().unwrap_or(0);
        for (values, out) in values.chunks(8).zip(out.chunks_mut(8)) {
            let mut at = [0usize; 8];
            let mut step = top;
            while step > 0 {
                for (a, &v) in at.iter_mut().zip(values) {
                    // A conditional move, not a branch: the outcome is unpredictable.
                    let above = padded[*a + step - 1] <= v;
                    *a += std::hint::select_unpredictable(above, step, 0);
                }
                step /= 2;
            }
            for ((o, &v), &a) in out.iter_mut().zip(values).zip(&at) {
                *o = narrow(if v.is_nan() { missing } else { a });
            }
        }
    }

    /// Edges of a feature from its (sampled) values.
    fn learn(mut values: Vec<f64>, has_missing: bool, max_bins: usize) -> Self {
        values.retain(|v| !v.is_nan());
        values.sort_unstable_by(f64::total_cmp);
        let max_value = values.last().copied();
        // Distinct values and how often each occurs; `==` rather than bit
        // equality, so -0.0 and 0.0 are one value.
        let mut distinct: Vec<(f64, usize)> = Vec::new();
        for v in values {
            match distinct.last_mut() {
                Some((last, count)) if *last == v => *count += 1,
                _ => distinct.push((v, 1)),
            }
        }
        let value_bins = max_bins.saturating_sub(usize::from(has_missing)).max(1);
        let edges = if distinct.len() <= value_bins {
            distinct.iter().skip(1).map(|(v, _)| *v).collect()
        } else {
            quantile_edges(&distinct, value_bins)
        };
        let missing_only = match max_value {
            Some(max) if max < f64::from(f32::MAX) => Some(f64::from(f32::MAX)),
            _ => None,
        };
        Self {
            edges,
            has_missing,
            missing_only,
        }
    }
}

/// `#{e ∈ edges : e ≤ v}` for sorted `edges`.
#[cfg(test)]
fn count_at_or_below(edges: &[f64], v: f64) -> usize {
    edges.partition_point(|e| *e <= v)
}

/// At most `bins - 1` edges between the sorted `distinct` values (with their
/// counts) so that bins hold about equally many values: walking up the
/// values, a bin is closed once it holds its share of what is left. A value
/// more frequent than a share gets a bin of its own.
fn quantile_edges(distinct: &[(f64, usize)], bins: usize) -> Vec<f64> {
    let mut remaining: usize = distinct.iter().map(|(_, c)| c).sum();
    let mut bins_left = bins;
    let mut edges = Vec::with_capacity(bins);
    let mut in_bin = 0;
    for (i, (_, count)) in distinct.iter().enumerate() {
        if bins_left <= 1 {
            break;
        }
        in_bin += count;
        let share = remaining as f64 / bins_left as f64;
        // Close the bin when it is full, or when taking the next value would
        // overfill it by more than it now falls short.
        let next = distinct.get(i + 1);
        let overfills =
            next.is_some_and(|(_, c)| (in_bin + c) as f64 - share > share - in_bin as f64);
        if let Some((edge, _)) = next
            && (in_bin as f64 >= share || overfills)
        {
            edges.push(*edge);
            remaining -= in_bin;
            bins_left -= 1;
            in_bin = 0;
        }
    }
    edges
}

/// Which rows the edges are learned from: all of them up to [`SAMPLE_ROWS`],
/// else a fixed pseudo-random choice of about that many.
fn sample_rows(rows: usize) -> Vec<usize> {
    if rows <= SAMPLE_ROWS {
        return (0..rows).collect();
    }
    // Keep row i when a SplitMix64 hash of i falls below the share.
    let cut = ((SAMPLE_ROWS as f64 / rows as f64) * u64::MAX as f64) as u64;
    (0..rows).filter(|&i| mix(i as u64) < cut).collect()
}

/// SplitMix64's finaliser: a fixed, well-mixed hash of a row number.
pub(crate) fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The bin numbers of a matrix, one or two bytes each.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bins {
    /// Every feature has at most 256 bins.
    U8(Vec<u8>),
    /// Some feature has more.
    U16(Vec<u16>),
}

/// A bin number as stored.
pub(crate) trait Bin: Copy + Send + Sync + 'static {
    /// As an index.
    fn index(self) -> usize;
}

impl Bin for u8 {
    #[inline(always)]
    fn index(self) -> usize {
        usize::from(self)
    }
}

impl Bin for u16 {
    #[inline(always)]
    fn index(self) -> usize {
        usize::from(self)
    }
}

/// A data set's features as bins, row-major, with each feature's edges.
#[derive(Debug, Clone, PartialEq)]
pub struct BinnedMatrix {
    rows: usize,
    features: Vec<FeatureBins>,
    /// Where each feature's bins start in a histogram; one more entry, the total.
    offsets: Vec<usize>,
    /// Row-major.
    bins: Bins,
    /// Column-major.
    columns: Bins,
}

impl BinnedMatrix {
    /// Bins every feature of `data` into at most `nbins` bins (the missing bin included).
    pub fn build(data: &Dataset, nbins: u16) -> Result<Self> {
        let rows = data.rows();
        if rows == 0 || data.columns.is_empty() {
            return plan_err!("the training data has no rows or no features");
        }
        if u32::try_from(rows).is_err() {
            return plan_err!("the trainer takes at most {} rows, got {rows}", u32::MAX);
        }
        if data.columns.iter().any(|c| c.len() != rows) {
            return plan_err!("the training data's columns have different lengths");
        }
        let max_bins = usize::from(nbins).max(2);
        let sample = sample_rows(rows);
        let features: Vec<FeatureBins> = data
            .columns
            .par_iter()
            .map(|column| {
                let has_missing = column.iter().any(|v| v.is_nan());
                let values = sample.iter().map(|&i| column[i]).collect();
                FeatureBins::learn(values, has_missing, max_bins)
            })
            .collect();
        let mut offsets = Vec::with_capacity(features.len() + 1);
        let mut total = 0;
        for f in &features {
            offsets.push(total);
            total += f.total_bins();
        }
        offsets.push(total);
        let narrow = features.iter().all(|f| f.total_bins() <= 256);
        let (bins, columns) = if narrow {
            let columns = bin_columns(data, &features, |b| b as u8);
            (
                Bins::U8(transpose(&columns, rows, features.len())),
                Bins::U8(columns),
            )
        } else {
            let columns = bin_columns(data, &features, |b| b as u16);
            (
                Bins::U16(transpose(&columns, rows, features.len())),
                Bins::U16(columns),
            )
        };
        Ok(Self {
            rows,
            features,
            offsets,
            bins,
            columns,
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of features.
    pub fn num_features(&self) -> usize {
        self.features.len()
    }

    /// Each feature's binning.
    pub(crate) fn features(&self) -> &[FeatureBins] {
        &self.features
    }

    /// Where feature `f`'s bins start in a histogram.
    pub(crate) fn offset(&self, f: usize) -> usize {
        self.offsets[f]
    }

    /// Bins of all features: the length of a histogram.
    pub(crate) fn histogram_len(&self) -> usize {
        self.offsets.last().copied().unwrap_or(0)
    }

    /// The bins, row-major.
    pub(crate) fn bins(&self) -> &Bins {
        &self.bins
    }

    /// The bins, column-major.
    pub(crate) fn columns(&self) -> &Bins {
        &self.columns
    }

    /// Bytes of the stored bins (both layouts).
    pub fn bin_bytes(&self) -> usize {
        match &self.bins {
            Bins::U8(b) => 2 * b.len(),
            Bins::U16(b) => 4 * b.len(),
        }
    }

    /// The bin of row `row`, feature `f`.
    #[cfg(test)]
    pub(crate) fn bin(&self, row: usize, f: usize) -> usize {
        let at = f * self.rows + row;
        match &self.columns {
            Bins::U8(b) => usize::from(b[at]),
            Bins::U16(b) => usize::from(b[at]),
        }
    }
}

/// Every feature's bins, column-major, `BIN_BLOCK` values per parallel task.
fn bin_columns<B: Bin>(
    data: &Dataset,
    features: &[FeatureBins],
    narrow: impl Fn(usize) -> B + Sync,
) -> Vec<B> {
    let rows = data.rows();
    let mut out = vec![narrow(0); rows * features.len()];
    out.par_chunks_mut(rows)
        .zip(data.columns.par_iter().zip(features))
        .for_each(|(out, (column, bins))| {
            out.par_chunks_mut(BIN_BLOCK)
                .zip(column.par_chunks(BIN_BLOCK))
                .for_each(|(out, values)| bins.bin_many(values, out, &narrow));
        });
    out
}

/// The row-major copy of column-major `columns` (`rows` × `width`).
fn transpose<B: Bin>(columns: &[B], rows: usize, width: usize) -> Vec<B> {
    let Some(&first) = columns.first() else {
        return Vec::new();
    };
    let mut out = vec![first; rows * width];
    out.par_chunks_mut(BIN_BLOCK * width)
        .enumerate()
        .for_each(|(block, chunk)| {
            let start = block * BIN_BLOCK;
            for f in 0..width {
                let column = &columns[f * rows + start..f * rows + start + chunk.len() / width];
                for (slot, &b) in chunk[f..].iter_mut().step_by(width).zip(column) {
                    *slot = b;
                }
            }
        });
    out
}

#[cfg(test)]
mod tests {
    use firnml_udfs::model::FeatureSpec;

    use super::*;

    fn data(columns: Vec<Vec<f64>>) -> Dataset {
        let rows = columns.first().map_or(0, Vec::len);
        Dataset {
            features: (0..columns.len())
                .map(|i| FeatureSpec::numeric(format!("x{i}")))
                .collect(),
            columns,
            labels: vec![0.0; rows],
        }
    }

    #[test]
    fn few_values_get_a_bin_each_and_splits_match_the_node_table() {
        let column = vec![3.0, 1.0, f64::NAN, 2.0, 1.0, -0.0, 0.0];
        let matrix = BinnedMatrix::build(&data(vec![column.clone()]), 256).expect("bins");
        let f = &matrix.features()[0];
        assert_eq!(f.edges, vec![1.0, 2.0, 3.0]);
        assert_eq!(f.missing_bin(), Some(4));
        assert_eq!(f.total_bins(), 5);
        let bins: Vec<usize> = (0..column.len()).map(|r| matrix.bin(r, 0)).collect();
        assert_eq!(bins, vec![3, 1, 4, 2, 1, 0, 0]);
        // "bin < t" is "value < threshold(t)" for every split and value.
        for t in 1..=f.value_bins() {
            let Some(threshold) = f.threshold(t) else {
                panic!("threshold {t}")
            };
            for (r, v) in column.iter().enumerate() {
                if !v.is_nan() {
                    assert_eq!(bins[r] < t, *v < threshold, "t {t}, v {v}");
                }
            }
        }
        assert_eq!(f.threshold(0), None);
        assert!(matches!(matrix.bins(), Bins::U8(_)));
    }

    #[test]
    fn many_values_get_quantile_edges_within_nbins() {
        let column: Vec<f64> = (0..10_000).map(|i| f64::from(i % 1000) * 0.5).collect();
        let counts: Vec<usize> = {
            let matrix = BinnedMatrix::build(&data(vec![column.clone()]), 16).expect("bins");
            let mut counts = vec![0; 16];
            for r in 0..10_000 {
                counts[matrix.bin(r, 0)] += 1;
            }
            counts
        };
        assert!(
            counts.iter().all(|&c| (580..=680).contains(&c)),
            "equal-frequency bins: {counts:?}"
        );
        let mut with_missing = column.clone();
        with_missing[7] = f64::NAN;
        let matrix = BinnedMatrix::build(&data(vec![column, with_missing]), 16).expect("bins");
        assert_eq!(matrix.features()[0].total_bins(), 16);
        assert_eq!(matrix.features()[1].total_bins(), 16, "missing bin counted");
        assert_eq!(matrix.histogram_len(), 32);
        assert_eq!(matrix.offset(1), 16);
        for r in 0..10_000 {
            assert!(matrix.bin(r, 0) < 16);
        }
        assert_eq!(matrix.bin(7, 1), 15);
        // Both layouts hold the same bins.
        let (Bins::U8(rows), Bins::U8(columns)) = (matrix.bins(), matrix.columns()) else {
            panic!("one byte per bin")
        };
        for r in 0..10_000 {
            for f in 0..2 {
                assert_eq!(rows[r * 2 + f], columns[f * 10_000 + r]);
            }
        }
    }

    #[test]
    fn wide_bins_take_two_bytes() {
        let column: Vec<f64> = (0..5_000).map(f64::from).collect();
        let matrix = BinnedMatrix::build(&data(vec![column]), 1024).expect("bins");
        assert!(matches!(matrix.bins(), Bins::U16(_)));
        assert_eq!(matrix.features()[0].total_bins(), 1024);
        assert_eq!(matrix.bin(4_999, 0), 1023);
    }

    #[test]
    fn large_data_is_binned_from_a_fixed_sample() {
        let rows = SAMPLE_ROWS * 2;
        let sample = sample_rows(rows);
        assert!((sample.len() as f64 - SAMPLE_ROWS as f64).abs() < 2_000.0);
        assert_eq!(sample, sample_rows(rows));
        assert!(BinnedMatrix::build(&data(vec![]), 256).is_err());
    }

    #[test]
    fn many_values_are_binned_like_one() {
        for edges in [
            vec![],
            vec![1.0],
            vec![1.0, 2.0, 2.5],
            (0..255).map(f64::from).collect(),
        ] {
            for has_missing in [false, true] {
                let bins = FeatureBins {
                    edges: edges.clone(),
                    has_missing,
                    missing_only: None,
                };
                let values: Vec<f64> = (0..1_000)
                    .map(|i| match i % 13 {
                        0 => f64::NAN,
                        1 => f64::INFINITY,
                        2 => f64::NEG_INFINITY,
                        _ => f64::from(i % 300) * 0.93 - 20.0,
                    })
                    .collect();
                let mut out = vec![0u16; values.len()];
                bins.bin_many(&values, &mut out, &|b| b as u16);
                for (v, o) in values.iter().zip(&out) {
                    assert_eq!(
                        usize::from(*o),
                        bins.bin(*v),
                        "{v} with {} edges",
                        edges.len()
                    );
                }
            }
        }
    }

    #[test]
    fn counts_edges() {
        let edges = [1.0, 2.0, 2.5, 7.0];
        for (v, expected) in [(0.0, 0), (1.0, 1), (2.2, 2), (2.5, 3), (9.0, 4)] {
            assert_eq!(count_at_or_below(&edges, v), expected, "{v}");
        }
        assert_eq!(count_at_or_below(&[], 3.0), 0);
    }
}
