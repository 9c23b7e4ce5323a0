//! The NEON path (aarch64): a chunk's binned rows routed through each
//! tree's top levels 16 rows per 128-bit step, four blocks interleaved so that
//! the steps' latencies overlap (see [`super::predict_binned`] for the layout;
//! values are binned by the portable search, [`super::predict_binning`]).
//!
//! NEON's table lookups take up to four registers (64 bytes): a level's split
//! tests and codes are one lookup each (level 7's 128 entries a lookup and an
//! extending lookup), and a row's bin one lookup among four of the level's
//! columns (index `code & 0x30 | lane`: the local index's two low bits, copied
//! at bits 4 and 5 of the code, pick the column), with bit selects by the
//! code's other local bits among groups of four. Leaves are added row by row
//! from the positions reached ([`BinnedForest::finish`]).
//!
//! Checked here without an aarch64 machine: `cargo check -p firnml-udfs
//! --target aarch64-unknown-linux-gnu` (CI), and the unit tests under
//! qemu-user (see `benches/RESULTS.md`, "Scoring on every CPU family"):
//! ```text
//! apt-get install qemu-user gcc-aarch64-linux-gnu
//! CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
//! CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu" \
//!   cargo test -p firnml-udfs --target aarch64-unknown-linux-gnu -- model::predict
//! ```

use std::arch::aarch64::*;

use crate::model::predict_binned::{BinnedForest, BinnedTree, CHUNK, LEVEL_WIDTH, MAX_LOCAL};

/// Rows per step: one register of byte bins.
const BLOCK: usize = 16;
/// Blocks routed together.
const GROUP: usize = 4;
/// Bins of a column that is not there (never read: column indexes come from
/// the layout, which only names binned columns).
static ZEROS: [u8; CHUNK] = [0; CHUNK];
/// Each lane's number.
const LANES: [u8; BLOCK] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// The 16 bytes of `bytes` from `at` (zeros if there are fewer: the callers'
/// ranges are in bounds, so the check folds away).
#[inline]
#[target_feature(enable = "neon")]
fn load_bytes(bytes: &[u8], at: usize) -> uint8x16_t {
    match bytes.get(at..at + BLOCK) {
        // SAFETY: `block` holds 16 bytes.
        Some(block) => unsafe { vld1q_u8(block.as_ptr()) },
        None => vdupq_n_u8(0),
    }
}

/// Scores the span of `rows` rows (at most [`SPAN`](super::predict_binned::SPAN)) from `start` of
/// `columns` (one slice per feature) into `sums` (which holds the base score;
/// [`SPAN`](super::predict_binned::SPAN) values): bins it into `bins` (`forest.columns()` columns of
/// [`CHUNK`] bins per chunk), then adds every tree's leaf
/// ([`BinnedForest::score_span`]).
///
/// # Safety
/// The CPU must have NEON ([`super::predict_path::PredictPath::Neon`] available).
#[target_feature(enable = "neon")]
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
        crate::model::predict_binning::bin_feature,
        |tree, bins, missing, sums| {
            for (group, out) in at.chunks_exact_mut(GROUP * BLOCK).enumerate() {
                let positions = if missing {
                    route::<true>(tree, bins, group * GROUP * BLOCK)
                } else {
                    route::<false>(tree, bins, group * GROUP * BLOCK)
                };
                for (block, position) in out.chunks_exact_mut(BLOCK).zip(positions) {
                    // SAFETY: `block` holds 16 bytes.
                    unsafe { vst1q_u8(block.as_mut_ptr(), position) };
                }
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

/// The position on the last of `tree`'s top levels of the [`GROUP`] blocks
/// of rows from `first`.
#[inline]
#[target_feature(enable = "neon")]
fn route<const MISSING: bool>(tree: &BinnedTree, bins: &[u8], first: usize) -> [uint8x16_t; GROUP] {
    let one = vdupq_n_u8(1);
    let low_bits = vdupq_n_u8(0x30);
    let sixty_four = vdupq_n_u8(64);
    let lanes = load_bytes(&LANES, 0);
    let mut at = [vdupq_n_u8(0); GROUP];
    for (l, level) in tree.levels.iter().enumerate() {
        // The level's columns by local index; padding slots repeat the first
        // (never selected).
        let first_column = column(bins, level.columns.first().copied().unwrap_or(0));
        let mut columns = [first_column; MAX_LOCAL];
        for (slot, c) in columns.iter_mut().zip(&level.columns) {
            *slot = column(bins, *c);
        }
        // A table's 64-entry halves (the second is read by the 128 splits of
        // level 7 only).
        let halves = |bytes: &[u8; LEVEL_WIDTH]| {
            let quarter = |q: usize| load_bytes(bytes, BLOCK * q);
            [
                uint8x16x4_t(quarter(0), quarter(1), quarter(2), quarter(3)),
                uint8x16x4_t(quarter(4), quarter(5), quarter(6), quarter(7)),
            ]
        };
        let tests = halves(if MISSING {
            &level.tables.t
        } else {
            &level.tables.t0
        });
        let codes = halves(&level.tables.code);
        let wide = (1usize << l) > 64;
        // Groups of four columns.
        let groups = level.columns.len().div_ceil(4).min(MAX_LOCAL / 4);
        for (b, position) in at.iter_mut().enumerate() {
            // Positions past a table's first 64 entries look up nothing (0),
            // then the second half fills them in.
            let lookup = |table: &[uint8x16x4_t; 2]| {
                let low = vqtbl4q_u8(table[0], *position);
                if wide {
                    vqtbx4q_u8(low, table[1], vsubq_u8(*position, sixty_four))
                } else {
                    low
                }
            };
            let test = lookup(&tests);
            let code = lookup(&codes);
            let index = vorrq_u8(vandq_u8(code, low_bits), lanes);
            let row = first + b * BLOCK;
            let load = |j: usize| load_bytes(&columns[j][..], row);
            let mut values = [vdupq_n_u8(0); MAX_LOCAL / 4];
            for (g, value) in values.iter_mut().enumerate().take(groups) {
                let four = uint8x16x4_t(
                    load(4 * g),
                    load(4 * g + 1),
                    load(4 * g + 2),
                    load(4 * g + 3),
                );
                *value = vqtbl4q_u8(four, index);
            }
            // The local index's bits 2 to 4 (code bits 1 to 3) pick a group.
            let mut width = groups.next_power_of_two();
            let mut bit = 0x02;
            while width > 1 {
                let select = vtstq_u8(code, vdupq_n_u8(bit));
                for i in 0..width / 2 {
                    values[i] = vbslq_u8(select, values[2 * i + 1], values[2 * i]);
                }
                width /= 2;
                bit <<= 1;
            }
            let mut value = values[0];
            if MISSING {
                value = vaddq_u8(value, vandq_u8(code, one));
            }
            // All ones where the row goes right (value >= test).
            let right = vcgeq_u8(value, test);
            *position = vsubq_u8(vaddq_u8(*position, *position), right);
        }
    }
    at
}
