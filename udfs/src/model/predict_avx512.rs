//! The AVX-512 path (F, BW, VBMI): a chunk's rows binned eight values per
//! step, then routed through each tree's top levels 64 rows per 512-bit step,
//! the chunk's four blocks interleaved so that the steps' latencies overlap
//! (see [`super::predict_binned`] for the layout).
//!
//! **Binning.** A branch-free binary search over the feature's padded cuts,
//! eight values per register and four registers side by side; each level's
//! probes are looked up in registers ([`FeatureCuts::search`]): one permute
//! up to 16 probes, permutes of pairs and blends above.
//!
//! **Routing.** A level's step for 64 rows: two byte permutes look up each
//! row's split test and code in the level's tables (64 entries, or 128 by a
//! two-table permute on level 7); the row's bin comes from the level's
//! columns (64 bins each, one register) by two-table byte permutes (bit 6 of
//! the index picks one of two columns) and byte blends on the code's other
//! local bits; one unsigned compare gives the route.
//!
//! **Leaves.** A tree without a bottom looks its leaves up as eight byte
//! planes (one byte permute each, or two and a blend for 256 positions), and
//! three rounds of unpacks build the rows' `f64` leaves in registers; the
//! rows are first permuted so that the unpacks' in-lane order comes out as
//! the rows' order. A deep tree's rows continue in [`BinnedForest::finish`].

use std::arch::x86_64::*;

use crate::model::predict_binned::{
    BinnedForest, BinnedTree, CHUNK, LEVEL_WIDTH, MAX_CUTS, MAX_LOCAL, MISSING,
};
use crate::model::predict_binning::{
    self as binning, FeatureCuts, SEARCH_LEVEL_START, SEARCH_TABLE,
};

/// Searches side by side in the binning (even: results are stored in pairs).
const SEARCHES: usize = 4;
/// Values binned per round.
const ROUND: usize = 8 * SEARCHES;
/// Rows per step: one register of byte bins.
const BLOCK: usize = 64;
/// Blocks per chunk, routed together.
const BLOCKS: usize = CHUNK / BLOCK;

/// Each lane's number.
const LANES: [u8; BLOCK] = {
    let mut lanes = [0u8; BLOCK];
    let mut i = 0;
    while i < BLOCK {
        lanes[i] = i as u8;
        i += 1;
    }
    lanes
};

/// Lane `16 * l + c + t` (`c` even, `t` in 0..2) of the permuted positions
/// takes row `4 * c + 2 * l + t`: after the three unpack rounds, which work
/// within 128-bit lanes, the eight registers of `f64` leaves hold rows
/// `8 * m..8 * m + 8` in order.
const PERMUTE: [u8; BLOCK] = {
    let mut p = [0u8; BLOCK];
    let mut l = 0;
    while l < 4 {
        let mut c = 0;
        while c < 16 {
            p[16 * l + c] = (4 * c + 2 * l) as u8;
            p[16 * l + c + 1] = (4 * c + 2 * l + 1) as u8;
            c += 2;
        }
        l += 1;
    }
    p
};

/// The 64 bytes of `bytes` from `at` (zeros if there are fewer: the callers'
/// ranges are in bounds, so the check folds away).
#[inline]
#[target_feature(enable = "avx512f")]
fn load_bytes(bytes: &[u8], at: usize) -> __m512i {
    match bytes.get(at..at + BLOCK) {
        // SAFETY: `block` holds 64 bytes.
        Some(block) => unsafe { _mm512_loadu_si512(block.as_ptr().cast()) },
        None => _mm512_setzero_si512(),
    }
}

/// The eight values of `values` from `at` (NaN if there are fewer).
#[inline]
#[target_feature(enable = "avx512f")]
fn load_f64s(values: &[f64], at: usize) -> __m512d {
    match values.get(at..at + 8) {
        // SAFETY: `block` holds 8 values.
        Some(block) => unsafe { _mm512_loadu_pd(block.as_ptr()) },
        None => _mm512_set1_pd(f64::NAN),
    }
}

