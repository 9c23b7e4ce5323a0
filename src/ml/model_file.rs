//! The model on disk: Firn's node table as one Parquet file.
//!
//! Columns `tree_id, node_id, feature, threshold, default_left, left, right,
//! leaf_value, gain, cover` — one row per node; `feature` is the feature's name
//! and, with `threshold`, `default_left`, `left` and `right`, is NULL on leaves;
//! `leaf_value` is the leaf's value (a split node's weight elsewhere). The file's
//! key-value metadata holds `firn.format_version`, `firn.objective`,
//! `firn.base_score` and `firn.features` (JSON: name, kind, categories), so the
//! file alone is the whole model and can be queried like any table.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int32Array, RecordBatch, StringArray,
    UInt32Array,
};
use datafusion::arrow::datatypes::{
    DataType, Field, Float64Type, Int32Type, Schema, SchemaRef, UInt32Type,
};
use datafusion::common::{Result, exec_err};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use datafusion::parquet::file::metadata::{KeyValue, ParquetMetaData, ParquetMetaDataReader};
use datafusion::parquet::file::properties::WriterProperties;
use firnml_udfs::model::{FeatureKind, FeatureSpec, NodeTable, Objective, TreeEnsemble};
use serde::{Deserialize, Serialize};

use crate::ml::parquet_pages::check_chunk;

/// Version of the model file layout.
pub const MODEL_FORMAT_VERSION: u32 = 1;

const KEY_VERSION: &str = "firn.format_version";
const KEY_OBJECTIVE: &str = "firn.objective";
const KEY_BASE_SCORE: &str = "firn.base_score";
const KEY_FEATURES: &str = "firn.features";

#[derive(Serialize, Deserialize)]
struct StoredFeature {
    name: String,
    kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    categories: Vec<String>,
}

/// The Arrow schema of the node table.
pub fn node_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("tree_id", DataType::UInt32, false),
        Field::new("node_id", DataType::UInt32, false),
        Field::new("feature", DataType::Utf8, true),
        Field::new("threshold", DataType::Float64, true),
        Field::new("default_left", DataType::Boolean, true),
        Field::new("left", DataType::Int32, true),
        Field::new("right", DataType::Int32, true),
        Field::new("leaf_value", DataType::Float64, false),
        Field::new("gain", DataType::Float64, false),
        Field::new("cover", DataType::Float64, false),
    ]))
}

/// The model's node table as a record batch (what `model_nodes(…)` shows).
pub fn to_record_batch(model: &TreeEnsemble) -> Result<RecordBatch> {
    let nodes = model.nodes();
    let split = |i: usize| !nodes.is_leaf(i);
    let rows = 0..nodes.len();
    let names = model.features();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(nodes.tree_id.clone())),
        Arc::new(UInt32Array::from(nodes.node_id.clone())),
        Arc::new(StringArray::from(
            rows.clone()
                .map(|i| split(i).then(|| names[nodes.feature[i] as usize].name.as_str()))
                .collect::<Vec<_>>(),
        )),
        Arc::new(Float64Array::from(
            rows.clone()
                .map(|i| split(i).then_some(nodes.threshold[i]))
                .collect::<Vec<_>>(),
        )),
        Arc::new(BooleanArray::from(
            rows.clone()
                .map(|i| split(i).then_some(nodes.default_left[i]))
                .collect::<Vec<_>>(),
        )),
        Arc::new(Int32Array::from(
            rows.clone()
                .map(|i| split(i).then_some(nodes.left[i]))
                .collect::<Vec<_>>(),
        )),
        Arc::new(Int32Array::from(
            rows.map(|i| split(i).then_some(nodes.right[i]))
                .collect::<Vec<_>>(),
        )),
        Arc::new(Float64Array::from(nodes.leaf_value.clone())),
        Arc::new(Float64Array::from(nodes.gain.clone())),
        Arc::new(Float64Array::from(nodes.cover.clone())),
    ];
    Ok(RecordBatch::try_new(node_schema(), columns)?)
}

