//! A fingerprint of training data: identifies the rows a model was trained on
//! (row count, column names and types, the encoded features and labels), so a
//! later reader can tell whether a query still returns the same data.

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

/// `fnv1a64:<16 hex digits>` of the query's schema and `data`.
pub fn fingerprint(schema: &Schema, data: &Dataset) -> String {
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
