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

use crate::model::predict_binned::{BinnedForest, BinnedTree, CHUNK};

/// Rows per step: one register of byte bins.
const BLOCK: usize = 64;
/// Blocks per chunk, routed together.
const BLOCKS: usize = CHUNK / BLOCK;
/// Most columns a level reads (level 5 has 32 splits).
const MAX_LOCAL: usize = 32;
/// Bins of a column that is not there (never read: column indexes come from
/// the layout, which only names binned columns).
static ZEROS: [u8; CHUNK] = [0; CHUNK];

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

/// Adds every tree's leaf of each row of a chunk into `sums`: `bins` holds
/// the chunk binned (`forest.columns()` columns of [`CHUNK`] bins), `missing`
/// whether any bin is missing.
///
/// # Safety
/// The CPU must have AVX-512 F, BW and VBMI
/// ([`super::predict_path::PredictPath::Avx512`] available).
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
pub unsafe fn add_trees(
    forest: &BinnedForest,
    bins: &[u8],
    missing: bool,
    sums: &mut [f64; CHUNK],
) {
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

/// The first bin of column `column` in a chunk's bins.
#[inline(always)]
fn column_start(bins: &[u8], column: u16) -> *const u8 {
    let start = usize::from(column) * CHUNK;
    bins.get(start..start + CHUNK).unwrap_or(&ZEROS).as_ptr()
}

/// Each row's position on the last of `tree`'s top levels, four blocks of 64.
#[inline(always)]
fn route<const MISSING: bool>(tree: &BinnedTree, bins: &[u8]) -> [__m512i; BLOCKS] {
    // SAFETY (for the target features): only called from `add_trees`.
    unsafe {
        let lanes = _mm512_loadu_si512(
            std::array::from_fn::<u8, BLOCK, _>(|i| i as u8)
                .as_ptr()
                .cast(),
        );
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
#[inline(always)]
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
#[inline(always)]
fn add_leaves(tree: &BinnedTree, at: &[__m512i; BLOCKS], sums: &mut [f64; CHUNK]) {
    // SAFETY (for the target features): only called from `add_trees`; block `b`
    // writes `sums[64 * b..64 * b + 64]`, `b < 4`.
    unsafe {
        let permute = _mm512_loadu_si512(PERMUTE.as_ptr().cast());
        let planes: [__m512i; 8] =
            std::array::from_fn(|i| _mm512_load_si512(tree.planes.0[i].as_ptr().cast()));
        for (b, position) in at.iter().enumerate() {
            let position = _mm512_permutexvar_epi8(permute, *position);
            let p: [__m512i; 8] =
                std::array::from_fn(|i| _mm512_permutexvar_epi8(position, planes[i]));
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