/// Scores the span of `rows` rows (at most [`SPAN`](super::predict_binned::SPAN)) from `start` of
/// `columns` (one slice per feature) into `sums` (which holds the base score;
/// [`SPAN`](super::predict_binned::SPAN) values): bins it into `bins` (`forest.columns()` columns of
/// [`CHUNK`] bins per chunk), then adds every tree's leaf
/// ([`BinnedForest::score_span`]).
///
/// # Safety
/// The CPU must have AVX-512 F, BW and VBMI
/// ([`super::predict_path::PredictPath::Avx512`] available).
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
pub unsafe fn score_span(
    forest: &BinnedForest,
    columns: &[&[f64]],
    start: usize,
    rows: usize,
    bins: &mut [u8],
    sums: &mut [f64],
) {
    let mut at = [0u8; CHUNK];
    forest.score_span(
        columns,
        start..start + rows,
        bins,
        sums,
        |cuts, values, out| bin_feature(cuts, values, out),
        |tree, bins, missing, sums| {
            let positions = if missing {
                route::<true>(tree, bins)
            } else {
                route::<false>(tree, bins)
            };
            if tree.bottom.is_none() && tree.planes.len() >= 8 * tree.plane_len() {
                add_leaves(tree, &positions, sums);
            } else {
                for (block, position) in at.chunks_exact_mut(BLOCK).zip(positions) {
                    // SAFETY: `block` holds 64 bytes.
                    unsafe { _mm512_storeu_si512(block.as_mut_ptr().cast(), position) };
                }
                forest.finish(tree, &at, bins, sums);
            }
        },
    );
}

/// Bins one feature's values into its columns like [`binning::bin_feature`];
/// returns whether any value is missing.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn bin_feature(cuts: &FeatureCuts, values: &[f64], out: &mut [u8]) -> bool {
    binning::bin_by_search_levels!(bin_levels, cuts, values, out)
}

/// [`bin_feature`] for a search of `LEVELS` levels (its table checked).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn bin_levels<const LEVELS: usize>(
    cuts: &FeatureCuts,
    search: &[f64; SEARCH_TABLE],
    values: &[f64],
    out: &mut [u8],
) -> bool {
    // Level k's probes: 8 * max(1, 2^k / 8) values from its start.
    let level = |k: usize, block: usize| load_f64s(search, SEARCH_LEVEL_START[k] + 8 * block);
    let first_probe = _mm512_set1_pd(search[0]);
    let one = _mm512_set1_epi64(1);
    let missing_bin = _mm512_set1_epi64(i64::from(MISSING));
    let zero = _mm512_setzero_si512();
    let max_bin = _mm512_set1_epi64(MAX_CUTS as i64);
    let columns = cuts.columns.min(out.len() / CHUNK);
    let rows = values.len().min(CHUNK);
    let full = rows - rows % ROUND;
    let mut missing = 0u8;
    for first in (0..full).step_by(ROUND) {
        let mut value = [_mm512_setzero_pd(); SEARCHES];
        for (i, value) in value.iter_mut().enumerate() {
            *value = load_f64s(values, first + 8 * i);
        }
        // The bits of the search so far: the probe's index within its level.
        let mut at = [_mm512_setzero_si512(); SEARCHES];
        for k in 0..LEVELS {
            for (at, value) in at.iter_mut().zip(value) {
                let probe = match k {
                    0 => first_probe,
                    1..=3 => _mm512_permutexvar_pd(*at, level(k, 0)),
                    4 => _mm512_permutex2var_pd(level(k, 0), *at, level(k, 1)),
                    _ => {
                        // Pairs of registers by bits 0 to 3, blended by bits 4 up.
                        let mut pairs = [_mm512_setzero_pd(); 8];
                        let count = 1 << (k - 4);
                        for (p, pair) in pairs.iter_mut().enumerate().take(count) {
                            *pair =
                                _mm512_permutex2var_pd(level(k, 2 * p), *at, level(k, 2 * p + 1));
                        }
                        let mut width = count;
                        let mut bit = 16;
                        while width > 1 {
                            let mask = _mm512_test_epi64_mask(*at, _mm512_set1_epi64(bit));
                            for i in 0..width / 2 {
                                pairs[i] =
                                    _mm512_mask_blend_pd(mask, pairs[2 * i], pairs[2 * i + 1]);
                            }
                            width /= 2;
                            bit *= 2;
                        }
                        pairs[0]
                    }
                };
                let at_or_above = _mm512_cmp_pd_mask::<_CMP_GE_OQ>(value, probe);
                let doubled = _mm512_add_epi64(*at, *at);
                *at = _mm512_mask_add_epi64(doubled, at_or_above, doubled, one);
            }
        }
        let mut nan = [0u8; SEARCHES];
        for (nan, value) in nan.iter_mut().zip(value) {
            *nan = _mm512_cmp_pd_mask::<_CMP_UNORD_Q>(value, value);
            missing |= *nan;
        }
        for j in 0..columns {
            let mut bins = [_mm_setzero_si128(); SEARCHES];
            for ((bins, at), nan) in bins.iter_mut().zip(at).zip(nan) {
                // Column j holds the bin less j * MAX_CUTS, within 0..=MAX_CUTS.
                let bin = if columns == 1 {
                    at
                } else {
                    let offset = _mm512_set1_epi64((j * MAX_CUTS) as i64);
                    let shifted = _mm512_max_epi64(_mm512_sub_epi64(at, offset), zero);
                    _mm512_min_epi64(shifted, max_bin)
                };
                *bins = _mm512_cvtepi64_epi8(_mm512_mask_mov_epi64(bin, nan, missing_bin));
            }
            // 16-byte stores: a narrowing store to memory is slow on AMD cores.
            for (i, pair) in bins.chunks_exact(2).enumerate() {
                let at = j * CHUNK + first + 16 * i;
                if let Some(out) = out.get_mut(at..at + 16) {
                    let pair = _mm_unpacklo_epi64(pair[0], pair[1]);
                    // SAFETY: `out` holds 16 bytes.
                    unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), pair) };
                }
            }
        }
    }
    let rest = binning::bin_feature_from(cuts, values.get(full..rows).unwrap_or(&[]), full, out);
    missing != 0 || rest
}

