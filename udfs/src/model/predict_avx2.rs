//! The AVX2 path: a chunk's binned rows routed through each tree's top
//! levels 32 rows per 256-bit step, the chunk's eight blocks interleaved so
//! that the steps' latencies overlap (see [`super::predict_binned`] for the
//! layout; values are binned by the portable search).
//!
//! AVX2 has no byte permute across 128-bit lanes, so a level's split tests
//! and codes are looked up by in-lane byte shuffles of 16-entry pieces of the
//! level's tables (broadcast to both lanes; levels with more positions take
//! one shuffle per piece and a tree of blends on the position's bits 4 to 6),
//! and a row's bin is picked among the level's columns by a tree of byte
//! blends on the code's local bits. Unsigned `>=` is `max(bin, t) == bin`.
//! Leaves are added row by row from the positions reached
//! ([`BinnedForest::finish`]).

use std::arch::x86_64::*;

use crate::model::predict_binned::{
    self as binned, BinnedForest, BinnedTree, CHUNK, LEVEL_WIDTH, MAX_LOCAL,
};

/// Rows per step: one register of byte bins.
const BLOCK: usize = 32;
/// Blocks per chunk, routed together.
const BLOCKS: usize = CHUNK / BLOCK;
/// Entries of a table piece: one in-lane shuffle.
const PIECE: usize = 16;
/// Bins of a column that is not there (never read: column indexes come from
/// the layout, which only names binned columns).
static ZEROS: [u8; CHUNK] = [0; CHUNK];

/// The 32 bytes of `bytes` from `at` (zeros if there are fewer: the callers'
/// ranges are in bounds, so the check folds away).
#[inline]
#[target_feature(enable = "avx2")]
fn load_bytes(bytes: &[u8], at: usize) -> __m256i {
    match bytes.get(at..at + BLOCK) {
        // SAFETY: `block` holds 32 bytes.
        Some(block) => unsafe { _mm256_loadu_si256(block.as_ptr().cast()) },
        None => _mm256_setzero_si256(),
    }
}

/// The 16 bytes of `bytes` from `at`, in both 128-bit lanes (zeros if there
/// are fewer).
#[inline]
#[target_feature(enable = "avx2")]
fn load_piece(bytes: &[u8], at: usize) -> __m256i {
    match bytes.get(at..at + PIECE) {
        // SAFETY: `piece` holds 16 bytes.
        Some(piece) => unsafe {
            _mm256_broadcastsi128_si256(_mm_loadu_si128(piece.as_ptr().cast()))
        },
        None => _mm256_setzero_si256(),
    }
}

/// Scores the span of `rows` rows (at most [`binned::SPAN`]) from `start` of
/// `columns` (one slice per feature) into `sums` (which holds the base score;
/// [`binned::SPAN`] values): bins it into `bins` (`forest.columns()` columns of
/// [`CHUNK`] bins per chunk), then adds every tree's leaf
/// ([`BinnedForest::score_span`]).
///
/// # Safety
/// The CPU must have AVX2 ([`super::predict_path::PredictPath::Avx2`] available).
#[target_feature(enable = "avx2")]
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
        binned::bin_feature,
        |tree, bins, missing, sums| {
            let positions = if missing {
                route::<true>(tree, bins)
            } else {
                route::<false>(tree, bins)
            };
            for (block, position) in at.chunks_exact_mut(BLOCK).zip(positions) {
                // SAFETY: `block` holds 32 bytes.
                unsafe { _mm256_storeu_si256(block.as_mut_ptr().cast(), position) };
            }
            forest.finish(tree, &at, bins, sums);
        },
    );
}

/// The bins of column `column` in a chunk's bins.
#[inline(always)]
fn column(bins: &[u8], column: u16) -> &[u8; CHUNK] {
    let start = usize::from(column) * CHUNK;
    bins.get(start..start + CHUNK)
        .and_then(|c| c.try_into().ok())
        .unwrap_or(&ZEROS)
}

