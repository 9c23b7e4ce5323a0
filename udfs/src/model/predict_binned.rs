//! AVX-512 scoring of shallow trees for [`super::predict::CompactForest`] on
//! binned values: 32 rows take a level's step together in 16-bit lanes.
//!
//! Every threshold the trees split a feature on is one of that feature's
//! sorted, distinct *cuts*; a value's bin is the number of cuts it is at or
//! above (`value >= cut`, the comparison the scalar path makes). A row goes
//! right at a split exactly when its bin is above the split's rank among the
//! cuts, so comparing 16-bit bins gives the scalar path's routes, and the sums
//! are the same bit for bit. A missing value's bin is [`MISSING`].
//!
//! With 16-bit lanes a level's splits fit one register (up to 32), looked up
//! by one permute, and a block's values (32 rows × up to 8 features) fit eight,
//! looked up by four. Gathers from memory would be slower on the AMD cores
//! this was measured on.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use crate::model::predict::{COLUMN, DEFAULT_LEFT};

/// Deepest tree this path scores (its last level of splits has 32).
pub const MAX_DEPTH: u32 = 6;
/// Most features this path scores.
pub const MAX_WIDTH: usize = 8;
/// Rows per block: one 512-bit vector of 16-bit bins.
pub const BLOCK: usize = 32;
/// The bin of a missing value.
const MISSING: u16 = u16::MAX;
/// Most cuts of one feature (so that every bin is below [`MISSING`]).
const MAX_CUTS: usize = MISSING as usize - 1;
/// Bit of a feature code: a missing value goes left.
const MISSING_LEFT: u16 = 0x8000;
/// Leaves per tree: 64, eight registers of `f64`.
const LEAVES: usize = 64;

/// Whether this CPU can run the binned path.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512dq")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// A perfect tree's splits in level order: `2^depth - 1` thresholds and
/// feature words (column in [`COLUMN`], [`DEFAULT_LEFT`]), and `2^depth` leaves.
#[derive(Debug, Clone, Copy)]
pub struct PerfectTree<'a> {
    pub thresholds: &'a [f64],
    pub features: &'a [u32],
    pub leaves: &'a [f64],
    pub depth: u32,
}

/// One tree's tables: per level, the splits' ranks and feature codes
/// (`column * 32`, so that adding a lane's number indexes a block's values,
/// with [`MISSING_LEFT`]), and the leaves.
#[derive(Debug, Clone)]
#[repr(C, align(64))]
struct BinnedTree {
    ranks: [[u16; 32]; MAX_DEPTH as usize],
    features: [[u16; 32]; MAX_DEPTH as usize],
    leaves: [f64; LEAVES],
    depth: u32,
}

/// The cuts of every feature and the tables of the trees this path scores.
#[derive(Debug, Clone)]
pub struct BinnedForest {
    cuts: Vec<Vec<f64>>,
    trees: Vec<Option<BinnedTree>>,
}