fn metadata(model: &TreeEnsemble) -> Result<Vec<KeyValue>> {
    let features: Vec<StoredFeature> = model
        .features()
        .iter()
        .map(|f| match &f.kind {
            FeatureKind::Numeric => StoredFeature {
                name: f.name.clone(),
                kind: "numeric".into(),
                categories: vec![],
            },
            FeatureKind::Categorical { categories } => StoredFeature {
                name: f.name.clone(),
                kind: "categorical".into(),
                categories: categories.clone(),
            },
        })
        .collect();
    let features = serde_json::to_string(&features)
        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
    Ok(vec![
        KeyValue::new(KEY_VERSION.into(), MODEL_FORMAT_VERSION.to_string()),
        KeyValue::new(KEY_OBJECTIVE.into(), model.objective().name().to_string()),
        // `{:?}` prints the shortest string that parses back to the same f64.
        KeyValue::new(KEY_BASE_SCORE.into(), format!("{:?}", model.base_score())),
        KeyValue::new(KEY_FEATURES.into(), features),
    ])
}

/// The model as the bytes of a Parquet file.
pub fn to_parquet(model: &TreeEnsemble) -> Result<Bytes> {
    let batch = to_record_batch(model)?;
    let props = WriterProperties::builder()
        .set_key_value_metadata(Some(metadata(model)?))
        .build();
    let mut buffer = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buffer, batch.schema(), Some(props))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(Bytes::from(buffer))
}

fn column<'a>(batch: &'a RecordBatch, name: &str, data_type: &DataType) -> Result<&'a ArrayRef> {
    match batch.column_by_name(name) {
        Some(c) if c.data_type() == data_type => Ok(c),
        Some(c) => exec_err!(
            "model file: column '{name}' is {}, expected {data_type}",
            c.data_type()
        ),
        None => exec_err!("model file: column '{name}' is missing"),
    }
}

/// Refuses column chunks that lie outside the file (parquet's reader asserts
/// on negative offsets and sizes) and pages whose headers claim more than
/// their chunk and row group hold (the reader allocates what they claim):
/// both found by fuzzing this reader. Returns the parsed footer, which the
/// reader then uses rather than parsing it again.
fn check_column_chunks(bytes: &Bytes) -> Result<ParquetMetaData> {
    let metadata = ParquetMetaDataReader::new().parse_and_finish(bytes)?;
    let len = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    for row_group in metadata.row_groups() {
        for column in row_group.columns() {
            let start = column
                .dictionary_page_offset()
                .unwrap_or(column.data_page_offset());
            let size = column.compressed_size();
            let inside =
                start >= 0 && size >= 0 && start.checked_add(size).is_some_and(|end| end <= len);
            if !inside {
                return exec_err!(
                    "model file: a column chunk ({start}, {size} bytes) lies outside the file"
                );
            }
            let chunk = &bytes[start as usize..(start + size) as usize];
            let repeated = column.column_descr().max_rep_level() > 0;
            if let Err(problem) = check_chunk(chunk, row_group.num_rows(), repeated) {
                return exec_err!(
                    "model file: damaged: column '{}': {problem}",
                    column.column_path().string()
                );
            }
        }
    }
    Ok(metadata)
}

/// Reads a model from the bytes of its Parquet file; any damage is an error,
/// whatever the bytes: a panic inside a decoder becomes an error too.
pub fn from_parquet(bytes: Bytes) -> Result<TreeEnsemble> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode(bytes))) {
        Ok(result) => result,
        Err(_) => exec_err!("model file: damaged (its Parquet decoder failed on it)"),
    }
}

