//! A fingerprint of training data: the identity `CREATE MODEL` records in a
//! version's manifest, so the data can later be recognised (or found changed).

use datafusion::arrow::datatypes::Schema;

use crate::ml::Dataset;

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
}

/// A fingerprint of the training data: row count, the query's column names and
/// types, and the encoded features and labels. `fnv1a64:` and 16 hex digits.
pub(crate) fn fingerprint(schema: &Schema, data: &Dataset) -> String {
    let mut hash = Fnv::new();
    hash.write(&(data.rows() as u64).to_le_bytes());
    for field in schema.fields() {
        hash.write(field.name().as_bytes());
        hash.write(&[0]);
        hash.write(field.data_type().to_string().as_bytes());
        hash.write(&[0]);
    }
    for (spec, column) in data.features.iter().zip(&data.columns) {
        hash.write(spec.name.as_bytes());
        for v in column {
            hash.write(&v.to_bits().to_le_bytes());
        }
    }
    for v in &data.labels {
        hash.write(&v.to_bits().to_le_bytes());
    }
    format!("fnv1a64:{:016x}", hash.0)
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::datatypes::{DataType, Field};
    use firnml_udfs::model::FeatureSpec;

    use super::*;

    fn data(labels: Vec<f64>) -> Dataset {
        Dataset {
            features: vec![FeatureSpec::numeric("x")],
            columns: vec![vec![1.0, 2.0]],
            labels,
        }
    }

    #[test]
    fn same_data_same_fingerprint_any_change_another() {
        let schema = Schema::new(vec![Field::new("x", DataType::Float64, false)]);
        let a = fingerprint(&schema, &data(vec![0.0, 1.0]));
        assert_eq!(a, fingerprint(&schema, &data(vec![0.0, 1.0])));
        assert!(a.starts_with("fnv1a64:") && a.len() == 8 + 16, "{a}");
        assert_ne!(a, fingerprint(&schema, &data(vec![1.0, 1.0])));
        let renamed = Schema::new(vec![Field::new("z", DataType::Float64, false)]);
        assert_ne!(a, fingerprint(&renamed, &data(vec![0.0, 1.0])));
    }
}
