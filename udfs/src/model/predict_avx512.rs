//! The AVX-512 path (F, BW, VBMI): a chunk's binned rows routed through a
//! tree's top levels 64 rows per 512-bit step, four blocks interleaved so
//! that the steps' latencies overlap (see [`super::predict_binned`] for the
//! layout).
//!
//! A level's step for 64 rows: two byte permutes look up each row's split
//! test and code in the level's 64-byte tables; the row's bin comes from the
//! level's columns (64 bins each, one register) by two-table byte permutes
//! (bit 6 of the index picks one of two columns) and byte blends (by the
//! code's other local bits); one unsigned compare gives the route. A shallow
//! tree's leaves are then eight byte permutes of its leaf planes and three
//! rounds of unpacks, which build the rows' `f64` leaves in registers; the
//! rows are first permuted so that the unpacks' in-lane order comes out as the
//! rows' order.

use std::arch::x86_64::*;

use crate::model::predict_binned::{
    self as binned, BinnedForest, BinnedTree, CHUNK, FeatureCuts, MISSING, SEARCH_LEVEL_START,
};

/// Searches side by side in the binning (even).
const SEARCHES: usize = 4;
/// First search level whose probes are gathered from memory.
const GATHER_FROM: usize = 9;
/// Rows per step: one register of byte bins.
const BLOCK: usize = 64;
/// Blocks per chunk, routed together.
const BLOCKS: usize = CHUNK / BLOCK;
/// Most columns a level reads (level 5 has 32 splits).
const MAX_LOCAL: usize = 32;
/// Bins of a column that is not there (never read: column indexes come from
/// the layout, which only names binned columns).
static ZEROS: [u8; CHUNK] = [0; CHUNK];

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

/// Scores the chunk of `rows` rows from `start` of `columns` (one slice
/// per feature) into `sums`: bins it into `bins` (`forest.columns()` columns
/// of [`CHUNK`] bins), then adds every tree's leaf.
///
/// # Safety
/// The CPU must have AVX-512 F, BW and VBMI
/// ([`super::predict_path::PredictPath::Avx512`] available).
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
pub unsafe fn score_chunk(
    forest: &BinnedForest,
    columns: &[&[f64]],
    start: usize,
    rows: usize,
    bins: &mut [u8],
    sums: &mut [f64; CHUNK],
) {
    let missing = forest.bin_chunk_with(columns, start, rows, bins, |cuts, values, out| {
        bin_column(cuts, values, out)
    });
    let mut at = [0u8; CHUNK];
    for tree in &forest.trees {
        let positions = if missing {
            route::<true>(tree, bins)
        } else {
            route::<false>(tree, bins)
        };
        if tree.bottom.is_none() {
            add_leaves(tree, &positions, sums);
        } else {
            for (block, position) in at.chunks_exact_mut(BLOCK).zip(&positions) {
                // SAFETY: `block` holds 64 bytes.
                unsafe { _mm512_storeu_si512(block.as_mut_ptr().cast(), *position) };
            }
            forest.finish(tree, &at, bins, sums);
        }
    }
}

/// Bins one column's values, eight at a time: a branch-free binary search
/// whose probes come from registers (see [`FeatureCuts::search`]); returns
/// whether any value is missing.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
pub fn bin_column(cuts: &FeatureCuts, values: &[f64], out: &mut [u8]) -> bool {
    let levels = cuts.padded.len().trailing_zeros() as usize;
    if cuts.search.len() < SEARCH_LEVEL_START[levels.min(binned::SEARCH_LEVELS)]
        || levels > binned::SEARCH_LEVELS
    {
        return binned::bin_column(&cuts.padded, values, out);
    }
    match levels {
        1 => bin_levels::<1>(cuts, values, out),
        2 => bin_levels::<2>(cuts, values, out),
        3 => bin_levels::<3>(cuts, values, out),
        4 => bin_levels::<4>(cuts, values, out),
        5 => bin_levels::<5>(cuts, values, out),
        6 => bin_levels::<6>(cuts, values, out),
        7 => bin_levels::<7>(cuts, values, out),
        _ => bin_levels::<8>(cuts, values, out),
    }
}

