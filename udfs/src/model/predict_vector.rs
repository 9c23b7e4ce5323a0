//! AVX-512 scoring of shallow trees for [`super::predict::CompactForest`]:
//! eight rows take a level's step together, with every lookup — the split at
//! each row's node, the row's value of the split's feature, the leaf — done
//! inside vector registers, by blends for the first two levels and by
//! permutes below, instead of memory gathers (slower than the scalar path on
//! the AMD cores this was measured on). Four blocks of eight rows go together
//! so their independent steps overlap, and a chunk without missing values
//! skips the missing-value tests.
//!
//! It applies to trees at most [`MAX_DEPTH`] deep (up to 63 splits and 64
//! leaves: eight registers each) over at most [`MAX_WIDTH`] features (a block's
//! values: eight registers). The result is bit for bit the scalar path's: each
//! row adds the tree's leaf value in tree order, and a comparison is the same
//! comparison.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use crate::model::predict::{COLUMN, DEFAULT_LEFT};

/// Deepest tree this path scores.
pub const MAX_DEPTH: u32 = 6;
/// Most features this path scores.
pub const MAX_WIDTH: usize = 8;
/// Rows per block: one 512-bit vector of `f64`.
pub const BLOCK: usize = 8;
/// Blocks routed together, so their independent steps overlap.
const INTERLEAVE: usize = 4;
/// Leaf table entries: 64, eight registers of eight.
const ENTRIES: usize = 64;
/// Where each level's splits start in the split tables: levels 0–3 have a
/// register each, level 4 two, level 5 four, so a level's lookup touches only
/// its own registers and indexes them by the position within the level.
const LEVEL_START: [usize; MAX_DEPTH as usize] = [0, 8, 16, 24, 32, 48];
/// Split table entries.
const SPLIT_ENTRIES: usize = 80;
/// Bit of a feature entry: a missing value goes left.
const MISSING_LEFT: i64 = 1 << 62;

/// Whether this CPU can run the vector path.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// A perfect tree as tables: thresholds and features level by level (see
/// [`LEVEL_START`]; a feature is `column * 8`, so that adding a lane's number
/// indexes a block's values, with [`MISSING_LEFT`]), and its leaves.
#[derive(Debug, Clone)]
#[repr(C, align(64))]
pub struct VectorTree {
    thresholds: [f64; SPLIT_ENTRIES],
    features: [i64; SPLIT_ENTRIES],
    leaves: [f64; ENTRIES],
    depth: u32,
}

impl VectorTree {
    /// The tree with these splits (`2^depth - 1` thresholds and feature words:
    /// column in the low 30 bits, missing-goes-left in bit 31) and `2^depth`
    /// leaves, if it is shallow enough and its columns are below [`MAX_WIDTH`].
    pub fn new(thresholds: &[f64], features: &[u32], leaves: &[f64], depth: u32) -> Option<Self> {
        let inner = (1usize << depth.min(MAX_DEPTH)) - 1;
        if depth > MAX_DEPTH
            || thresholds.len() != inner
            || features.len() != inner
            || leaves.len() != inner + 1
        {
            return None;
        }
        let mut tree = VectorTree {
            thresholds: [0.0; SPLIT_ENTRIES],
            features: [0; SPLIT_ENTRIES],
            leaves: [0.0; ENTRIES],
            depth,
        };
        for (i, (&threshold, &feature)) in thresholds.iter().zip(features).enumerate() {
            let column = (feature & COLUMN) as usize;
            if column >= MAX_WIDTH {
                return None;
            }
            // Position `i` is at level `l` where 2^l - 1 <= i < 2^(l+1) - 1.
            let level = (i + 1).ilog2() as usize;
            let slot = LEVEL_START[level] + i + 1 - (1 << level);
            tree.thresholds[slot] = threshold;
            let missing_left = if feature & DEFAULT_LEFT != 0 {
                MISSING_LEFT
            } else {
                0
            };
            tree.features[slot] = ((column * BLOCK) as i64) | missing_left;
        }
        tree.leaves[..leaves.len()].copy_from_slice(leaves);
        Some(tree)
    }
}

