//! The AVX2 path: a chunk's rows binned four values per step, then routed
//! through each tree's top levels 32 rows per 256-bit step, the chunk's eight
//! blocks interleaved so that the steps' latencies overlap (see
//! [`super::predict_binned`] for the layout).
//!
//! **Binning.** A branch-free binary search over the feature's padded cuts,
//! four values per register and four registers side by side. The first five
//! levels' probes (up to 16) are looked up in registers
//! ([`FeatureCuts::search`]) by cross-lane permutes and blends; deeper
//! levels load each lane's probe on its own. Not a gather instruction: those
//! are slow on the Intel cores that carry the Downfall (GDS) microcode fix.
//! At 30 features the portable search was a third of `predict`'s time.
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
    BinnedForest, BinnedTree, CHUNK, LEVEL_WIDTH, MAX_CUTS, MAX_LOCAL, MISSING,
};
use crate::model::predict_binning::{
    self as binning, FeatureCuts, SEARCH_LEVEL_START, SEARCH_TABLE,
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

/// Scores the span of `rows` rows (at most [`SPAN`](super::predict_binned::SPAN)) from `start` of
/// `columns` (one slice per feature) into `sums` (which holds the base score;
/// [`SPAN`](super::predict_binned::SPAN) values): bins it into `bins` (`forest.columns()` columns of
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
        |cuts, values, out| bin_feature(cuts, values, out),
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

/// Values per register in the binning.
const LANES: usize = 4;
/// Searches side by side in the binning.
const SEARCHES: usize = 4;
/// Values binned per round: one 16-byte store of bins per column.
const ROUND: usize = LANES * SEARCHES;
/// Levels whose probes are looked up in registers (up to 16 probes).
const REGISTER_LEVELS: usize = 5;

/// The four values of `values` from `at` (NaN if there are fewer).
#[inline]
#[target_feature(enable = "avx2")]
fn load_f64s(values: &[f64], at: usize) -> __m256d {
    match values.get(at..at + LANES) {
        // SAFETY: `block` holds four values.
        Some(block) => unsafe { _mm256_loadu_pd(block.as_ptr()) },
        None => _mm256_set1_pd(f64::NAN),
    }
}

/// Bins one feature's values into its columns like [`binning::bin_feature`];
/// returns whether any value is missing.
#[inline]
#[target_feature(enable = "avx2")]
fn bin_feature(cuts: &FeatureCuts, values: &[f64], out: &mut [u8]) -> bool {
    binning::bin_by_search_levels!(bin_levels, cuts, values, out)
}

/// The probe of level `k` (below [`REGISTER_LEVELS`]) for each lane whose
/// search so far gave `at` (`k` bits), from the level's registers `level`
/// (its first 16 probes, four per register).
#[inline]
#[target_feature(enable = "avx2")]
fn register_probe(k: usize, level: &[__m256d; 4], at: __m256i) -> __m256d {
    // Dword indexes 2 * at and 2 * at + 1 pick the lane's double among four
    // (the permute reads the low three bits: `at` modulo 4).
    let twice = _mm256_add_epi64(at, at);
    let index = _mm256_add_epi64(
        _mm256_or_si256(twice, _mm256_slli_epi64::<32>(twice)),
        _mm256_set1_epi64x(1 << 32),
    );
    let pick =
        |table: __m256d| _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(table), index));
    // A blend reads bit 63: bit 2 (3) of `at` shifted there.
    let bit2 = _mm256_castsi256_pd(_mm256_slli_epi64::<61>(at));
    match k {
        0..=2 => pick(level[0]),
        3 => _mm256_blendv_pd(pick(level[0]), pick(level[1]), bit2),
        _ => {
            let low = _mm256_blendv_pd(pick(level[0]), pick(level[1]), bit2);
            let high = _mm256_blendv_pd(pick(level[2]), pick(level[3]), bit2);
            _mm256_blendv_pd(low, high, _mm256_castsi256_pd(_mm256_slli_epi64::<60>(at)))
        }
    }
}

/// Byte `b` of 64-bit lane `q` of 128-bit half `h` of a register of searches
/// `r` goes to byte `4 * r + 2 * h + q` of a round's 16 bins: the shuffle
/// that puts half `h`'s two bins in place (the other half's slots zeroed).
const PLACE: [[u8; 32]; SEARCHES] = {
    let mut masks = [[0x80u8; 32]; SEARCHES];
    let mut r = 0;
    while r < SEARCHES {
        let mut h = 0;
        while h < 2 {
            let mut q = 0;
            while q < 2 {
                masks[r][16 * h + 4 * r + 2 * h + q] = (8 * q) as u8;
                q += 1;
            }
            h += 1;
        }
        r += 1;
    }
    masks
};