impl BinnedForest {
    /// The binned tables of a model's trees over `width` features (`None` for
    /// a tree this path does not score), or `None` if it scores none.
    pub fn new(width: usize, trees: &[Option<PerfectTree<'_>>]) -> Option<Self> {
        if width > MAX_WIDTH {
            return None;
        }
        let eligible = |tree: &&PerfectTree<'_>| {
            tree.depth <= MAX_DEPTH
                && tree
                    .features
                    .iter()
                    .all(|f| ((f & COLUMN) as usize) < width)
        };
        let mut cuts = vec![Vec::new(); width];
        for tree in trees.iter().flatten().filter(eligible) {
            for (threshold, feature) in tree.thresholds.iter().zip(tree.features) {
                cuts[(feature & COLUMN) as usize].push(*threshold);
            }
        }
        for column in &mut cuts {
            column.sort_by(f64::total_cmp);
            // Equal under `>=` is one cut (so -0.0 and 0.0 are one).
            column.dedup_by(|a, b| a == b);
            if column.len() > MAX_CUTS || column.iter().any(|c| c.is_nan()) {
                return None;
            }
        }
        let tables: Vec<Option<BinnedTree>> = trees
            .iter()
            .map(|tree| {
                let tree = tree.as_ref().filter(|t| eligible(t))?;
                let mut table = BinnedTree {
                    ranks: [[0; 32]; MAX_DEPTH as usize],
                    features: [[0; 32]; MAX_DEPTH as usize],
                    leaves: [0.0; LEAVES],
                    depth: tree.depth,
                };
                for (i, (threshold, feature)) in
                    tree.thresholds.iter().zip(tree.features).enumerate()
                {
                    // Position `i` is the `i + 1 - 2^level`-th split of its level.
                    let level = (i + 1).ilog2() as usize;
                    let slot = i + 1 - (1 << level);
                    let column = (feature & COLUMN) as usize;
                    // The cut equal to the threshold: its rank is the number of smaller cuts.
                    let rank = cuts[column].partition_point(|c| c < threshold);
                    table.ranks[level][slot] = rank as u16;
                    let missing_left = if feature & DEFAULT_LEFT != 0 {
                        MISSING_LEFT
                    } else {
                        0
                    };
                    table.features[level][slot] = (column * BLOCK) as u16 | missing_left;
                }
                table.leaves[..tree.leaves.len()].copy_from_slice(tree.leaves);
                Some(table)
            })
            .collect();
        if tables.iter().all(Option::is_none) {
            return None;
        }
        Some(BinnedForest {
            cuts,
            trees: tables,
        })
    }

    /// Whether tree `t` is scored by this path.
    pub fn scores(&self, t: usize) -> bool {
        self.trees.get(t).is_some_and(Option::is_some)
    }

    /// Bins `values` (one feature's values for some rows) into `bins`;
    /// returns whether any was missing.
    pub fn bin(&self, feature: usize, values: &[f64], bins: &mut [u16]) -> bool {
        let cuts = &self.cuts[feature];
        let mut missing = false;
        for (bin, value) in bins.iter_mut().zip(values) {
            *bin = if value.is_nan() {
                missing = true;
                MISSING
            } else {
                cuts.partition_point(|c| *value >= *c) as u16
            };
        }
        missing
    }

