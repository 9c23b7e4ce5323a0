//! Values to bins, for the vector scoring paths' layout
//! ([`super::predict_binned`]): a feature's sorted cuts
//! ([`FeatureCuts`]) and the portable branch-free search that gives a value
//! its bin (the number of cuts it is at or above), eight values side by
//! side; the level-by-level probe table that the vector paths' own searches
//! read; and the dispatch those paths share on a feature's number of search
//! levels.

use super::predict_binned::{CHUNK, MAX_CUTS, MISSING};

/// Most levels of [`FeatureCuts::search`].
pub const SEARCH_LEVELS: usize = 8;
/// Where each level of [`FeatureCuts::search`] starts.
pub const SEARCH_LEVEL_START: [usize; SEARCH_LEVELS + 1] = [0, 8, 16, 24, 32, 48, 80, 144, 272];
/// Length of [`FeatureCuts::search`] (when not empty).
pub const SEARCH_TABLE: usize = SEARCH_LEVEL_START[SEARCH_LEVELS];

/// One feature's cuts.
#[derive(Debug, Clone)]
pub struct FeatureCuts {
    /// The sorted, distinct cuts, padded with NaN (which no value is at or
    /// above) to a power of two longer than the cuts, for a branch-free search.
    pub padded: Vec<f64>,
    /// The same search level by level, for vector searches: the probes of
    /// level `k` (`2^k` of them, from [`SEARCH_LEVEL_START`]`[k]`, padded with
    /// NaN to at least 8), for up to [`SEARCH_LEVELS`] levels (256 padded
    /// cuts), in [`SEARCH_TABLE`] values; empty for more (for the AVX-512
    /// path's search).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub search: Vec<f64>,
    /// Its first column and number of columns (0 when no split uses it).
    pub first_column: usize,
    pub columns: usize,
}

impl FeatureCuts {
    /// A feature's cuts (sorted and distinct), binned from column `first_column`.
    pub fn new(cuts: &[f64], first_column: usize) -> Self {
        let mut padded = cuts.to_vec();
        padded.resize((cuts.len() + 1).next_power_of_two(), f64::NAN);
        Self {
            search: search_levels(&padded),
            padded,
            first_column,
            columns: cuts.len().div_ceil(MAX_CUTS),
        }
    }
}

/// The probes of a search among `padded` cuts level by level: level `k`'s
/// step is `P >> (k + 1)`, and a value whose first `k` steps gave the bits
/// `i` probes `padded[i * 2 * step + step - 1]`.
fn search_levels(padded: &[f64]) -> Vec<f64> {
    let levels = padded.len().trailing_zeros() as usize;
    if levels > SEARCH_LEVELS {
        return Vec::new();
    }
    let mut search = vec![f64::NAN; SEARCH_TABLE];
    for k in 0..levels {
        let step = padded.len() >> (k + 1);
        for i in 0..1usize << k {
            search[SEARCH_LEVEL_START[k] + i] = padded[i * 2 * step + step - 1];
        }
    }
    search
}

/// Number of cuts (padded with NaN to a power of two) that `value` is at or above.
#[inline(always)]
fn search(padded: &[f64], value: f64) -> usize {
    let mut at = 0;
    let mut step = padded.len() / 2;
    while step > 0 {
        let probe = padded.get(at + step - 1).copied().unwrap_or(f64::NAN);
        at += step * usize::from(value >= probe);
        step /= 2;
    }
    at
}

/// Calls `emit(row, bin, missing)` for each of `values`, searching among `P`
/// padded cuts (a power of two) eight values side by side, so that their
/// loads overlap.
#[inline(always)]
fn search_fixed<const P: usize>(
    padded: &[f64; P],
    values: &[f64],
    mut emit: impl FnMut(usize, usize, bool),
) {
    const GROUP: usize = 8;
    let mut groups = values.chunks_exact(GROUP);
    for (g, values) in (&mut groups).enumerate() {
        let mut at = [0usize; GROUP];
        let mut step = P / 2;
        while step > 0 {
            for (at, value) in at.iter_mut().zip(values) {
                // `at + step - 1 < P` (`at` is a sum of larger steps); the mask says so.
                *at += step * usize::from(*value >= padded[(*at + step - 1) & (P - 1)]);
            }
            step /= 2;
        }
        for (i, (at, value)) in at.iter().zip(values).enumerate() {
            emit(g * GROUP + i, *at, value.is_nan());
        }
    }
    let first = values.len() - groups.remainder().len();
    for (i, value) in groups.remainder().iter().enumerate() {
        let mut at = 0;
        let mut step = P / 2;
        while step > 0 {
            at += step * usize::from(*value >= padded[(at + step - 1) & (P - 1)]);
            step /= 2;
        }
        emit(first + i, at, value.is_nan());
    }
}