/// Bins of a column that is not there (never read: column indexes come from
/// the layout, which only names binned columns).
static ZEROS: [u8; CHUNK] = [0; CHUNK];

/// The bins of column `column` in a chunk's bins.
#[inline(always)]
fn column(bins: &[u8], column: u16) -> &[u8; CHUNK] {
    let start = usize::from(column) * CHUNK;
    bins.get(start..start + CHUNK)
        .and_then(|c| c.try_into().ok())
        .unwrap_or(&ZEROS)
}

/// Each row's position on the last of `tree`'s top levels, four blocks of 64.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn route<const MISSING: bool>(tree: &BinnedTree, bins: &[u8]) -> [__m512i; BLOCKS] {
    let mut at = [_mm512_setzero_si512(); BLOCKS];
    for (l, level) in tree.levels.iter().enumerate() {
        // The level's columns by local index; padding slots repeat the first
        // (never selected).
        let first = column(bins, level.columns.first().copied().unwrap_or(0));
        let mut columns = [first; MAX_LOCAL];
        for (slot, c) in columns.iter_mut().zip(&level.columns) {
            *slot = column(bins, *c);
        }
        let tests = if MISSING {
            &level.tables.t
        } else {
            &level.tables.t0
        };
        // Each table's 64-entry halves (the second is read by the 128 splits
        // of level 7 only).
        let halves = |table: &[u8; LEVEL_WIDTH]| [load_bytes(table, 0), load_bytes(table, BLOCK)];
        let tables = [halves(tests), halves(&level.tables.code)];
        let wide = (1usize << l) > BLOCK;
        match level.columns.len() {
            1 => step::<MISSING, 0>(&mut at, &columns, tables, wide),
            2 => step::<MISSING, 1>(&mut at, &columns, tables, wide),
            3..=4 => step::<MISSING, 2>(&mut at, &columns, tables, wide),
            5..=8 => step::<MISSING, 4>(&mut at, &columns, tables, wide),
            9..=16 => step::<MISSING, 8>(&mut at, &columns, tables, wide),
            _ => step::<MISSING, 16>(&mut at, &columns, tables, wide),
        }
    }
    at
}

/// One level's step for every block, looking up `PAIRS` pairs of columns (0:
/// the level reads one column, no lookup). `tables`: the split tests' and
/// codes' first and second 64 entries; `wide`: the level has more than 64
/// positions.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn step<const MISSING: bool, const PAIRS: usize>(
    at: &mut [__m512i; BLOCKS],
    columns: &[&[u8; CHUNK]; MAX_LOCAL],
    tables: [[__m512i; 2]; 2],
    wide: bool,
) {
    let lanes = load_bytes(&LANES, 0);
    let one = _mm512_set1_epi8(1);
    let bit6 = _mm512_set1_epi8(0x40);
    for (b, position) in at.iter_mut().enumerate() {
        let lookup = |table: [__m512i; 2]| {
            if wide {
                _mm512_permutex2var_epi8(table[0], *position, table[1])
            } else {
                _mm512_permutexvar_epi8(*position, table[0])
            }
        };
        let test = lookup(tables[0]);
        let code = lookup(tables[1]);
        let load = |j: usize| load_bytes(&columns[j][..], b * BLOCK);
        let mut value = if PAIRS == 0 {
            load(0)
        } else {
            // Bit 6 of the index picks the second column of a pair.
            let index = _mm512_ternarylogic_epi32::<0xF8>(lanes, code, bit6);
            let mut pairs = [_mm512_setzero_si512(); MAX_LOCAL / 2];
            for (i, pair) in pairs.iter_mut().enumerate().take(PAIRS) {
                *pair = _mm512_permutex2var_epi8(load(2 * i), index, load(2 * i + 1));
            }
            // The local index's bits 1 to 4 (code bits 7, 1, 2, 3) pick a pair.
            let mut width = PAIRS;
            let mut bit = 0;
            while width > 1 {
                let mask = match bit {
                    0 => _mm512_movepi8_mask(code),
                    1 => _mm512_test_epi8_mask(code, _mm512_set1_epi8(0x02)),
                    2 => _mm512_test_epi8_mask(code, _mm512_set1_epi8(0x04)),
                    _ => _mm512_test_epi8_mask(code, _mm512_set1_epi8(0x08)),
                };
                for i in 0..width / 2 {
                    pairs[i] = _mm512_mask_blend_epi8(mask, pairs[2 * i], pairs[2 * i + 1]);
                }
                width /= 2;
                bit += 1;
            }
            pairs[0]
        };
        if MISSING {
            value = _mm512_add_epi8(value, _mm512_and_si512(code, one));
        }
        let right = _mm512_cmpge_epu8_mask(value, test);
        let doubled = _mm512_add_epi8(*position, *position);
        *position = _mm512_mask_add_epi8(doubled, right, doubled, one);
    }
}

