//! Seeded row splits: train/test and (stratified) k-fold.

use datafusion::common::{Result, plan_err};

use crate::ml::rng::Rng;

/// Fisher–Yates shuffle with Firn's own generator (stable across releases).
fn shuffle(indices: &mut [usize], rng: &mut Rng) {
    for i in (1..indices.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        indices.swap(i, j);
    }
}

/// Row indices grouped by class (0/1 labels), or one group for regression.
fn strata(labels: &[f64], stratify: bool) -> Vec<Vec<usize>> {
    if !stratify {
        return vec![(0..labels.len()).collect()];
    }
    let (mut negatives, mut positives) = (Vec::new(), Vec::new());
    for (i, &y) in labels.iter().enumerate() {
        if y == 1.0 {
            positives.push(i)
        } else {
            negatives.push(i)
        }
    }
    vec![negatives, positives]
}

/// Splits rows into (train, test), `test_fraction` of each class in test.
pub fn train_test_split(
    labels: &[f64],
    test_fraction: f64,
    seed: u64,
    stratify: bool,
) -> Result<(Vec<usize>, Vec<usize>)> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return plan_err!("test fraction must be between 0 and 1 (exclusive), got {test_fraction}");
    }
    let mut rng = Rng::new(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for mut group in strata(labels, stratify) {
        shuffle(&mut group, &mut rng);
        let n_test = (group.len() as f64 * test_fraction).round() as usize;
        test.extend_from_slice(&group[..n_test]);
        train.extend_from_slice(&group[n_test..]);
    }
    if train.is_empty() || test.is_empty() {
        return plan_err!(
            "{} rows are too few to split {:.0} % / {:.0} %",
            labels.len(),
            100.0 * (1.0 - test_fraction),
            100.0 * test_fraction
        );
    }
    train.sort_unstable();
    test.sort_unstable();
    Ok((train, test))
}

/// The test rows of each of `k` folds; with `stratify`, each fold keeps the class ratio.
pub fn k_folds(labels: &[f64], k: usize, seed: u64, stratify: bool) -> Result<Vec<Vec<usize>>> {
    if k < 2 {
        return plan_err!("cross-validation needs at least 2 folds, got {k}");
    }
    if k > labels.len() {
        return plan_err!("cannot make {k} folds of {} rows", labels.len());
    }
    let mut rng = Rng::new(seed);
    let mut folds = vec![Vec::new(); k];
    let mut next = 0;
    for mut group in strata(labels, stratify) {
        shuffle(&mut group, &mut rng);
        // Deal rows round-robin, continuing where the previous class stopped, so fold sizes differ by at most one.
        for i in group {
            folds[next].push(i);
            next = (next + 1) % k;
        }
    }
    for fold in &mut folds {
        fold.sort_unstable();
    }
    Ok(folds)
}

/// The rows not in `fold`.
pub fn complement(n: usize, fold: &[usize]) -> Vec<usize> {
    let mut in_fold = vec![false; n];
    for &i in fold {
        in_fold[i] = true;
    }
    (0..n).filter(|&i| !in_fold[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n: usize, positives_every: usize) -> Vec<f64> {
        (0..n)
            .map(|i| f64::from(i % positives_every == 0))
            .collect()
    }

    #[test]
    fn stratified_split_keeps_the_class_ratio() {
        let y = labels(1000, 4); // 250 positives
        let (train, test) = train_test_split(&y, 0.2, 42, true).expect("split");
        assert_eq!(train.len() + test.len(), 1000);
        assert_eq!(test.len(), 200);
        assert_eq!(test.iter().filter(|&&i| y[i] == 1.0).count(), 50);
        let again = train_test_split(&y, 0.2, 42, true).expect("split");
        assert_eq!(again.1, test, "same seed, same split");
        assert_ne!(train_test_split(&y, 0.2, 43, true).expect("split").1, test);
    }

    #[test]
    fn folds_partition_rows_and_stratify() {
        let y = labels(103, 3);
        let folds = k_folds(&y, 5, 7, true).expect("folds");
        let mut all: Vec<usize> = folds.concat();
        all.sort_unstable();
        assert_eq!(all, (0..103).collect::<Vec<_>>());
        let sizes: Vec<usize> = folds.iter().map(Vec::len).collect();
        assert!(
            sizes.iter().max().expect("max") - sizes.iter().min().expect("min") <= 1,
            "{sizes:?}"
        );
        for fold in &folds {
            let positives = fold.iter().filter(|&&i| y[i] == 1.0).count();
            assert!(
                (6..=8).contains(&positives),
                "{positives} positives in a fold of {}",
                fold.len()
            );
        }
        assert_eq!(complement(103, &folds[0]).len(), 103 - folds[0].len());
    }

    #[test]
    fn refuses_impossible_splits() {
        assert!(k_folds(&labels(10, 2), 1, 0, true).is_err());
        assert!(k_folds(&labels(3, 2), 5, 0, true).is_err());
        assert!(train_test_split(&labels(10, 2), 1.5, 0, true).is_err());
        assert!(train_test_split(&labels(1, 2), 0.2, 0, false).is_err());
    }
}
