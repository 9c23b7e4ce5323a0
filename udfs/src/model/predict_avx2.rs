//! The AVX2 path: a chunk's binned rows routed through a tree's top levels
//! 32 rows per 256-bit step, a chunk's eight blocks interleaved (see
//! [`super::predict_binned`] for the layout).
//!
//! AVX2 has no byte permute across 128-bit lanes, so a level's split tests
//! and codes are looked up by in-lane byte shuffles of the level's table
//! (16 entries, broadcast to both lanes; the last level's 32 take two and a
//! blend), and a row's bin is picked among the level's columns by a tree of
//! byte blends on the code's local bits. Unsigned `>=` is `max(bin, t) ==
//! bin`. Leaves are added row by row from the positions reached.

use std::arch::x86_64::*;

use crate::model::predict_binned::{BinnedForest, BinnedTree, CHUNK};

/// Rows per step: one register of byte bins.
const BLOCK: usize = 32;
/// Blocks per chunk, routed together.
const BLOCKS: usize = CHUNK / BLOCK;
/// Most columns a level reads (level 5 has 32 splits).
const MAX_LOCAL: usize = 32;
/// Bins of a column that is not there (never read: column indexes come from
/// the layout, which only names binned columns).
static ZEROS: [u8; CHUNK] = [0; CHUNK];

/// Scores the chunk of `rows` rows from `start` of `columns` (one slice
/// per feature) into `sums`: bins it into `bins` (`forest.columns()` columns
/// of [`CHUNK`] bins), then adds every tree's leaf.
///
/// # Safety
/// The CPU must have AVX2 ([`super::predict_path::PredictPath::Avx2`] available).
#[target_feature(enable = "avx2")]
pub unsafe fn score_chunk(
    forest: &BinnedForest,
    columns: &[&[f64]],
    start: usize,
    rows: usize,
    bins: &mut [u8],
    sums: &mut [f64; CHUNK],
) {
    let missing = forest.bin_chunk(columns, start, rows, bins);
    let bins = &*bins;
    let mut at = [0u8; CHUNK];
    for tree in &forest.trees {
        let positions = if missing {
            route::<true>(tree, bins)
        } else {
            route::<false>(tree, bins)
        };
        for (block, position) in at.chunks_exact_mut(BLOCK).zip(&positions) {
            // SAFETY: `block` holds 32 bytes.
            unsafe { _mm256_storeu_si256(block.as_mut_ptr().cast(), *position) };
        }
        forest.finish(tree, &at, bins, sums);
    }
}

/// The first bin of column `column` in a chunk's bins.
#[inline(always)]
fn column_start(bins: &[u8], column: u16) -> *const u8 {
    let start = usize::from(column) * CHUNK;
    bins.get(start..start + CHUNK).unwrap_or(&ZEROS).as_ptr()
}

/// Each row's position on the last of `tree`'s top levels, eight blocks of 32.
#[inline]
#[target_feature(enable = "avx2")]
fn route<const MISSING: bool>(tree: &BinnedTree, bins: &[u8]) -> [__m256i; BLOCKS] {
    // SAFETY (for the target features): only called from `add_trees`.
    unsafe {
        let mut at = [_mm256_setzero_si256(); BLOCKS];
        for (l, level) in tree.levels.iter().enumerate() {
            let mut columns = [bins.as_ptr(); MAX_LOCAL];
            // Padding slots read the level's first column (never selected).
            let first = column_start(bins, level.columns.first().copied().unwrap_or(0));
            for (j, slot) in columns.iter_mut().enumerate() {
                *slot = level
                    .columns
                    .get(j)
                    .map_or(first, |column| column_start(bins, *column));
            }
            let tests = if MISSING {
                &level.tables.t
            } else {
                &level.tables.t0
            };
            // Each table's first 16 and next 16 entries, in both lanes.
            let half = |table: &[u8; 64], h: usize| {
                _mm256_broadcastsi128_si256(_mm_loadu_si128(table.as_ptr().add(16 * h).cast()))
            };
            let tables = [
                half(tests, 0),
                half(tests, 1),
                half(&level.tables.code, 0),
                half(&level.tables.code, 1),
            ];
            // Level 5 has 32 positions, the others at most 16.
            let wide = l >= 5;
            match level.columns.len() {
                1 => step::<MISSING, 1>(&mut at, &columns, &tables, wide),
                2 => step::<MISSING, 2>(&mut at, &columns, &tables, wide),
                3..=4 => step::<MISSING, 4>(&mut at, &columns, &tables, wide),
                5..=8 => step::<MISSING, 8>(&mut at, &columns, &tables, wide),
                9..=16 => step::<MISSING, 16>(&mut at, &columns, &tables, wide),
                _ => step::<MISSING, 32>(&mut at, &columns, &tables, wide),
            }
        }
        at
    }
}

/// One level's step for every block, picking among `COLUMNS` columns.
/// `tables`: the split tests' and codes' first and second 16 entries.
#[inline]
#[target_feature(enable = "avx2")]
fn step<const MISSING: bool, const COLUMNS: usize>(
    at: &mut [__m256i; BLOCKS],
    columns: &[*const u8; MAX_LOCAL],
    tables: &[__m256i; 4],
    wide: bool,
) {
    // SAFETY (for the target features): only called from `add_trees`. Every
    // pointer in `columns` starts CHUNK readable bytes; block `b` reads bytes
    // `32 * b..32 * b + 32`, `b < 8`.
    unsafe {
        let one = _mm256_set1_epi8(1);
        for (b, position) in at.iter_mut().enumerate() {
            let (test, code) = if wide {
                // Bit 4 of the position (shifted to bit 7) picks the second half.
                let high = _mm256_slli_epi16(*position, 3);
                (
                    _mm256_blendv_epi8(
                        _mm256_shuffle_epi8(tables[0], *position),
                        _mm256_shuffle_epi8(tables[1], *position),
                        high,
                    ),
                    _mm256_blendv_epi8(
                        _mm256_shuffle_epi8(tables[2], *position),
                        _mm256_shuffle_epi8(tables[3], *position),
                        high,
                    ),
                )
            } else {
                (
                    _mm256_shuffle_epi8(tables[0], *position),
                    _mm256_shuffle_epi8(tables[2], *position),
                )
            };
            let mut values = [_mm256_setzero_si256(); MAX_LOCAL];
            for (j, value) in values.iter_mut().enumerate().take(COLUMNS) {
                *value = _mm256_loadu_si256(columns[j].add(b * BLOCK).cast());
            }
            // The local index's bits 0 to 4 are the code's bits 6, 7, 1, 2, 3:
            // shifted to bit 7, where a byte blend reads its selector.
            let mut width = COLUMNS;
            let mut bit = 0;
            while width > 1 {
                let select = match bit {
                    0 => _mm256_slli_epi16(code, 1),
                    1 => code,
                    2 => _mm256_slli_epi16(code, 6),
                    3 => _mm256_slli_epi16(code, 5),
                    _ => _mm256_slli_epi16(code, 4),
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
}