pub(crate) fn decode(bytes: Bytes) -> Result<TreeEnsemble> {
    // The Arrow schema Parquet writers embed is not needed (the columns are
    // checked by name and type below) and is where damaged bytes reached
    // arrow-ipc's panics: skip it.
    let metadata = check_column_chunks(&bytes)?;
    let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
    let metadata = ArrowReaderMetadata::try_new(Arc::new(metadata), options)?;
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(bytes, metadata);
    let kv: HashMap<String, String> = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|kvs| {
            kvs.iter()
                .filter_map(|kv| kv.value.clone().map(|v| (kv.key.clone(), v)))
                .collect()
        })
        .unwrap_or_default();
    let get = |key: &str| match kv.get(key) {
        Some(v) => Ok(v.as_str()),
        None => exec_err!("model file: metadata '{key}' is missing"),
    };
    let version: u32 = get(KEY_VERSION)?.parse().unwrap_or(u32::MAX);
    if version > MODEL_FORMAT_VERSION {
        return exec_err!(
            "model file: format version {version} is newer than this Firn reads ({MODEL_FORMAT_VERSION})"
        );
    }
    let objective = Objective::from_name(get(KEY_OBJECTIVE)?)?;
    let Ok(base_score) = get(KEY_BASE_SCORE)?.parse::<f64>() else {
        return exec_err!("model file: base_score is not a number");
    };
    let stored: Vec<StoredFeature> = match serde_json::from_str(get(KEY_FEATURES)?) {
        Ok(f) => f,
        Err(e) => return exec_err!("model file: features are not valid JSON: {e}"),
    };
    let features = stored
        .into_iter()
        .map(|f| match f.kind.as_str() {
            "numeric" => Ok(FeatureSpec::numeric(f.name)),
            "categorical" => Ok(FeatureSpec {
                name: f.name,
                kind: FeatureKind::Categorical {
                    categories: f.categories,
                },
            }),
            other => exec_err!("model file: unknown feature kind '{other}'"),
        })
        .collect::<Result<Vec<_>>>()?;
    let index: HashMap<&str, i32> = features
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.as_str(), i as i32))
        .collect();

    let mut nodes = NodeTable::default();
    for batch in builder.build()? {
        let batch = batch?;
        let tree_id = column(&batch, "tree_id", &DataType::UInt32)?.as_primitive::<UInt32Type>();
        let node_id = column(&batch, "node_id", &DataType::UInt32)?.as_primitive::<UInt32Type>();
        let feature = column(&batch, "feature", &DataType::Utf8)?.as_string::<i32>();
        let threshold =
            column(&batch, "threshold", &DataType::Float64)?.as_primitive::<Float64Type>();
        let default_left = column(&batch, "default_left", &DataType::Boolean)?.as_boolean();
        let left = column(&batch, "left", &DataType::Int32)?.as_primitive::<Int32Type>();
        let right = column(&batch, "right", &DataType::Int32)?.as_primitive::<Int32Type>();
        let leaf_value =
            column(&batch, "leaf_value", &DataType::Float64)?.as_primitive::<Float64Type>();
        let gain = column(&batch, "gain", &DataType::Float64)?.as_primitive::<Float64Type>();
        let cover = column(&batch, "cover", &DataType::Float64)?.as_primitive::<Float64Type>();
        for i in 0..batch.num_rows() {
            let feature_index = if feature.is_null(i) {
                -1
            } else {
                match index.get(feature.value(i)) {
                    Some(&f) => f,
                    None => {
                        return exec_err!(
                            "model file: node {i} splits on unknown feature '{}'",
                            feature.value(i)
                        );
                    }
                }
            };
            let or = |array: &dyn Array, fallback: bool| array.is_null(i).then_some(fallback);
            nodes.push(
                tree_id.value(i),
                node_id.value(i),
                feature_index,
                or(threshold, true).map_or(threshold.value(i), |_| 0.0),
                !default_left.is_null(i) && default_left.value(i),
                or(left, true).map_or(left.value(i), |_| -1),
                or(right, true).map_or(right.value(i), |_| -1),
                leaf_value.value(i),
                gain.value(i),
                cover.value(i),
            );
        }
    }
    TreeEnsemble::try_new(objective, base_score, features, nodes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::forust::ForustTrainer;
    use crate::ml::params::GbdtParams;
    use crate::ml::trainer::Trainer;

    #[test]
    fn round_trips_a_trained_model() {
        let mut data = crate::ml::forust::tests::synthetic(500, 9);
        data.features[2] = FeatureSpec {
            name: "c".into(),
            kind: FeatureKind::Categorical {
                categories: vec!["x".into(), "y".into(), "z".into()],
            },
        };
        let params = GbdtParams {
            n_estimators: 8,
            max_depth: 3,
            ..GbdtParams::default()
        };
        let model = ForustTrainer.fit(&data, &params).expect("fit");
        let bytes = to_parquet(&model).expect("write");
        let back = from_parquet(bytes).expect("read");
        assert_eq!(back, model);
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        let data = crate::ml::forust::tests::synthetic(200, 10);
        let model = ForustTrainer
            .fit(
                &data,
                &GbdtParams {
                    n_estimators: 2,
                    ..GbdtParams::default()
                },
            )
            .expect("fit");
        let bytes = to_parquet(&model).expect("write");
        let truncated = bytes.slice(0..bytes.len() / 2);
        assert!(from_parquet(truncated).is_err());
        assert!(from_parquet(Bytes::from_static(b"not parquet at all")).is_err());
        // a node table without the metadata is not a model
        let batch = to_record_batch(&model).expect("batch");
        let mut plain = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut plain, batch.schema(), None).expect("writer");
        writer.write(&batch).expect("write");
        writer.close().expect("close");
        let err = from_parquet(Bytes::from(plain)).expect_err("no metadata");
        assert!(
            err.to_string()
                .contains("metadata 'firn.format_version' is missing"),
            "{err}"
        );
    }

    fn small_model() -> TreeEnsemble {
        let data = crate::ml::forust::tests::synthetic(200, 10);
        let params = GbdtParams {
            n_estimators: 2,
            max_depth: 2,
            ..GbdtParams::default()
        };
        ForustTrainer.fit(&data, &params).expect("fit")
    }

    /// Issue 12's reproducer: damage inside the embedded Arrow schema made
    /// arrow-ipc panic ("Int type with bit width of 1056"). It is not read now.
    #[test]
    fn a_damaged_embedded_arrow_schema_does_not_matter() {
        let model = small_model();
        let bytes = to_parquet(&model).expect("write").to_vec();
        let key = b"ARROW:schema";
        let at = bytes
            .windows(key.len())
            .position(|w| w == key)
            .expect("the writer embeds the Arrow schema");
        // The base64 value follows its key (after the Thrift field header and length).
        for offset in (key.len() + 8..key.len() + 200).step_by(3) {
            let mut damaged = bytes.clone();
            if let Some(byte) = damaged.get_mut(at + offset)
                && byte.is_ascii_alphanumeric()
            {
                *byte = if *byte == b'A' { b'/' } else { b'A' };
                let back = decode(Bytes::from(damaged)).expect("the damage is skipped");
                assert_eq!(back, model);
            }
        }
    }

    /// Any single damaged byte gives a model or an error, never a panic.
    #[test]
    fn no_single_byte_damage_panics() {
        let bytes = to_parquet(&small_model()).expect("write");
        for position in 0..bytes.len() {
            for pattern in [0x00, 0xFF, 0x80] {
                let mut damaged = bytes.to_vec();
                damaged[position] ^= pattern | 1;
                let _ = from_parquet(Bytes::from(damaged));
            }
        }
    }

    /// cargo-fuzz's finds (tests/data/fuzz/model_file/): a 2.5 KB file whose
    /// page header claims about two billion values made the reader allocate
    /// 7.8 GB, and three took 5 to 17 s in parquet's page header reader. Each
    /// is refused by its page headers now, before any decoder reads it.
    #[test]
    fn pages_claiming_more_than_their_file_holds_are_refused() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz/model_file");
        let mut found = 0;
        for entry in std::fs::read_dir(dir).expect("fixtures").flatten() {
            let bytes = std::fs::read(entry.path()).expect("fixture");
            let name = entry.file_name().to_string_lossy().into_owned();
            let err = from_parquet(Bytes::from(bytes))
                .expect_err(&name)
                .to_string();
            assert!(
                err.contains("model file: damaged: column '"),
                "{name}: {err}"
            );
            assert!(err.contains("of its chunk"), "{name}: {err}");
            found += 1;
        }
        assert_eq!(found, 4, "the fixtures");
    }
}
