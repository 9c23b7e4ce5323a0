//! Histograms: for one node, the sum of its rows' gradients and hessians in
//! every bin of every feature, one flat vector (feature `f`'s bins start at
//! [`BinnedMatrix::offset`]).
//!
//! A histogram is built row by row: each row's bins are adjacent in the
//! row-major matrix, so a row costs one cache line of bins and one read of
//! its gradient pair. Large nodes are cut into blocks built in parallel and
//! summed; sums are integers (see `objective`), so the result does not depend
//! on the blocks or their order. Only the smaller child of a split is built;
//! the larger one is its parent minus it (`subtract`), exactly.
//!
//! Below the root a node's rows are scattered over the matrix and the
//! gradient vector, so the rows a few steps ahead are prefetched (as XGBoost
//! does): without it the loads of the gradient pairs dominated the fit.

use rayon::prelude::*;

use crate::ml::gbdt::bins::{Bin, BinnedMatrix, Bins};
use crate::ml::gbdt::objective::GradSum;

/// Rows below which a histogram is built by one task.
const PARALLEL_ROWS: usize = 32_768;

/// One node's histogram.
pub(crate) type Histogram = Vec<GradSum>;

/// The features a tree may split on: (feature, its histogram offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FeatureSet {
    entries: Vec<(usize, usize)>,
    /// Every feature's offset, when the set is all of them (the dense kernel).
    all: Option<Vec<u32>>,
}

impl FeatureSet {
    /// The features `features` (ascending) of `matrix`.
    pub fn new(matrix: &BinnedMatrix, features: &[usize]) -> Self {
        let all = (features.len() == matrix.num_features()
            && u32::try_from(matrix.histogram_len()).is_ok())
        .then(|| {
            (0..matrix.num_features())
                .map(|f| matrix.offset(f) as u32)
                .collect()
        });
        Self {
            entries: features.iter().map(|&f| (f, matrix.offset(f))).collect(),
            all,
        }
    }

    /// The feature indices.
    pub fn features(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries.iter().map(|(f, _)| *f)
    }
}

/// The histogram of `rows` over the features of `set`; other features' bins stay zero.
pub(crate) fn build(
    matrix: &BinnedMatrix,
    set: &FeatureSet,
    rows: &[u32],
    gh: &[GradSum],
) -> Histogram {
    let len = capacity(matrix);
    let tasks = rayon::current_num_threads().min(rows.len() / PARALLEL_ROWS);
    if tasks < 2 {
        let mut out = vec![GradSum::default(); len];
        accumulate(matrix, set, rows, gh, &mut out);
        return out;
    }
    let block = rows.len().div_ceil(tasks);
    rows.par_chunks(block)
        .map(|chunk| {
            let mut out = vec![GradSum::default(); len];
            accumulate(matrix, set, chunk, gh, &mut out);
            out
        })
        .reduce_with(|mut a, b| {
            add(&mut a, &b);
            a
        })
        .unwrap_or_else(|| vec![GradSum::default(); len])
}

/// A histogram's length: the bins of all features rounded up to a power of
/// two, so a bin index masked by `len − 1` needs no bounds check.
pub(crate) fn capacity(matrix: &BinnedMatrix) -> usize {
    matrix.histogram_len().next_power_of_two()
}

/// Adds `rows`' gradient pairs into `out` (of [`capacity`] length).
fn accumulate(
    matrix: &BinnedMatrix,
    set: &FeatureSet,
    rows: &[u32],
    gh: &[GradSum],
    out: &mut [GradSum],
) {
    let width = matrix.num_features();
    match (matrix.bins(), &set.all) {
        (Bins::U8(bins), Some(offsets)) => accumulate_dense(bins, width, offsets, rows, gh, out),
        (Bins::U16(bins), Some(offsets)) => accumulate_dense(bins, width, offsets, rows, gh, out),
        (Bins::U8(bins), None) => accumulate_rows(bins, width, &set.entries, rows, gh, out),
        (Bins::U16(bins), None) => accumulate_rows(bins, width, &set.entries, rows, gh, out),
    }
}

/// Prefetches the gradient pair and the bins of row `ahead`.
#[inline(always)]
fn prefetch_row<B>(bins: &[B], width: usize, gh: &[GradSum], ahead: u32) {
    let ahead = ahead as usize;
    let first = ahead * width;
    if let (Some(pair), Some(start), Some(end)) =
        (gh.get(ahead), bins.get(first), bins.get(first + width - 1))
    {
        prefetch(pair);
        prefetch(start);
        prefetch(end);
    }
}

