//! A fingerprint of training data: identifies the rows a model was trained on
//! (row count, column names and types, the encoded features and labels), so a
//! later reader can tell whether a query still returns the same data.
//!
//! Two formats, named by their prefix:
//! - `firn64:` (current): each column (name, then its values' bits) hashed
//!   eight bytes at a time in four independent lanes, the columns in parallel
//!   (rayon, in the caller's pool), then the row count, the schema and the
//!   column hashes combined in order: about 20 ms for a million rows × 50
//!   features on two cores.
//! - `fnv1a64:` (versions trained before it): FNV-1a over every byte, one
//!   thread (half a second for a million rows × 50 features). Kept so the
//!   data of those versions can still be checked: [`fingerprint_like`].

use datafusion::arrow::datatypes::Schema;
use rayon::prelude::*;

use crate::ml::Dataset;

/// The current format's prefix.
const CURRENT: &str = "firn64:";
/// The format of versions trained before `firn64`.
const LEGACY: &str = "fnv1a64:";

/// FNV-1a, 64 bits: a stable hash (no dependency whose algorithm may change).
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// The row count and the query's schema (both formats start so).
    fn write_shape(&mut self, schema: &Schema, rows: usize) {
        self.write(&(rows as u64).to_le_bytes());
        for field in schema.fields() {
            self.write(field.name().as_bytes());
            self.write(&[0]);
            self.write(field.data_type().to_string().as_bytes());
            self.write(&[0]);
        }
    }
}

/// The fingerprint of the query's schema and `data`, in the current format.
pub fn fingerprint(schema: &Schema, data: &Dataset) -> String {
    let columns: Vec<(&[u8], &[f64])> = data
        .features
        .iter()
        .zip(&data.columns)
        .map(|(spec, column)| (spec.name.as_bytes(), column.as_slice()))
        .chain(std::iter::once((&b""[..], data.labels.as_slice())))
        .collect();
    let hashes: Vec<u64> = columns
        .par_iter()
        .map(|(name, values)| column_hash(name, values))
        .collect();
    let mut hash = Fnv::new();
    hash.write_shape(schema, data.rows());
    for h in hashes {
        hash.write(&h.to_le_bytes());
    }
    format!("{CURRENT}{:016x}", hash.0)
}

/// The fingerprint of the query's schema and `data` in the format of
/// `recorded` (a version's stored fingerprint), so the two compare.
pub fn fingerprint_like(recorded: &str, schema: &Schema, data: &Dataset) -> String {
    if recorded.starts_with(LEGACY) {
        legacy_fingerprint(schema, data)
    } else {
        fingerprint(schema, data)
    }
}

/// `fnv1a64:<16 hex digits>`: the format of versions trained before `firn64`.
fn legacy_fingerprint(schema: &Schema, data: &Dataset) -> String {
    let mut hash = Fnv::new();
    hash.write_shape(schema, data.rows());
    for (spec, column) in data.features.iter().zip(&data.columns) {
        hash.write(spec.name.as_bytes());
        for v in column {
            hash.write(&v.to_bits().to_le_bytes());
        }
    }
    for v in &data.labels {
        hash.write(&v.to_bits().to_le_bytes());
    }
    format!("{LEGACY}{:016x}", hash.0)
}

/// Lanes of [`column_hash`]: independent chains, so a core overlaps their multiplies.
const LANES: usize = 4;

/// One step of a lane: the word mixed in, then an odd multiply and a rotation,
/// both bijective, so a different word anywhere gives a different lane.
#[inline(always)]
fn step(lane: u64, word: u64) -> u64 {
    (lane ^ word)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(29)
}

