//! Numeric bins for the population stability index: the training deciles.
//! With edges `e1 ≤ … ≤ e9` the bins are `(-inf, e1]`, `(e1, e2]`, …,
//! `(e9, inf)`: right-closed, so a value equal to an edge counts in the bin
//! below it. Equal edges make an empty bin (in training and in new data alike).

/// The bin of `value`: how many edges lie strictly below it.
pub(crate) fn bin_of(edges: &[f64], value: f64) -> usize {
    edges.partition_point(|edge| *edge < value)
}

/// How many of `values` fall in each of the `edges.len() + 1` bins.
pub(crate) fn bin_counts(edges: &[f64], values: &[f64]) -> Vec<u64> {
    let mut counts = vec![0; edges.len() + 1];
    for value in values {
        counts[bin_of(edges, *value)] += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_right_closed() {
        let edges = [1.0, 2.0, 2.0, 5.0];
        assert_eq!(bin_of(&edges, 0.5), 0);
        assert_eq!(bin_of(&edges, 1.0), 0, "on an edge: the bin below");
        assert_eq!(bin_of(&edges, 1.5), 1);
        assert_eq!(
            bin_of(&edges, 2.0),
            1,
            "(1, 2] — the bin (2, 2] stays empty"
        );
        assert_eq!(bin_of(&edges, 2.5), 3);
        assert_eq!(bin_of(&edges, 5.0), 3);
        assert_eq!(bin_of(&edges, 9.0), 4);
        assert_eq!(
            bin_counts(&edges, &[0.0, 1.0, 2.0, 2.0, 3.0, 7.0, 8.0]),
            vec![2, 2, 0, 1, 2]
        );
    }
}
