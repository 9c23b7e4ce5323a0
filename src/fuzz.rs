//! Entry points for fuzzing Firn's readers of untrusted bytes: each takes any
//! bytes and must return — an error is fine, a panic or an abort is a bug.
//! `fuzz/` holds the cargo-fuzz (libFuzzer) targets calling them and
//! `tests/fuzz_smoke.rs` runs them on stable over seeds and random mutations.
//! Not part of the supported API.

use bytes::Bytes;

/// Firn's SQL parser (its own statements and DataFusion's).
pub fn sql(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::sql::parse_sql(text);
    }
}

/// The model file reader as the registry calls it. Its guard turns a panic
/// inside the parquet and arrow crates' decoders into an error. Fuzzing found
/// these in parquet/arrow 59.3.2: `column start and length should not be
/// negative` (metadata; now refused before decoding), an index out of bounds in
/// the BYTE_STREAM_SPLIT decoder, `Decoder for dict should have been set`,
/// `num_bits <= size_of::<T>() * 8` in bit unpacking, and arrow-buffer's
/// `offset + len out of bounds` / `slice must not be empty`.
/// [`model_file_unguarded`] shows them.
pub fn model_file(data: &[u8]) {
    let _ = crate::ml::model_file::from_parquet(Bytes::copy_from_slice(data));
}

/// The model file reader without its guard, for finding the decoders' panics.
pub fn model_file_unguarded(data: &[u8]) {
    let _ = crate::ml::model_file::decode(Bytes::copy_from_slice(data));
}

/// The registry's manifest reader.
pub fn manifest(data: &[u8]) {
    let _ = crate::registry::manifest::decode(data, "manifest.json", "m", "v1");
}

/// The registry's pointer-log reader.
pub fn pointer_entry(data: &[u8]) {
    let _ = crate::registry::pointers::decode(data, "_refs/1.json", 1);
}

/// The XGBoost JSON model importer.
pub fn xgboost_json(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::ml::xgboost_json::import(text);
    }
}

/// The table commit reader.
pub fn table_commit(data: &[u8]) {
    let _ = crate::storage::table_log::decode_commit(data, "_log/0.json", 0);
}

/// A fuzz target: takes any bytes, must return.
pub type Target = fn(&[u8]);

/// Every target by name, for the harnesses.
pub const TARGETS: [(&str, Target); 6] = [
    // (model_file_unguarded is for cargo-fuzz only: the panics above are known.)
    ("sql", sql),
    ("model_file", model_file),
    ("manifest", manifest),
    ("pointer_entry", pointer_entry),
    ("xgboost_json", xgboost_json),
    ("table_commit", table_commit),
];
