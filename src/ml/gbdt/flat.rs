//! A grown tree as a flat array of nodes, walked over the row-major bins:
//! how the rows a subsample left out of a tree get that tree's value.
//!
//! The tree being built sees only its drawn rows, so the others' margins are
//! updated after it by walking it once per row. Walking the boxed [`Grown`]
//! tree followed a pointer per level and read each level's bin from another
//! column; with a `subsample` below 1 that walk was 17 % of a search's time
//! at a million rows. Here a node is 20 bytes in one array, a row's bins are
//! one cache line, and a leaf holds its value: the same value, bit for bit,
//! as the drawn rows of that leaf get.

use crate::ml::gbdt::bins::{Bin, BinnedMatrix, Bins};
use crate::ml::gbdt::grow::Grown;
use crate::ml::gbdt::objective::GradSum;

/// `feature` of a leaf: its `bin` is then the index of its value.
const LEAF: u32 = u32::MAX;

/// One node: a split on `feature` ("bins below `bin` go left, the missing
/// bin goes to `default_left`'s side"), or a leaf.
#[derive(Debug, Clone, Copy)]
struct Node {
    feature: u32,
    bin: u32,
    /// The feature's missing bin, or `u32::MAX` when it has none.
    missing: u32,
    /// The left child; the right one is next to it.
    left: u32,
    default_left: bool,
}

/// A tree ready to be walked over binned rows.
#[derive(Debug, Clone)]
pub(crate) struct FlatTree {
    nodes: Vec<Node>,
    values: Vec<f64>,
}

impl FlatTree {
    /// `grown` over `matrix`'s bins, each leaf worth `value(its sums)`.
    pub fn new(grown: &Grown, matrix: &BinnedMatrix, value: &impl Fn(GradSum) -> f64) -> Self {
        let mut tree = Self {
            nodes: vec![leaf(0)],
            values: Vec::new(),
        };
        // Breadth-first, so that both children of a node are adjacent.
        let mut queue = std::collections::VecDeque::from([(grown, 0usize)]);
        while let Some((node, at)) = queue.pop_front() {
            tree.nodes[at] = match node {
                Grown::Leaf { sums, .. } => {
                    tree.values.push(value(*sums));
                    leaf(tree.values.len() - 1)
                }
                Grown::Split {
                    split, left, right, ..
                } => {
                    let children = tree.nodes.len();
                    tree.nodes.extend([leaf(0), leaf(0)]);
                    queue.push_back((left, children));
                    queue.push_back((right, children + 1));
                    let missing = matrix.features()[split.feature].missing_bin();
                    Node {
                        feature: split.feature as u32,
                        bin: split.bin as u32,
                        missing: missing.map_or(u32::MAX, |m| m as u32),
                        left: children as u32,
                        default_left: split.default_left,
                    }
                }
            };
        }
        tree
    }

    /// The value of the leaf `row` of `matrix` falls in.
    #[inline(always)]
    fn value_of<B: Bin>(&self, bins: &[B], width: usize, row: usize) -> f64 {
        let row = &bins[row * width..(row + 1) * width];
        let mut node = self.nodes[0];
        while node.feature != LEAF {
            let bin = row[node.feature as usize].index() as u32;
            let left = if bin == node.missing {
                node.default_left
            } else {
                bin < node.bin
            };
            node = self.nodes[(node.left + u32::from(!left)) as usize];
        }
        self.values[node.bin as usize]
    }

    /// Calls `add(row, value)` for each of `rows` with the value of its leaf.
    pub fn for_each_value(&self, matrix: &BinnedMatrix, rows: &[u32], add: impl Fn(usize, f64)) {
        match matrix.bins() {
            Bins::U8(bins) => self.walk(bins, matrix.num_features(), rows, add),
            Bins::U16(bins) => self.walk(bins, matrix.num_features(), rows, add),
        }
    }

    /// [`FlatTree::for_each_value`] over bins of one width.
    #[inline(always)]
    fn walk<B: Bin>(&self, bins: &[B], width: usize, rows: &[u32], add: impl Fn(usize, f64)) {
        for &r in rows {
            add(r as usize, self.value_of(bins, width, r as usize));
        }
    }
}

fn leaf(value: usize) -> Node {
    Node {
        feature: LEAF,
        bin: value as u32,
        missing: u32::MAX,
        left: 0,
        default_left: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::forust::tests::synthetic;
    use crate::ml::gbdt::config::Config;
    use crate::ml::gbdt::grow::Grower;
    use crate::ml::gbdt::histogram::FeatureSet;
    use crate::ml::gbdt::objective::Scale;
    use crate::ml::params::GbdtParams;

    #[test]
    fn every_row_gets_the_value_of_the_leaf_the_grown_tree_sends_it_to() {
        let data = synthetic(20_000, 5);
        // 64 bins: one byte per bin; 4,000: two bytes (the normal columns have more).
        for nbins in [64, 4_000] {
            let matrix = BinnedMatrix::build(&data, nbins).expect("bins");
            assert_eq!(matches!(matrix.bins(), Bins::U16(_)), nbins > 256);
            let config = Config::new(&GbdtParams {
                max_depth: 7,
                min_child_weight: 0.0,
                ..GbdtParams::default()
            })
            .expect("config");
            let scale = Scale::new(data.rows(), 1.0, 0.25);
            let gh: Vec<GradSum> = data
                .labels
                .iter()
                .enumerate()
                .map(|(i, y)| scale.quantize(0.4 - y + (i % 7) as f64 * 0.01, 0.2))
                .collect();
            let grower = Grower {
                matrix: &matrix,
                gh: &gh,
                scale,
                config: &config,
                features: FeatureSet::new(&matrix, &[0, 1, 2]),
            };
            // Grown on the even rows, walked for all of them.
            let mut rows: Vec<u32> = (0..data.rows() as u32).step_by(2).collect();
            let grown = grower.grow(&mut rows);
            let value = |s: GradSum| scale.real(s).0 - 0.5 * scale.real(s).1;
            let flat = FlatTree::new(&grown, &matrix, &value);
            assert!(flat.values.len() > 30, "a deep tree: {}", flat.values.len());
            let all: Vec<u32> = (0..data.rows() as u32).collect();
            let got = std::sync::Mutex::new(vec![f64::NAN; data.rows()]);
            flat.for_each_value(&matrix, &all, |r, v| {
                got.lock().expect("lock")[r] = v;
            });
            let got = got.into_inner().expect("lock");
            for (r, v) in got.iter().enumerate() {
                let expected = grown.predict_binned(&matrix, r, &value);
                assert_eq!(v.to_bits(), expected.to_bits(), "row {r}, {nbins} bins");
            }
            // Missing values of feature 0 reach both the flat walk and the tree.
            assert!(data.columns[0].iter().any(|v| v.is_nan()));
        }
    }
}