/// A 64-bit hash of a column's name and values.
fn column_hash(name: &[u8], values: &[f64]) -> u64 {
    let mut lanes: [u64; LANES] = [
        0x243F_6A88_85A3_08D3,
        0x1319_8A2E_0370_7344,
        0xA409_3822_299F_31D0,
        0x082E_FA98_EC4E_6C89,
    ];
    let mut chunks = values.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            *lane = step(*lane, v.to_bits());
        }
    }
    for (lane, v) in lanes.iter_mut().zip(chunks.remainder()) {
        *lane = step(*lane, v.to_bits());
    }
    let mut hash = Fnv::new();
    hash.write(name);
    hash.write(&[0]);
    hash.write(&(values.len() as u64).to_le_bytes());
    for lane in lanes {
        hash.write(&lane.to_le_bytes());
    }
    hash.0
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::datatypes::{DataType, Field};
    use firnml_udfs::model::FeatureSpec;

    use super::*;

    fn data(columns: Vec<Vec<f64>>, labels: Vec<f64>) -> Dataset {
        Dataset {
            features: (0..columns.len())
                .map(|i| FeatureSpec::numeric(format!("f{i}")))
                .collect(),
            columns,
            labels,
        }
    }

    fn schema(columns: usize) -> Schema {
        Schema::new(
            (0..columns)
                .map(|i| Field::new(format!("f{i}"), DataType::Float64, true))
                .chain(std::iter::once(Field::new("y", DataType::Int64, false)))
                .collect::<Vec<_>>(),
        )
    }

    fn example() -> Dataset {
        let column = |k: u64| (0..1_003).map(|i| ((i * k) % 97) as f64 / 8.0).collect();
        data(
            vec![column(3), column(7), column(11)],
            (0..1_003).map(|i| f64::from(i % 3 == 0)).collect(),
        )
    }

    #[test]
    fn versions_trained_before_keep_their_fingerprint() {
        // The value this data had when `fnv1a64` was the only format.
        let recorded = legacy_fingerprint(&schema(3), &example());
        assert_eq!(recorded, "fnv1a64:2d083245a8d938a3");
        assert_eq!(
            fingerprint_like(&recorded, &schema(3), &example()),
            recorded
        );
        let current = fingerprint(&schema(3), &example());
        assert!(current.starts_with("firn64:"), "{current}");
        assert_eq!(fingerprint_like(&current, &schema(3), &example()), current);
    }

    #[test]
    fn any_change_of_the_data_changes_it() {
        let base = fingerprint(&schema(3), &example());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        assert_eq!(
            pool.install(|| fingerprint(&schema(3), &example())),
            base,
            "threads"
        );
        let mut seen = vec![base];
        let mut changed = |d: Dataset, s: Schema| {
            let print = fingerprint(&s, &d);
            assert!(!seen.contains(&print), "{print} repeats");
            seen.push(print);
        };
        // One value, in each lane and in the remainder; its sign; a label.
        for row in [0, 1, 2, 3, 500, 1_002] {
            let mut d = example();
            d.columns[1][row] += 0.5;
            changed(d, schema(3));
        }
        let mut d = example();
        d.columns[0][5] = -d.columns[0][5] - 1.0;
        changed(d, schema(3));
        let mut d = example();
        d.labels[10] = 1.0 - d.labels[10];
        changed(d, schema(3));
        // Two values swapped within a lane, and two columns swapped.
        let mut d = example();
        d.columns[2].swap(4, 8);
        changed(d, schema(3));
        let mut d = example();
        d.columns.swap(0, 1);
        changed(d, schema(3));
        // A row fewer; a column's name; the schema's types.
        let mut d = example();
        for c in &mut d.columns {
            c.pop();
        }
        d.labels.pop();
        changed(d, schema(3));
        let mut d = example();
        d.features[2] = FeatureSpec::numeric("g");
        changed(d, schema(3));
        let mut s = schema(3);
        s = Schema::new(
            s.fields()
                .iter()
                .map(|f| Field::new(f.name(), DataType::Float32, true))
                .collect::<Vec<_>>(),
        );
        changed(example(), s);
    }
}