/// Looks up each lane's entry `index` (below `8 * N`) of a table of `N`
/// registers (`N` is 1, 2, 4 or 8).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn lookup<const N: usize>(table: &[__m512d], index: __m512i) -> __m512d {
    // SAFETY (for the target features): only called from `add_tree`, which
    // requires AVX-512 F and DQ.
    unsafe {
        match N {
            1 => _mm512_permutexvar_pd(index, table[0]),
            2 => _mm512_permutex2var_pd(table[0], index, table[1]),
            4 => {
                let low = _mm512_permutex2var_pd(table[0], index, table[1]);
                let high = _mm512_permutex2var_pd(table[2], index, table[3]);
                let upper = _mm512_test_epi64_mask(index, _mm512_set1_epi64(16));
                _mm512_mask_blend_pd(upper, low, high)
            }
            _ => {
                let a = _mm512_permutex2var_pd(table[0], index, table[1]);
                let b = _mm512_permutex2var_pd(table[2], index, table[3]);
                let c = _mm512_permutex2var_pd(table[4], index, table[5]);
                let d = _mm512_permutex2var_pd(table[6], index, table[7]);
                let bit4 = _mm512_test_epi64_mask(index, _mm512_set1_epi64(16));
                let bit5 = _mm512_test_epi64_mask(index, _mm512_set1_epi64(32));
                let ab = _mm512_mask_blend_pd(bit4, a, b);
                let cd = _mm512_mask_blend_pd(bit4, c, d);
                _mm512_mask_blend_pd(bit5, ab, cd)
            }
        }
    }
}

/// The lanes whose `value` is missing, among `goes_right`; none when the
/// chunk has no missing values (`MISSING` false).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn missing_lanes<const MISSING: bool>(value: __m512d, goes_right: __mmask8) -> __mmask8 {
    if MISSING {
        // SAFETY (for the target features): only called from `add_tree`.
        unsafe { _mm512_cmp_pd_mask::<_CMP_UNORD_Q>(value, value) & goes_right }
    } else {
        0
    }
}

/// A split of the first two levels: its column, its threshold in every lane,
/// and which lanes a missing value sends right (all or none).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct TopSplit {
    column: usize,
    threshold: __m512d,
    missing_right: __mmask8,
}