/// Calls `emit(row, bin, missing)` for each of `values` (see [`search_fixed`]).
#[inline(always)]
fn search_all(padded: &[f64], values: &[f64], mut emit: impl FnMut(usize, usize, bool)) {
    macro_rules! fixed {
        ($($p:literal)*) => {
            $(if let Ok(padded) = <&[f64; $p]>::try_from(padded) {
                return search_fixed(padded, values, emit);
            })*
        };
    }
    fixed!(1 2 4 8 16 32 64 128 256);
    for (row, value) in values.iter().enumerate() {
        emit(row, search(padded, *value), value.is_nan());
    }
}

/// The body of a vector path's `bin_feature(cuts, values, out)`: calls its
/// `bin_levels::<L>(cuts, search, values, out)` for the feature's number of
/// search levels `L` (1 to [`SEARCH_LEVELS`]) when the feature has a search
/// table, else the portable [`bin_feature`].
#[cfg(target_arch = "x86_64")]
macro_rules! bin_by_search_levels {
    ($bin_levels:ident, $cuts:expr, $values:expr, $out:expr) => {{
        let (cuts, values, out) = ($cuts, $values, $out);
        let levels = cuts.padded.len().trailing_zeros() as usize;
        match <&[f64; $crate::model::predict_binning::SEARCH_TABLE]>::try_from(&cuts.search[..]) {
            Ok(search) => match levels {
                1 => $bin_levels::<1>(cuts, search, values, out),
                2 => $bin_levels::<2>(cuts, search, values, out),
                3 => $bin_levels::<3>(cuts, search, values, out),
                4 => $bin_levels::<4>(cuts, search, values, out),
                5 => $bin_levels::<5>(cuts, search, values, out),
                6 => $bin_levels::<6>(cuts, search, values, out),
                7 => $bin_levels::<7>(cuts, search, values, out),
                8 => $bin_levels::<8>(cuts, search, values, out),
                _ => $crate::model::predict_binning::bin_feature(cuts, values, out),
            },
            Err(_) => $crate::model::predict_binning::bin_feature(cuts, values, out),
        }
    }};
}
#[cfg(target_arch = "x86_64")]
pub(crate) use bin_by_search_levels;

/// Bins one feature's values into its columns (`out`: [`CHUNK`] bins per
/// column); returns whether any value is missing.
pub fn bin_feature(cuts: &FeatureCuts, values: &[f64], out: &mut [u8]) -> bool {
    bin_feature_from(cuts, values, 0, out)
}

/// [`bin_feature`] for the rows from `first` (`values` holds theirs).
pub fn bin_feature_from(cuts: &FeatureCuts, values: &[f64], first: usize, out: &mut [u8]) -> bool {
    let mut missing = false;
    if cuts.columns == 1 {
        // At most MAX_CUTS cuts: every bin fits below MISSING.
        search_all(&cuts.padded, values, |row, bin, is_missing| {
            missing |= is_missing;
            if let Some(slot) = out.get_mut(first + row) {
                *slot = if is_missing { MISSING } else { bin as u8 };
            }
        });
    } else {
        search_all(&cuts.padded, values, |row, bin, is_missing| {
            missing |= is_missing;
            for (j, column) in out.chunks_exact_mut(CHUNK).enumerate() {
                if let Some(slot) = column.get_mut(first + row) {
                    *slot = if is_missing {
                        MISSING
                    } else {
                        bin.saturating_sub(j * MAX_CUTS).min(MAX_CUTS) as u8
                    };
                }
            }
        });
    }
    missing
}