/// [`accumulate_rows`] for all features: each row's bins with the features' offsets.
#[inline(always)]
fn accumulate_dense<B: Bin>(
    bins: &[B],
    width: usize,
    offsets: &[u32],
    rows: &[u32],
    gh: &[GradSum],
    out: &mut [GradSum],
) {
    let mask = out.len().wrapping_sub(1);
    let Some(out) = out.get_mut(..=mask) else {
        return;
    };
    for (i, &r) in rows.iter().enumerate() {
        if let Some(&ahead) = rows.get(i + PREFETCH_AHEAD) {
            prefetch_row(bins, width, gh, ahead);
        }
        let r = r as usize;
        let pair = gh[r];
        let row = &bins[r * width..(r + 1) * width];
        for (&b, &offset) in row.iter().zip(offsets) {
            out[(offset as usize + b.index()) & mask] += pair;
        }
    }
}

/// Rows ahead whose data is prefetched.
const PREFETCH_AHEAD: usize = 16;

/// Asks the CPU to start loading the cache line of `value`: a hint that
/// changes no result.
#[inline(always)]
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is in x86-64's baseline, and a prefetch neither reads into
    // the program nor faults, whatever the address.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

#[inline(always)]
fn accumulate_rows<B: Bin>(
    bins: &[B],
    width: usize,
    entries: &[(usize, usize)],
    rows: &[u32],
    gh: &[GradSum],
    out: &mut [GradSum],
) {
    for (i, &r) in rows.iter().enumerate() {
        if let Some(&ahead) = rows.get(i + PREFETCH_AHEAD) {
            prefetch_row(bins, width, gh, ahead);
        }
        let r = r as usize;
        let pair = gh[r];
        let row = &bins[r * width..(r + 1) * width];
        for &(f, offset) in entries {
            out[offset + row[f].index()] += pair;
        }
    }
}

/// `a += b`, bin by bin.
pub(crate) fn add(a: &mut [GradSum], b: &[GradSum]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += *y;
    }
}

/// `parent -= child`, bin by bin: the parent's histogram becomes the sibling's.
pub(crate) fn subtract(parent: &mut [GradSum], child: &[GradSum]) {
    for (x, y) in parent.iter_mut().zip(child) {
        *x -= *y;
    }
}

/// The sum over all bins of feature `f`: the node's total (every row has one bin per feature).
pub(crate) fn total(matrix: &BinnedMatrix, hist: &[GradSum], f: usize) -> GradSum {
    let start = matrix.offset(f);
    let end = matrix.offset(f + 1);
    hist[start..end]
        .iter()
        .fold(GradSum::default(), |a, &b| a + b)
}

#[cfg(test)]
mod tests {
    use firnml_udfs::model::FeatureSpec;

    use super::*;
    use crate::ml::dataset::Dataset;

    fn matrix(rows: usize) -> BinnedMatrix {
        let data = Dataset {
            features: vec![FeatureSpec::numeric("a"), FeatureSpec::numeric("b")],
            columns: vec![
                (0..rows).map(|i| (i % 7) as f64).collect(),
                (0..rows)
                    .map(|i| if i % 5 == 0 { f64::NAN } else { (i % 3) as f64 })
                    .collect(),
            ],
            labels: vec![0.0; rows],
        };
        BinnedMatrix::build(&data, 256).expect("bins")
    }

    #[test]
    fn parallel_blocks_sum_to_the_serial_histogram_and_subtraction_is_exact() {
        let rows = 100_000;
        let m = matrix(rows);
        let gh: Vec<GradSum> = (0..rows as i64)
            .map(|i| GradSum {
                g: (i * 7919) % 1001 - 500,
                h: i % 13,
            })
            .collect();
        let all: Vec<u32> = (0..rows as u32).collect();
        let set = FeatureSet::new(&m, &[0, 1]);
        let serial = {
            let mut out = vec![GradSum::default(); capacity(&m)];
            accumulate(&m, &set, &all, &gh, &mut out);
            out
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .expect("pool");
        let parallel = pool.install(|| build(&m, &set, &all, &gh));
        assert_eq!(parallel, serial);
        let expected = gh.iter().fold(GradSum::default(), |a, &b| a + b);
        assert_eq!(total(&m, &serial, 0), expected);
        assert_eq!(total(&m, &serial, 1), expected);

        let (even, odd): (Vec<u32>, Vec<u32>) = all.iter().partition(|&&r| r % 2 == 0);
        let mut parent = serial;
        let small = build(&m, &set, &even, &gh);
        subtract(&mut parent, &small);
        assert_eq!(parent, build(&m, &set, &odd, &gh));
        // Only the chosen features are built (by the kernel for a subset).
        let one = build(&m, &FeatureSet::new(&m, &[1]), &all, &gh);
        assert!(FeatureSet::new(&m, &[1]).all.is_none() && set.all.is_some());
        let mut listed = vec![GradSum::default(); capacity(&m)];
        accumulate_rows(
            match m.bins() {
                Bins::U8(b) => b,
                Bins::U16(_) => panic!("narrow bins"),
            },
            2,
            &set.entries,
            &all,
            &gh,
            &mut listed,
        );
        assert_eq!(listed, build(&m, &set, &all, &gh), "both kernels agree");
        assert_eq!(total(&m, &one, 0), GradSum::default());
        assert_eq!(total(&m, &one, 1), expected);
    }
}