/// Scores `tree` for every row of a chunk and adds the leaf values into
/// `sums`. `x` holds the chunk column by column: `width` (at most
/// [`MAX_WIDTH`]) columns of `rows` values, `rows` a multiple of [`BLOCK`].
///
/// # Safety
/// The CPU must have AVX-512 F and DQ ([`available`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
pub unsafe fn add_tree<const MISSING: bool>(
    tree: &VectorTree,
    x: &[f64],
    rows: usize,
    width: usize,
    sums: &mut [f64],
) {
    assert!(rows.is_multiple_of(BLOCK) && (1..=MAX_WIDTH).contains(&width));
    assert!(x.len() >= width * rows && sums.len() >= rows);
    // SAFETY: `VectorTree` is 64-byte aligned and its tables hold 64 entries each.
    let (thresholds, features, leaves) = unsafe {
        (
            std::slice::from_raw_parts(
                tree.thresholds.as_ptr().cast::<__m512d>(),
                SPLIT_ENTRIES / 8,
            ),
            std::slice::from_raw_parts(tree.features.as_ptr().cast::<__m512d>(), SPLIT_ENTRIES / 8),
            std::slice::from_raw_parts(tree.leaves.as_ptr().cast::<__m512d>(), 8),
        )
    };
    let lanes = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    let one = _mm512_set1_epi64(1);
    let missing_left = _mm512_set1_epi64(MISSING_LEFT);
    // The splits of levels 0 and 1 (positions 0, 1 and 2), unpacked.
    let top = [LEVEL_START[0], LEVEL_START[1], LEVEL_START[1] + 1].map(|slot| TopSplit {
        column: ((tree.features[slot] & (ENTRIES as i64 - 1)) / BLOCK as i64) as usize,
        threshold: _mm512_set1_pd(tree.thresholds[slot]),
        missing_right: if tree.features[slot] & MISSING_LEFT == 0 {
            0xFF
        } else {
            0
        },
    });
    assert!(rows.is_multiple_of(BLOCK * INTERLEAVE));
    for start in (0..rows).step_by(BLOCK * INTERLEAVE) {
        // The blocks' values, a register per column (unused ones zero).
        let mut values = [[_mm512_setzero_pd(); MAX_WIDTH]; INTERLEAVE];
        for (k, block) in values.iter_mut().enumerate() {
            for (f, register) in block.iter_mut().enumerate().take(width) {
                // SAFETY: `f * rows + start + (k + 1) * BLOCK <= width * rows <= x.len()`.
                *register =
                    unsafe { _mm512_loadu_pd(x.as_ptr().add(f * rows + start + k * BLOCK)) };
            }
        }
        let mut at = [_mm512_setzero_si512(); INTERLEAVE];
        // The first two levels have one and two splits, known here: their values
        // are registers of the block, chosen by blends rather than lookups.
        let mut right = [0 as __mmask8; INTERLEAVE];
        for k in 0..INTERLEAVE {
            if tree.depth == 0 {
                break;
            }
            let value = values[k][top[0].column];
            let at_or_above = _mm512_cmp_pd_mask::<_CMP_GE_OQ>(value, top[0].threshold);
            right[k] = at_or_above | missing_lanes::<MISSING>(value, top[0].missing_right);
            at[k] = _mm512_maskz_mov_epi64(right[k], one);
            if tree.depth == 1 {
                continue;
            }
            let went = right[k];
            let value =
                _mm512_mask_blend_pd(went, values[k][top[1].column], values[k][top[2].column]);
            let threshold = _mm512_mask_blend_pd(went, top[1].threshold, top[2].threshold);
            let missing_right = (!went & top[1].missing_right) | (went & top[2].missing_right);
            let at_or_above = _mm512_cmp_pd_mask::<_CMP_GE_OQ>(value, threshold);
            let right = at_or_above | missing_lanes::<MISSING>(value, missing_right);
            let doubled = _mm512_add_epi64(at[k], at[k]);
            at[k] = _mm512_mask_add_epi64(doubled, right, doubled, one);
        }
        for level in 2..tree.depth {
            for k in 0..INTERLEAVE {
                // `at`: each row's position within the level.
                let (threshold, feature) = match level {
                    0..=3 => {
                        let table = &[thresholds[level as usize]];
                        let codes = &[features[level as usize]];
                        (lookup::<1>(table, at[k]), lookup::<1>(codes, at[k]))
                    }
                    4 => (
                        lookup::<2>(&thresholds[4..6], at[k]),
                        lookup::<2>(&features[4..6], at[k]),
                    ),
                    _ => (
                        lookup::<4>(&thresholds[6..10], at[k]),
                        lookup::<4>(&features[6..10], at[k]),
                    ),
                };
                let feature = _mm512_castpd_si512(feature);
                // Permutes read only an index's low bits: the flag in bit 62 is ignored.
                let index = _mm512_add_epi64(feature, lanes);
                let value = match width {
                    1 => lookup::<1>(&values[k], index),
                    2 => lookup::<2>(&values[k], index),
                    3 | 4 => lookup::<4>(&values[k], index),
                    _ => lookup::<8>(&values[k], index),
                };
                let at_or_above = _mm512_cmp_pd_mask::<_CMP_GE_OQ>(value, threshold);
                let right = if MISSING {
                    let goes_left = _mm512_test_epi64_mask(feature, missing_left);
                    at_or_above | missing_lanes::<MISSING>(value, !goes_left)
                } else {
                    at_or_above
                };
                let doubled = _mm512_add_epi64(at[k], at[k]);
                at[k] = _mm512_mask_add_epi64(doubled, right, doubled, one);
            }
        }
        for (k, at) in at.iter().enumerate() {
            let leaf = *at;
            let value = match tree.depth {
                0..=3 => lookup::<1>(leaves, leaf),
                4 => lookup::<2>(leaves, leaf),
                5 => lookup::<4>(leaves, leaf),
                _ => lookup::<8>(leaves, leaf),
            };
            // SAFETY: `start + (k + 1) * BLOCK <= rows <= sums.len()`.
            unsafe {
                let sum = sums.as_mut_ptr().add(start + k * BLOCK);
                _mm512_storeu_pd(sum, _mm512_add_pd(_mm512_loadu_pd(sum), value));
            }
        }
    }
}