    /// Adds tree `t`'s leaf value of every row of a chunk into `sums`. `bins`
    /// holds the chunk column by column: `width` columns of `rows` bins, `rows`
    /// a multiple of [`BLOCK`]. `MISSING` says whether any bin is missing.
    ///
    /// # Safety
    /// The CPU must have AVX-512 F, BW and DQ ([`available`]).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512dq")]
    pub unsafe fn add_tree<const MISSING_BINS: bool>(
        &self,
        t: usize,
        bins: &[u16],
        rows: usize,
        width: usize,
        sums: &mut [f64],
    ) {
        let Some(tree) = self.trees.get(t).and_then(Option::as_ref) else {
            return;
        };
        assert!(rows.is_multiple_of(BLOCK) && (1..=MAX_WIDTH).contains(&width));
        assert!(width == self.cuts.len() && bins.len() >= width * rows && sums.len() >= rows);
        // SAFETY: the tables are 64-byte aligned; a level's 32 codes are one register.
        let (ranks, features, leaves) = unsafe {
            (
                std::slice::from_raw_parts(tree.ranks.as_ptr().cast::<__m512i>(), 6),
                std::slice::from_raw_parts(tree.features.as_ptr().cast::<__m512i>(), 6),
                std::slice::from_raw_parts(tree.leaves.as_ptr().cast::<__m512d>(), 8),
            )
        };
        let lanes = _mm512_set_epi16(
            31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10,
            9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
        );
        let one = _mm512_set1_epi16(1);
        let missing = _mm512_set1_epi16(MISSING as i16);
        let missing_left = _mm512_set1_epi16(MISSING_LEFT as i16);
        for start in (0..rows).step_by(BLOCK) {
            // The block's bins, a register per column (unused ones zero).
            let mut values = [_mm512_setzero_si512(); MAX_WIDTH];
            for (f, register) in values.iter_mut().enumerate().take(width) {
                // SAFETY: `f * rows + start + BLOCK <= width * rows <= bins.len()`.
                *register =
                    unsafe { _mm512_loadu_si512(bins.as_ptr().add(f * rows + start).cast()) };
            }
            let mut at = _mm512_setzero_si512();
            for level in 0..tree.depth as usize {
                // `at`: each row's position within the level (below 32).
                let rank = _mm512_permutexvar_epi16(at, ranks[level]);
                let feature = _mm512_permutexvar_epi16(at, features[level]);
                // The index's flag bit (15) is ignored by the permutes and tests below.
                let index = _mm512_add_epi16(feature, lanes);
                let value = lookup_bins(&values, index, width);
                let mut right = _mm512_cmpgt_epu16_mask(value, rank);
                if MISSING_BINS {
                    let is_missing = _mm512_cmpeq_epi16_mask(value, missing);
                    let goes_left = _mm512_test_epi16_mask(feature, missing_left);
                    right &= !(is_missing & goes_left);
                }
                let doubled = _mm512_add_epi16(at, at);
                at = _mm512_mask_add_epi16(doubled, right, doubled, one);
            }
            // Leaf positions (below 64) to four vectors of eight 64-bit indexes.
            for quarter in 0..4 {
                let positions = match quarter {
                    0 => _mm512_extracti32x4_epi32::<0>(at),
                    1 => _mm512_extracti32x4_epi32::<1>(at),
                    2 => _mm512_extracti32x4_epi32::<2>(at),
                    _ => _mm512_extracti32x4_epi32::<3>(at),
                };
                let leaf = lookup_leaves(leaves, _mm512_cvtepu16_epi64(positions));
                // SAFETY: `start + 8 * (quarter + 1) <= rows <= sums.len()`.
                unsafe {
                    let sum = sums.as_mut_ptr().add(start + 8 * quarter);
                    _mm512_storeu_pd(sum, _mm512_add_pd(_mm512_loadu_pd(sum), leaf));
                }
            }
        }
    }
}

/// Each lane's bin at `index` (column * 32 + lane, below `32 * width`) among a
/// block's registers.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn lookup_bins(values: &[__m512i; MAX_WIDTH], index: __m512i, width: usize) -> __m512i {
    // SAFETY (for the target features): only called from `add_tree`.
    unsafe {
        let low = _mm512_permutex2var_epi16(values[0], index, values[1]);
        if width <= 2 {
            return low;
        }
        let bit6 = _mm512_test_epi16_mask(index, _mm512_set1_epi16(64));
        let high = _mm512_permutex2var_epi16(values[2], index, values[3]);
        let first = _mm512_mask_blend_epi16(bit6, low, high);
        if width <= 4 {
            return first;
        }
        let low = _mm512_permutex2var_epi16(values[4], index, values[5]);
        let high = _mm512_permutex2var_epi16(values[6], index, values[7]);
        let second = _mm512_mask_blend_epi16(bit6, low, high);
        let bit7 = _mm512_test_epi16_mask(index, _mm512_set1_epi16(128));
        _mm512_mask_blend_epi16(bit7, first, second)
    }
}

/// Each lane's leaf at `index` (below 64) among a tree's eight registers.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn lookup_leaves(leaves: &[__m512d], index: __m512i) -> __m512d {
    // SAFETY (for the target features): only called from `add_tree`.
    unsafe {
        let a = _mm512_permutex2var_pd(leaves[0], index, leaves[1]);
        let b = _mm512_permutex2var_pd(leaves[2], index, leaves[3]);
        let c = _mm512_permutex2var_pd(leaves[4], index, leaves[5]);
        let d = _mm512_permutex2var_pd(leaves[6], index, leaves[7]);
        let bit4 = _mm512_test_epi64_mask(index, _mm512_set1_epi64(16));
        let bit5 = _mm512_test_epi64_mask(index, _mm512_set1_epi64(32));
        let ab = _mm512_mask_blend_pd(bit4, a, b);
        let cd = _mm512_mask_blend_pd(bit4, c, d);
        _mm512_mask_blend_pd(bit5, ab, cd)
    }
}