/// [`bin_feature`] for a search of `LEVELS` levels (its table checked).
#[inline]
#[target_feature(enable = "avx2")]
fn bin_levels<const LEVELS: usize>(
    cuts: &FeatureCuts,
    search: &[f64; SEARCH_TABLE],
    values: &[f64],
    out: &mut [u8],
) -> bool {
    let mut registers = [[_mm256_setzero_pd(); 4]; REGISTER_LEVELS];
    for (k, level) in registers.iter_mut().enumerate() {
        for (i, register) in level.iter_mut().enumerate() {
            *register = load_f64s(search, SEARCH_LEVEL_START[k] + LANES * i);
        }
    }
    let first_probe = _mm256_set1_pd(search[0]);
    let missing_bin = _mm256_set1_epi64x(i64::from(MISSING));
    let zero = _mm256_setzero_si256();
    let max_bin = _mm256_set1_epi64x(MAX_CUTS as i64);
    let mut place = [_mm256_setzero_si256(); SEARCHES];
    for (place, mask) in place.iter_mut().zip(&PLACE) {
        // SAFETY: `mask` holds 32 bytes.
        *place = unsafe { _mm256_loadu_si256(mask.as_ptr().cast()) };
    }
    let columns = cuts.columns.min(out.len() / CHUNK);
    let rows = values.len().min(CHUNK);
    let full = rows - rows % ROUND;
    let mut missing = _mm256_setzero_pd();
    for first in (0..full).step_by(ROUND) {
        let mut value = [_mm256_setzero_pd(); SEARCHES];
        for (i, value) in value.iter_mut().enumerate() {
            *value = load_f64s(values, first + LANES * i);
        }
        // The bits of the search so far: the probe's index within its level.
        let mut at = [_mm256_setzero_si256(); SEARCHES];
        for k in 0..LEVELS {
            for (at, value) in at.iter_mut().zip(value) {
                let probe = if k == 0 {
                    first_probe
                } else if k < REGISTER_LEVELS {
                    register_probe(k, &registers[k], *at)
                } else {
                    // Each lane's probe loaded on its own (the index is
                    // below 2^k, the level's length: the mask keeps it so).
                    let level = search
                        .get(SEARCH_LEVEL_START[k]..SEARCH_LEVEL_START[k + 1])
                        .unwrap_or(&[]);
                    let mask = (1usize << k) - 1;
                    let mut lanes = [0u64; LANES];
                    // SAFETY: `lanes` holds 32 bytes.
                    unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), *at) };
                    let probe =
                        |lane: u64| level.get(lane as usize & mask).copied().unwrap_or(f64::NAN);
                    _mm256_set_pd(
                        probe(lanes[3]),
                        probe(lanes[2]),
                        probe(lanes[1]),
                        probe(lanes[0]),
                    )
                };
                // All ones (-1) where the value is at or above the probe.
                let at_or_above = _mm256_castpd_si256(_mm256_cmp_pd::<_CMP_GE_OQ>(value, probe));
                *at = _mm256_sub_epi64(_mm256_add_epi64(*at, *at), at_or_above);
            }
        }
        let mut nan = [_mm256_setzero_si256(); SEARCHES];
        for (nan, value) in nan.iter_mut().zip(value) {
            let unordered = _mm256_cmp_pd::<_CMP_UNORD_Q>(value, value);
            missing = _mm256_or_pd(missing, unordered);
            *nan = _mm256_castpd_si256(unordered);
        }
        for j in 0..columns {
            let mut round = zero;
            for ((at, nan), place) in at.iter().zip(nan).zip(place) {
                // Column j holds the bin less j * MAX_CUTS, within 0..=MAX_CUTS
                // (a bin is at most 2^8, so 32-bit lanes compare it; the high
                // half of a lane stays 0 or becomes it).
                let bin = if columns == 1 {
                    *at
                } else {
                    let offset = _mm256_set1_epi64x((j * MAX_CUTS) as i64);
                    let shifted = _mm256_max_epi32(_mm256_sub_epi64(*at, offset), zero);
                    _mm256_min_epi32(shifted, max_bin)
                };
                let bin = _mm256_blendv_epi8(bin, missing_bin, nan);
                round = _mm256_or_si256(round, _mm256_shuffle_epi8(bin, place));
            }
            let bins = _mm_or_si128(
                _mm256_castsi256_si128(round),
                _mm256_extracti128_si256::<1>(round),
            );
            let at = j * CHUNK + first;
            if let Some(out) = out.get_mut(at..at + ROUND) {
                // SAFETY: `out` holds 16 bytes.
                unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), bins) };
            }
        }
    }
    let rest = binning::bin_feature_from(cuts, values.get(full..rows).unwrap_or(&[]), full, out);
    _mm256_movemask_pd(missing) != 0 || rest
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX2 binning gives the portable search's bins and missing flag, for
    /// every number of cuts up to two columns' worth and past the register
    /// search (which falls back), on values between, at and beyond the cuts.
    #[test]
    fn binning_matches_the_portable_search() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            eprintln!("no AVX2 here: nothing to compare");
            return;
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for count in (0..=300).chain([511, 512, 1000]) {
            let cuts: Vec<f64> = (0..count).map(|c| f64::from(c) * 0.5 - 20.0).collect();
            let feature = FeatureCuts::new(&cuts, 0);
            for rows in [CHUNK, CHUNK - 3, ROUND + 5, 7, 0] {
                let values: Vec<f64> = (0..rows)
                    .map(|_| match next() % 16 {
                        0 => f64::NAN,
                        1 => f64::INFINITY,
                        2 => f64::NEG_INFINITY,
                        3 => -0.0,
                        // A cut itself, or between two.
                        4..=9 => cuts
                            .get((next() % (count as u64 + 1)) as usize)
                            .copied()
                            .unwrap_or(0.0),
                        _ => (next() % 4000) as f64 * 0.01 - 22.0,
                    })
                    .collect();
                let size = feature.columns.max(1) * CHUNK;
                let mut expected = vec![MISSING; size];
                let mut got = vec![MISSING; size];
                let expected_missing = binning::bin_feature(&feature, &values, &mut expected);
                // SAFETY: AVX2 is present (checked above).
                let got_missing = unsafe { bin_feature(&feature, &values, &mut got) };
                assert_eq!(
                    (&got[..rows.min(CHUNK)], got_missing),
                    (&expected[..rows.min(CHUNK)], expected_missing),
                    "{count} cuts, {rows} rows"
                );
                for j in 1..feature.columns {
                    let column = j * CHUNK..j * CHUNK + rows;
                    assert_eq!(
                        got[column.clone()],
                        expected[column],
                        "{count} cuts, column {j}"
                    );
                }
            }
        }
    }
}