/// Each row's position on the last of `tree`'s top levels, eight blocks of 32.
#[inline]
#[target_feature(enable = "avx2")]
fn route<const MISSING: bool>(tree: &BinnedTree, bins: &[u8]) -> [__m256i; BLOCKS] {
    let mut at = [_mm256_setzero_si256(); BLOCKS];
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
        // Level l has 2^l positions: one piece per 16.
        let pieces = (1usize << l).div_ceil(PIECE);
        let tables = [tests, &level.tables.code];
        match level.columns.len() {
            1 => step::<MISSING, 1>(&mut at, &columns, tables, pieces),
            2 => step::<MISSING, 2>(&mut at, &columns, tables, pieces),
            3..=4 => step::<MISSING, 4>(&mut at, &columns, tables, pieces),
            5..=8 => step::<MISSING, 8>(&mut at, &columns, tables, pieces),
            9..=16 => step::<MISSING, 16>(&mut at, &columns, tables, pieces),
            _ => step::<MISSING, 32>(&mut at, &columns, tables, pieces),
        }
    }
    at
}

/// One level's step for every block, picking among `COLUMNS` columns.
/// `tables`: the split tests and the codes; `pieces`: their 16-entry pieces
/// in use (1, 2, 4 or 8).
#[inline]
#[target_feature(enable = "avx2")]
fn step<const MISSING: bool, const COLUMNS: usize>(
    at: &mut [__m256i; BLOCKS],
    columns: &[&[u8; CHUNK]; MAX_LOCAL],
    tables: [&[u8; LEVEL_WIDTH]; 2],
    pieces: usize,
) {
    let one = _mm256_set1_epi8(1);
    let pieces = pieces.clamp(1, LEVEL_WIDTH / PIECE);
    for (b, position) in at.iter_mut().enumerate() {
        // Each piece looked up by the position's low four bits (a position is
        // below 128, so a shuffle never zeroes it), then a tree of blends on
        // its bits 4 to 6, shifted to bit 7 where a blend reads its selector.
        let lookup = |table: &[u8; LEVEL_WIDTH]| {
            let mut found = [_mm256_setzero_si256(); LEVEL_WIDTH / PIECE];
            for (i, found) in found.iter_mut().enumerate().take(pieces) {
                *found = _mm256_shuffle_epi8(load_piece(table, PIECE * i), *position);
            }
            let mut width = pieces;
            let mut bit = 0;
            while width > 1 {
                let select = match bit {
                    0 => _mm256_slli_epi16::<3>(*position),
                    1 => _mm256_slli_epi16::<2>(*position),
                    _ => _mm256_slli_epi16::<1>(*position),
                };
                for i in 0..width / 2 {
                    found[i] = _mm256_blendv_epi8(found[2 * i], found[2 * i + 1], select);
                }
                width /= 2;
                bit += 1;
            }
            found[0]
        };
        let test = lookup(tables[0]);
        let code = lookup(tables[1]);
        let mut values = [_mm256_setzero_si256(); MAX_LOCAL];
        for (value, column) in values.iter_mut().zip(columns).take(COLUMNS) {
            *value = load_bytes(&column[..], b * BLOCK);
        }
        // The local index's bits 0 to 4 are the code's bits 6, 7, 1, 2, 3:
        // shifted to bit 7, where a byte blend reads its selector.
        let mut width = COLUMNS;
        let mut bit = 0;
        while width > 1 {
            let select = match bit {
                0 => _mm256_slli_epi16::<1>(code),
                1 => code,
                2 => _mm256_slli_epi16::<6>(code),
                3 => _mm256_slli_epi16::<5>(code),
                _ => _mm256_slli_epi16::<4>(code),
            };
            for i in 0..width / 2 {
                values[i] = _mm256_blendv_epi8(values[2 * i], values[2 * i + 1], select);
            }
            width /= 2;
            bit += 1;
        }
        let mut value = values[0];
        if MISSING {
            value = _mm256_add_epi8(value, _mm256_and_si256(code, one));
        }
        // All ones where the row goes right (value >= test, unsigned).
        let right = _mm256_cmpeq_epi8(_mm256_max_epu8(value, test), value);
        *position = _mm256_sub_epi8(_mm256_add_epi8(*position, *position), right);
    }
}
