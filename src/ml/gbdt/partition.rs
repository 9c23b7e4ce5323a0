//! The row partition: after a split, a node's row indices are reordered so
//! the left child's rows come first — each side keeping its order, so every
//! node's rows stay ascending and reads of the bin matrix stay forward.
//!
//! A large node is cut into blocks partitioned in parallel into a scratch
//! buffer (left rows from the block's front, right rows from its back, with
//! no branch on the row's side), then copied back: each block's left rows to
//! their place among all left rows, its right rows likewise. The result is
//! the stable partition, the same for any number of blocks or threads. The
//! split feature's bins are read from the column-major copy of the matrix.

use rayon::prelude::*;

use crate::ml::gbdt::bins::{Bin, BinnedMatrix, Bins};

/// Rows below which a node is partitioned by one task.
const PARALLEL_ROWS: usize = 65_536;

/// Moves the rows of `rows` whose bin of `feature` has `left[bin] == 1` to
/// the front, each side keeping its order; returns how many there are.
/// `scratch` is as long as `rows`.
pub(crate) fn partition(
    matrix: &BinnedMatrix,
    feature: usize,
    left: &[u8],
    rows: &mut [u32],
    scratch: &mut [u32],
) -> usize {
    let n = matrix.rows();
    let column = feature * n..(feature + 1) * n;
    match matrix.columns() {
        Bins::U8(bins) => {
            let bins = &bins[column];
            // A full table: every byte indexes it without a bounds check.
            let mut table = [0u8; 256];
            for (t, &l) in table.iter_mut().zip(left) {
                *t = l;
            }
            let side = move |r: u32| table[usize::from(bins[r as usize])];
            stable_partition(rows, scratch, side)
        }
        Bins::U16(bins) => {
            let bins = &bins[column];
            let side = |r: u32| left.get(bins[r as usize].index()).copied().unwrap_or(0);
            stable_partition(rows, scratch, side)
        }
    }
}

/// The stable partition of `rows` by `side` (1 = left).
fn stable_partition(
    rows: &mut [u32],
    scratch: &mut [u32],
    side: impl Fn(u32) -> u8 + Sync,
) -> usize {
    let n = rows.len();
    let tasks = rayon::current_num_threads().min(n / PARALLEL_ROWS);
    if tasks < 2 {
        let lefts = split_block(rows, scratch, &side);
        let (l, r) = rows.split_at_mut(lefts);
        copy_back(&scratch[..n], lefts, l, r);
        return lefts;
    }
    let block = n.div_ceil(tasks);
    let lefts: Vec<usize> = rows
        .par_chunks(block)
        .zip(scratch.par_chunks_mut(block))
        .map(|(src, dst)| split_block(src, dst, &side))
        .collect();
    let total: usize = lefts.iter().sum();
    // Each block's destinations: its share of the left part and of the right part.
    let (mut left_part, mut right_part) = rows.split_at_mut(total);
    let mut targets = Vec::with_capacity(lefts.len());
    for (i, &l) in lefts.iter().enumerate() {
        let size = block.min(n - i * block);
        let (a, rest_l) = std::mem::take(&mut left_part).split_at_mut(l);
        let (b, rest_r) = std::mem::take(&mut right_part).split_at_mut(size - l);
        left_part = rest_l;
        right_part = rest_r;
        targets.push((a, b));
    }
    scratch
        .par_chunks(block)
        .zip(lefts.par_iter())
        .zip(targets.into_par_iter())
        .for_each(|((src, &l), (a, b))| copy_back(src, l, a, b));
    total
}

/// Writes `src`'s left rows to the front of `dst` in order and its right
/// rows to the back in reverse order; returns the number of left rows.
fn split_block(src: &[u32], dst: &mut [u32], side: &impl Fn(u32) -> u8) -> usize {
    let n = src.len();
    let dst = &mut dst[..n];
    let (mut lefts, mut rights) = (0usize, 0usize);
    for &r in src {
        let s = usize::from(side(r));
        // Both slots are written; the one not kept is overwritten later (or is
        // the same slot when they meet at the last row).
        dst[lefts] = r;
        dst[n - 1 - rights] = r;
        lefts += s;
        rights += 1 - s;
    }
    lefts
}

/// From a block `src` laid out by `split_block` with `lefts` left rows:
/// the left rows to `left` and the right rows, back in order, to `right`.
fn copy_back(src: &[u32], lefts: usize, left: &mut [u32], right: &mut [u32]) {
    left.copy_from_slice(&src[..left.len()]);
    for (d, s) in right.iter_mut().zip(src[lefts..].iter().rev()) {
        *d = *s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_in_any_pool() {
        let n = 300_001;
        let rows: Vec<u32> = (0..n).map(|i| i * 3).collect();
        let side = |r: u32| u8::from((r / 3) % 7 < 3 || r.is_multiple_of(11));
        let expected: Vec<u32> = rows
            .iter()
            .copied()
            .filter(|&r| side(r) == 1)
            .chain(rows.iter().copied().filter(|&r| side(r) == 0))
            .collect();
        for threads in [1, 2, 3, 8] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            let mut got = rows.clone();
            let mut scratch = vec![0; got.len()];
            let lefts = pool.install(|| stable_partition(&mut got, &mut scratch, side));
            assert_eq!(got, expected, "{threads} threads");
            assert_eq!(lefts, expected.iter().filter(|&&r| side(r) == 1).count());
        }
        let mut tiny = vec![5u32, 2, 9];
        let mut scratch = vec![0; 3];
        assert_eq!(
            stable_partition(&mut tiny, &mut scratch, |r| u8::from(r > 4)),
            2
        );
        assert_eq!(tiny, vec![5, 9, 2]);
        assert_eq!(stable_partition(&mut [], &mut [], |_| 1), 0);
    }
}