/// Adds a tree's leaf at each row's position into `sums` (a tree without a
/// bottom, whose planes hold `8 * tree.plane_len()` bytes).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn add_leaves(tree: &BinnedTree, at: &[__m512i; BLOCKS], sums: &mut [f64; CHUNK]) {
    let len = tree.plane_len();
    let permute = load_bytes(&PERMUTE, 0);
    // 64 bytes of plane `p` from position `64 * q`.
    let quarter = |p: usize, q: usize| load_bytes(&tree.planes, p * len + q * BLOCK);
    for (position, sums) in at.iter().zip(sums.chunks_exact_mut(BLOCK)) {
        let position = _mm512_permutexvar_epi8(permute, *position);
        let high = _mm512_movepi8_mask(position);
        let mut p = [_mm512_setzero_si512(); 8];
        for (i, bytes) in p.iter_mut().enumerate() {
            *bytes = match len {
                BLOCK => _mm512_permutexvar_epi8(position, quarter(i, 0)),
                LEVEL_WIDTH => _mm512_permutex2var_epi8(quarter(i, 0), position, quarter(i, 1)),
                _ => _mm512_mask_blend_epi8(
                    high,
                    _mm512_permutex2var_epi8(quarter(i, 0), position, quarter(i, 1)),
                    _mm512_permutex2var_epi8(quarter(i, 2), position, quarter(i, 3)),
                ),
            };
        }
        // Bytes to 16-bit, 32-bit and 64-bit lanes, little endian.
        let words = [
            [
                _mm512_unpacklo_epi8(p[0], p[1]),
                _mm512_unpackhi_epi8(p[0], p[1]),
            ],
            [
                _mm512_unpacklo_epi8(p[2], p[3]),
                _mm512_unpackhi_epi8(p[2], p[3]),
            ],
            [
                _mm512_unpacklo_epi8(p[4], p[5]),
                _mm512_unpackhi_epi8(p[4], p[5]),
            ],
            [
                _mm512_unpacklo_epi8(p[6], p[7]),
                _mm512_unpackhi_epi8(p[6], p[7]),
            ],
        ];
        for x in 0..4 {
            let (h, high) = (x / 2, x % 2 == 1);
            let (low_bytes, high_bytes) = if high {
                (
                    _mm512_unpackhi_epi16(words[0][h], words[1][h]),
                    _mm512_unpackhi_epi16(words[2][h], words[3][h]),
                )
            } else {
                (
                    _mm512_unpacklo_epi16(words[0][h], words[1][h]),
                    _mm512_unpacklo_epi16(words[2][h], words[3][h]),
                )
            };
            let leaves = [
                _mm512_unpacklo_epi32(low_bytes, high_bytes),
                _mm512_unpackhi_epi32(low_bytes, high_bytes),
            ];
            for (s, leaf) in leaves.into_iter().enumerate() {
                let at = 8 * (2 * x + s);
                if let Some(sum) = sums.get_mut(at..at + 8) {
                    let leaf = _mm512_castsi512_pd(leaf);
                    // SAFETY: `sum` holds 8 values.
                    unsafe {
                        let total = _mm512_add_pd(_mm512_loadu_pd(sum.as_ptr()), leaf);
                        _mm512_storeu_pd(sum.as_mut_ptr(), total);
                    }
                }
            }
        }
    }
}
