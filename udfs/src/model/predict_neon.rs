//! The NEON path (aarch64): a chunk's binned rows routed through a tree's
//! top levels 16 rows per 128-bit step, four blocks interleaved (see
//! [`super::predict_binned`] for the layout).
//!
//! NEON's table lookups take up to four registers (64 bytes): a level's split
//! tests and codes are one lookup each, and a row's bin one lookup among four
//! of the level's columns (index `code & 0x30 | lane`: the local index's two
//! low bits, copied at bits 4 and 5 of the code, pick the column), with bit
//! selects by the code's other local bits among groups of four. Leaves are
//! added row by row from the positions reached.
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

use crate::model::predict_binned::{BinnedForest, BinnedTree, CHUNK};

/// Rows per step: one register of byte bins.
const BLOCK: usize = 16;
/// Blocks routed together.
const GROUP: usize = 4;
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
/// The CPU must have NEON ([`super::predict_path::PredictPath::Neon`] available).
#[target_feature(enable = "neon")]
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
    }
}

/// The first bin of column `column` in a chunk's bins.
#[inline(always)]
fn column_start(bins: &[u8], column: u16) -> *const u8 {
    let start = usize::from(column) * CHUNK;
    bins.get(start..start + CHUNK).unwrap_or(&ZEROS).as_ptr()
}

/// The position on the last of `tree`'s top levels of the [`GROUP`] blocks
/// of rows from `first`.
#[inline]
#[target_feature(enable = "neon")]
fn route<const MISSING: bool>(tree: &BinnedTree, bins: &[u8], first: usize) -> [uint8x16_t; GROUP] {
    // SAFETY (for the target features): only called from `add_trees`. Every
    // pointer in `columns` starts CHUNK readable bytes and `first + 64 <= CHUNK`;
    // the level tables hold 64 bytes.
    unsafe {
        let one = vdupq_n_u8(1);
        let low_bits = vdupq_n_u8(0x30);
        let lanes = vld1q_u8([0u8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].as_ptr());
        let mut at = [vdupq_n_u8(0); GROUP];
        for level in &tree.levels {
            let mut columns = [bins.as_ptr(); MAX_LOCAL];
            let first_column = column_start(bins, level.columns.first().copied().unwrap_or(0));
            for (j, slot) in columns.iter_mut().enumerate() {
                *slot = level
                    .columns
                    .get(j)
                    .map_or(first_column, |column| column_start(bins, *column));
            }
            let table = |bytes: &[u8; 64]| {
                uint8x16x4_t(
                    vld1q_u8(bytes.as_ptr()),
                    vld1q_u8(bytes.as_ptr().add(16)),
                    vld1q_u8(bytes.as_ptr().add(32)),
                    vld1q_u8(bytes.as_ptr().add(48)),
                )
            };
            let tests = table(if MISSING {
                &level.tables.t
            } else {
                &level.tables.t0
            });
            let codes = table(&level.tables.code);
            // Groups of four columns.
            let groups = level.columns.len().div_ceil(4);
            for (b, position) in at.iter_mut().enumerate() {
                let test = vqtbl4q_u8(tests, *position);
                let code = vqtbl4q_u8(codes, *position);
                let index = vorrq_u8(vandq_u8(code, low_bits), lanes);
                let row = first + b * BLOCK;
                let group = |g: usize| {
                    vqtbl4q_u8(
                        uint8x16x4_t(
                            vld1q_u8(columns[4 * g].add(row)),
                            vld1q_u8(columns[4 * g + 1].add(row)),
                            vld1q_u8(columns[4 * g + 2].add(row)),
                            vld1q_u8(columns[4 * g + 3].add(row)),
                        ),
                        index,
                    )
                };
                let mut values = [vdupq_n_u8(0); MAX_LOCAL / 4];
                for (g, value) in values.iter_mut().enumerate().take(groups) {
                    *value = group(g);
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
}