/// [`bin_column`] for a search of `LEVELS` levels.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn bin_levels<const LEVELS: usize>(cuts: &FeatureCuts, values: &[f64], out: &mut [u8]) -> bool {
    // SAFETY (for the target features): only called from `score_chunk`. The
    // search table holds SEARCH_LEVEL_START[LEVELS] values (checked by the
    // caller): level k reads 8 * max(1, 2^k / 8) of them from its start.
    unsafe {
        let table = cuts.search.as_ptr();
        let level =
            |k: usize, block: usize| _mm512_loadu_pd(table.add(SEARCH_LEVEL_START[k] + 8 * block));
        let one = _mm512_set1_epi64(1);
        let missing_bin = _mm512_set1_epi64(i64::from(MISSING));
        let rows = values.len().min(out.len());
        let (values, out) = (&values[..rows], &mut out[..rows]);
        let mut missing = 0u16;
        // Sixteen values a round: two searches side by side, and one 16-byte
        // store (a narrowing store to memory is slow on AMD cores).
        let mut value_groups = values.chunks_exact(8 * SEARCHES);
        let mut out_groups = out.chunks_exact_mut(8 * SEARCHES);
        for (values, out) in (&mut value_groups).zip(&mut out_groups) {
            let mut value = [_mm512_setzero_pd(); SEARCHES];
            for (i, value) in value.iter_mut().enumerate() {
                *value = _mm512_loadu_pd(values.as_ptr().add(8 * i));
            }
            // The bits of the search so far: the probe's index within its level.
            let mut at = [_mm512_setzero_si512(); SEARCHES];
            for k in 0..LEVELS {
                for (at, value) in at.iter_mut().zip(value) {
                    let probe = match k {
                        0 => _mm512_set1_pd(*table),
                        1..=3 => _mm512_permutexvar_pd(*at, level(k, 0)),
                        4 => _mm512_permutex2var_pd(level(k, 0), *at, level(k, 1)),
                        _ if k >= GATHER_FROM => {
                            _mm512_i64gather_pd::<8>(*at, table.add(SEARCH_LEVEL_START[k]).cast())
                        }
                        _ => {
                            // Pairs of registers by bits 0 to 3, blended by bits 4 up.
                            let mut pairs = [_mm512_setzero_pd(); 8];
                            let count = 1 << (k - 4);
                            for (p, pair) in pairs.iter_mut().enumerate().take(count) {
                                *pair = _mm512_permutex2var_pd(
                                    level(k, 2 * p),
                                    *at,
                                    level(k, 2 * p + 1),
                                );
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
            let mut bins = [_mm_setzero_si128(); SEARCHES];
            for ((bins, at), value) in bins.iter_mut().zip(at).zip(value) {
                let nan = _mm512_cmp_pd_mask::<_CMP_UNORD_Q>(value, value);
                missing |= u16::from(nan);
                *bins = _mm512_cvtepi64_epi8(_mm512_mask_mov_epi64(at, nan, missing_bin));
            }
            for (i, pair) in bins.chunks_exact(2).enumerate() {
                let pair = _mm_unpacklo_epi64(pair[0], pair[1]);
                _mm_storeu_si128(out.as_mut_ptr().add(16 * i).cast(), pair);
            }
        }
        let rest = binned::bin_column(
            &cuts.padded,
            value_groups.remainder(),
            out_groups.into_remainder(),
        );
        missing != 0 || rest
    }
}

/// The first bin of column `column` in a chunk's bins.
#[inline(always)]
fn column_start(bins: &[u8], column: u16) -> *const u8 {
    let start = usize::from(column) * CHUNK;
    bins.get(start..start + CHUNK).unwrap_or(&ZEROS).as_ptr()
}

/// Each row's position on the last of `tree`'s top levels, four blocks of 64.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn route<const MISSING: bool>(tree: &BinnedTree, bins: &[u8]) -> [__m512i; BLOCKS] {
    // SAFETY (for the target features): only called from `add_trees`.
    unsafe {
        let lanes = _mm512_loadu_si512(LANES.as_ptr().cast());
        let one = _mm512_set1_epi8(1);
        let bit6 = _mm512_set1_epi8(0x40);
        let mut at = [_mm512_setzero_si512(); BLOCKS];
        for level in &tree.levels {
            let mut columns = [bins.as_ptr(); MAX_LOCAL];
            for (slot, column) in columns.iter_mut().zip(&level.columns) {
                *slot = column_start(bins, *column);
            }
            // Padding slots read column 0 (never selected).
            for slot in columns.iter_mut().skip(level.columns.len()) {
                *slot = column_start(bins, level.columns.first().copied().unwrap_or(0));
            }
            let tests = if MISSING {
                _mm512_load_si512(level.tables.t.as_ptr().cast())
            } else {
                _mm512_load_si512(level.tables.t0.as_ptr().cast())
            };
            let codes = _mm512_load_si512(level.tables.code.as_ptr().cast());
            match level.columns.len() {
                1 => step::<MISSING, 0>(&mut at, &columns, tests, codes, lanes, one, bit6),
                2 => step::<MISSING, 1>(&mut at, &columns, tests, codes, lanes, one, bit6),
                3..=4 => step::<MISSING, 2>(&mut at, &columns, tests, codes, lanes, one, bit6),
                5..=8 => step::<MISSING, 4>(&mut at, &columns, tests, codes, lanes, one, bit6),
                9..=16 => step::<MISSING, 8>(&mut at, &columns, tests, codes, lanes, one, bit6),
                _ => step::<MISSING, 16>(&mut at, &columns, tests, codes, lanes, one, bit6),
            }
        }
        at
    }
}

/// One level's step for every block. `PAIRS` columns pairs are looked up
/// (0: the level reads one column, no lookup).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
#[allow(clippy::too_many_arguments)]
fn step<const MISSING: bool, const PAIRS: usize>(
    at: &mut [__m512i; BLOCKS],
    columns: &[*const u8; MAX_LOCAL],
    tests: __m512i,
    codes: __m512i,
    lanes: __m512i,
    one: __m512i,
    bit6: __m512i,
) {
    // SAFETY (for the target features): only called from `add_trees`. Every
    // pointer in `columns` starts CHUNK readable bytes; block `b` reads bytes
    // `64 * b..64 * b + 64`, `b < 4`.
    unsafe {
        for (b, position) in at.iter_mut().enumerate() {
            let code = _mm512_permutexvar_epi8(*position, codes);
            let test = _mm512_permutexvar_epi8(*position, tests);
            let load = |j: usize| _mm512_loadu_si512(columns[j].add(b * BLOCK).cast());
            let mut value = if PAIRS == 0 {
                load(0)
            } else {
                // Bit 6 of the index picks the second column of a pair.
                let index = _mm512_ternarylogic_epi32::<0xF8>(lanes, code, bit6);
                let mut pairs = [_mm512_setzero_si512(); 16];
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
}

/// Adds a shallow tree's leaf at each row's position into `sums`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn add_leaves(tree: &BinnedTree, at: &[__m512i; BLOCKS], sums: &mut [f64; CHUNK]) {
    // SAFETY (for the target features): only called from `add_trees`; block `b`
    // writes `sums[64 * b..64 * b + 64]`, `b < 4`.
    unsafe {
        let permute = _mm512_loadu_si512(PERMUTE.as_ptr().cast());
        let mut planes = [_mm512_setzero_si512(); 8];
        for (register, plane) in planes.iter_mut().zip(&tree.planes.0) {
            *register = _mm512_load_si512(plane.as_ptr().cast());
        }
        for (b, position) in at.iter().enumerate() {
            let position = _mm512_permutexvar_epi8(permute, *position);
            let mut p = [_mm512_setzero_si512(); 8];
            for (bytes, plane) in p.iter_mut().zip(planes) {
                *bytes = _mm512_permutexvar_epi8(position, plane);
            }
            let w01 = [
                _mm512_unpacklo_epi8(p[0], p[1]),
                _mm512_unpackhi_epi8(p[0], p[1]),
            ];
            let w23 = [
                _mm512_unpacklo_epi8(p[2], p[3]),
                _mm512_unpackhi_epi8(p[2], p[3]),
            ];
            let w45 = [
                _mm512_unpacklo_epi8(p[4], p[5]),
                _mm512_unpackhi_epi8(p[4], p[5]),
            ];
            let w67 = [
                _mm512_unpacklo_epi8(p[6], p[7]),
                _mm512_unpackhi_epi8(p[6], p[7]),
            ];
            for x in 0..4 {
                let (h, high) = (x / 2, x % 2 == 1);
                let (low_bytes, high_bytes) = if high {
                    (
                        _mm512_unpackhi_epi16(w01[h], w23[h]),
                        _mm512_unpackhi_epi16(w45[h], w67[h]),
                    )
                } else {
                    (
                        _mm512_unpacklo_epi16(w01[h], w23[h]),
                        _mm512_unpacklo_epi16(w45[h], w67[h]),
                    )
                };
                let leaves = [
                    _mm512_unpacklo_epi32(low_bytes, high_bytes),
                    _mm512_unpackhi_epi32(low_bytes, high_bytes),
                ];
                for (s, leaf) in leaves.into_iter().enumerate() {
                    let sum = sums.as_mut_ptr().add(b * BLOCK + 8 * (2 * x + s));
                    let leaf = _mm512_castsi512_pd(leaf);
                    _mm512_storeu_pd(sum, _mm512_add_pd(_mm512_loadu_pd(sum), leaf));
                }
            }
        }
    }
}
