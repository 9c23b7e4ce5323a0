//! A version's manifest: what the model is, how it was made, and where its
//! node table is. The manifest is the version: it is published last, with
//! put-if-absent, and a version without one does not exist.
//!
//! This is a storage format with its own version ([`MANIFEST_FORMAT_VERSION`]);
//! a file from a newer Firn is refused with a clear error rather than misread.
//! Format 2 added the training profile; format 1 files read with none.

use chrono::DateTime;
use firnml_udfs::model::{FeatureKind, FeatureSpec, TreeEnsemble};
use serde::{Deserialize, Serialize};

use super::corrupt;
use super::profile::TrainingProfile;
use crate::error::Result;

/// Version of the manifest format this build writes and reads.
pub const MANIFEST_FORMAT_VERSION: u32 = 2;

/// How a feature's values are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureKind {
    /// Numbers.
    Numeric,
    /// Strings coded by their position in the categories.
    Categorical,
}

/// One input feature of a model version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureSignature {
    /// Column name in the training data.
    pub name: String,
    /// How values are encoded.
    pub kind: SignatureKind,
    /// The categories seen in training (categorical features only), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
}

impl FeatureSignature {
    /// The signature of one model feature.
    pub fn of(spec: &FeatureSpec) -> Self {
        match &spec.kind {
            FeatureKind::Numeric => Self {
                name: spec.name.clone(),
                kind: SignatureKind::Numeric,
                categories: Vec::new(),
            },
            FeatureKind::Categorical { categories } => Self {
                name: spec.name.clone(),
                kind: SignatureKind::Categorical,
                categories: categories.clone(),
            },
        }
    }

    /// The signature of every feature of `model`, in model order.
    pub fn of_model(model: &TreeEnsemble) -> Vec<Self> {
        model.features().iter().map(Self::of).collect()
    }
}

/// One published model version, as stored in `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format of this file ([`MANIFEST_FORMAT_VERSION`]).
    pub format_version: u32,
    /// The model's name (lower case).
    pub name: String,
    /// The version (lower case).
    pub version: String,
    /// When the version was published (RFC 3339, UTC).
    pub created_at: String,
    /// A free-text comment. As stored this is the comment given at publication;
    /// the registry's readers return the current one (comments are mutable and
    /// live in the pointer log).
    #[serde(default)]
    pub comment: Option<String>,
    /// The objective, e.g. `binary:logistic`.
    pub objective: String,
    /// The model's input features.
    pub signature: Vec<FeatureSignature>,
    /// Training parameters as `(name, value)` strings.
    #[serde(default, with = "named_strings")]
    pub params: Vec<(String, String)>,
    /// Which parameters the statement named: `(name, "set" | "search")`; the
    /// rest are defaults. `None` in versions published before Firn recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param_origins: Option<Vec<(String, String)>>,
    /// Evaluation metrics as `(name, value)`; non-finite values survive the trip.
    #[serde(default, with = "named_numbers")]
    pub metrics: Vec<(String, f64)>,
    /// A fingerprint of the training data (its identity, not its content).
    #[serde(default)]
    pub training_data_fingerprint: String,
    /// The training backend, e.g. `forust-ml 0.8`.
    #[serde(default)]
    pub trainer: String,
    /// Where the model came from (tables, feature views, parent models…); may be empty.
    #[serde(default)]
    pub lineage: Vec<String>,
    /// The experiment run that produced the model, if any.
    #[serde(default)]
    pub run_id: Option<String>,
    /// The label column the model was trained on, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// How the training rows were split, so the held-out rows can be found again
    /// (checked against `training_data_fingerprint`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<SplitInfo>,
    /// The training data's distribution (format 2 on; `None` in older versions
    /// and in models not made by `CREATE MODEL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<TrainingProfile>,
    /// The Firn build that published the version (its crate version; `None`
    /// in versions published before Firn recorded it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firn_version: Option<String>,
    /// File name of the model's node table, in the version directory.
    pub model_file: String,
}

/// The version of this Firn build, as manifests record it.
pub const FIRN_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How `CREATE MODEL` split its rows: `train_test_split(labels, test_fraction,
/// seed, stratified)` over the rows of the lineage query, in query order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitInfo {
    /// Share of rows held out (0: none).
    pub test_fraction: f64,
    /// The split's seed.
    pub seed: u64,
    /// Whether the split kept the class balance.
    pub stratified: bool,
    /// Decision threshold of the held-out classifier metrics.
    pub threshold: f64,
}

/// Everything about a new version except the model itself and the registry's
/// own fields (`created_at`, `model_file`, `signature`, `objective`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewVersion {
    /// The model's name (validated and case-folded on publication).
    pub name: String,
    /// The version (validated and case-folded on publication).
    pub version: String,
    /// A free-text comment.
    pub comment: Option<String>,
    /// Training parameters as `(name, value)` strings.
    pub params: Vec<(String, String)>,
    /// Which parameters the user named (`"set"` or `"search"`), if known.
    pub param_origins: Option<Vec<(String, String)>>,
    /// Evaluation metrics as `(name, value)`.
    pub metrics: Vec<(String, f64)>,
    /// A fingerprint of the training data.
    pub training_data_fingerprint: String,
    /// The training backend.
    pub trainer: String,
    /// Where the model came from; may be empty.
    pub lineage: Vec<String>,
    /// The experiment run that produced the model, if any.
    pub run_id: Option<String>,
    /// The label column, if known.
    pub label: Option<String>,
    /// How the training rows were split, if the model came from `CREATE MODEL`.
    pub split: Option<SplitInfo>,
    /// The training data's distribution, if the model came from `CREATE MODEL`.
    pub profile: Option<TrainingProfile>,
    /// What the experiment log must hold for `run_id` (JSON), kept beside the
    /// version from before it becomes visible (see [`crate::registry::Registry::pending_run`]).
    pub pending_run: Option<String>,
}

impl NewVersion {
    /// A version `version` of model `name` with nothing else recorded yet.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            ..Self::default()
        }
    }
}

/// The manifest as JSON bytes.
pub(super) fn encode(manifest: &Manifest, path: &str) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(manifest)
        .map_err(|e| corrupt(path, format!("cannot encode manifest: {e}")))
}

/// Reads the manifest at `path`, which must describe `name` / `version`.
pub(crate) fn decode(bytes: &[u8], path: &str, name: &str, version: &str) -> Result<Manifest> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| corrupt(path, format!("not valid JSON: {e}")))?;
    let Some(format_version) = value.get("format_version").and_then(|v| v.as_u64()) else {
        return Err(corrupt(path, "not a model manifest (no format_version)"));
    };
    if format_version > u64::from(MANIFEST_FORMAT_VERSION) {
        return Err(corrupt(
            path,
            format!(
                "written by a newer Firn (manifest format {format_version}, this build reads up to {MANIFEST_FORMAT_VERSION})"
            ),
        ));
    }
    let manifest: Manifest = serde_json::from_value(value)
        .map_err(|e| corrupt(path, format!("not a valid model manifest: {e}")))?;
    if manifest.name != name || manifest.version != version {
        return Err(corrupt(
            path,
            format!(
                "manifest describes {}@{}, but is stored as {name}@{version}",
                manifest.name, manifest.version
            ),
        ));
    }
    if let Some(problem) = manifest.profile.as_ref().and_then(TrainingProfile::problem) {
        return Err(corrupt(path, format!("its training profile: {problem}")));
    }
    if DateTime::parse_from_rfc3339(&manifest.created_at).is_err() {
        return Err(corrupt(
            path,
            format!(
                "created_at '{}' is not an RFC 3339 time",
                manifest.created_at
            ),
        ));
    }
    let file = &manifest.model_file;
    if file.is_empty() || file.contains(['/', '\\']) || file.starts_with('.') {
        return Err(corrupt(
            path,
            format!(
                "model_file '{}' is not a plain file name",
                file.escape_debug()
            ),
        ));
    }
    Ok(manifest)
}

/// `[(name, value)]` as `[{"name": …, "value": "…"}]`.
mod named_strings {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Named {
        name: String,
        value: String,
    }

    pub fn serialize<S: Serializer>(pairs: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
        let named: Vec<Named> = pairs
            .iter()
            .map(|(name, value)| Named {
                name: name.clone(),
                value: value.clone(),
            })
            .collect();
        named.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
        let named = Vec::<Named>::deserialize(d)?;
        Ok(named.into_iter().map(|n| (n.name, n.value)).collect())
    }
}

/// `[(name, f64)]` as `[{"name": …, "value": 0.5}]`; NaN and infinities (which
/// JSON cannot hold as numbers) are written as the strings `NaN`, `inf`, `-inf`.
mod named_numbers {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Number {
        Finite(f64),
        Special(String),
    }

    #[derive(Serialize, Deserialize)]
    struct Named {
        name: String,
        value: Number,
    }

    pub fn serialize<S: Serializer>(pairs: &[(String, f64)], s: S) -> Result<S::Ok, S::Error> {
        let named: Vec<Named> = pairs
            .iter()
            .map(|(name, value)| Named {
                name: name.clone(),
                value: if value.is_finite() {
                    Number::Finite(*value)
                } else {
                    Number::Special(value.to_string())
                },
            })
            .collect();
        named.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, f64)>, D::Error> {
        Vec::<Named>::deserialize(d)?
            .into_iter()
            .map(|n| match n.value {
                Number::Finite(v) => Ok((n.name, v)),
                Number::Special(text) => match text.as_str() {
                    "NaN" | "inf" | "-inf" => Ok((n.name, text.parse().unwrap_or(f64::NAN))),
                    other => Err(D::Error::custom(format!(
                        "metric '{}' has value '{other}', not a number",
                        n.name
                    ))),
                },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn sample() -> Manifest {
        Manifest {
            format_version: MANIFEST_FORMAT_VERSION,
            name: "churn".into(),
            version: "v1".into(),
            created_at: "2025-01-01T00:00:00.000Z".into(),
            comment: Some("first".into()),
            objective: "binary:logistic".into(),
            signature: vec![FeatureSignature {
                name: "plan".into(),
                kind: SignatureKind::Categorical,
                categories: vec!["basic".into(), "pro".into()],
            }],
            params: vec![("max_depth".into(), "4".into())],
            param_origins: Some(vec![("max_depth".into(), "set".into())]),
            metrics: vec![
                ("auc".into(), 0.91),
                ("nan".into(), f64::NAN),
                ("inf".into(), f64::NEG_INFINITY),
            ],
            training_data_fingerprint: "sha256:abc".into(),
            trainer: "forust-ml 0.8".into(),
            lineage: vec!["table:customers".into()],
            run_id: None,
            label: Some("churned".into()),
            split: Some(SplitInfo {
                test_fraction: 0.2,
                seed: 42,
                stratified: true,
                threshold: 0.5,
            }),
            profile: None,
            firn_version: Some(FIRN_VERSION.into()),
            model_file: "model-1.parquet".into(),
        }
    }

    fn reason(result: Result<Manifest>) -> String {
        match result {
            Err(Error::Corrupt { path, reason }) => {
                assert_eq!(path, "models/churn/v1/manifest.json");
                reason
            }
            other => panic!("expected a corrupt-file error, got {other:?}"),
        }
    }

    const PATH: &str = "models/churn/v1/manifest.json";

    #[test]
    fn round_trips_including_non_finite_metrics() {
        let manifest = sample();
        let bytes = encode(&manifest, PATH).expect("encodes");
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(text.contains(r#""name": "max_depth""#), "{text}");
        assert!(text.contains(r#""value": "-inf""#), "{text}");
        let back = decode(&bytes, PATH, "churn", "v1").expect("decodes");
        assert_eq!(back.metrics[0], ("auc".to_string(), 0.91));
        assert!(back.metrics[1].1.is_nan());
        assert_eq!(back.metrics[2].1, f64::NEG_INFINITY);
        let finite = |m: &Manifest| Manifest {
            metrics: m.metrics[..1].to_vec(),
            ..m.clone()
        };
        assert_eq!(finite(&back), finite(&manifest));
    }

    #[test]
    fn damage_and_newer_formats_are_clear_errors() {
        assert!(reason(decode(b"{not json", PATH, "churn", "v1")).contains("not valid JSON"));
        assert!(reason(decode(b"{}", PATH, "churn", "v1")).contains("no format_version"));
        let newer = br#"{"format_version": 3, "whatever": true}"#;
        assert_eq!(
            reason(decode(newer, PATH, "churn", "v1")),
            "written by a newer Firn (manifest format 3, this build reads up to 2)"
        );
        let missing = br#"{"format_version": 1, "name": "churn"}"#;
        assert!(
            reason(decode(missing, PATH, "churn", "v1")).contains("not a valid model manifest")
        );
        let elsewhere = encode(&sample(), PATH).expect("encodes");
        assert!(reason(decode(&elsewhere, PATH, "churn", "v2")).contains("stored as churn@v2"));
        let escape = Manifest {
            model_file: "../../secret".into(),
            ..sample()
        };
        let bytes = encode(&escape, PATH).expect("encodes");
        assert!(reason(decode(&bytes, PATH, "churn", "v1")).contains("not a plain file name"));
    }

    fn numeric(values: &[f64]) -> super::super::profile::NumericProfile {
        super::super::profile::NumericProfile {
            count: values.len() as u64,
            nulls: 1,
            min: values[0],
            max: values[values.len() - 1],
            mean: 0.1 + 0.2,
            std: 1.0 / 3.0,
            percentiles: (0..101).map(|i| f64::from(i) / 7.0).collect(),
            decile_counts: {
                let mut counts = vec![0; 10];
                counts[0] = values.len() as u64;
                counts
            },
        }
    }

    #[test]
    fn a_profile_round_trips_bit_for_bit_and_format_1_reads_without_one() {
        use super::super::profile::{
            CategoricalProfile, CategoryCount, Distribution, FeatureProfile,
        };
        let profile = TrainingProfile {
            rows: 4,
            features: vec![
                FeatureProfile {
                    name: "x".into(),
                    distribution: Distribution::Numeric(numeric(&[0.1, 0.7, 2.0 / 3.0])),
                },
                FeatureProfile {
                    name: "plan".into(),
                    distribution: Distribution::Categorical(CategoricalProfile {
                        nulls: 0,
                        categories: vec![CategoryCount {
                            value: "basic".into(),
                            count: 4,
                            share: 1.0,
                        }],
                    }),
                },
            ],
            prediction: numeric(&[0.25, 0.5, 0.75]),
        };
        let manifest = Manifest {
            profile: Some(profile),
            metrics: vec![("auc".into(), 0.91)],
            ..sample()
        };
        let bytes = encode(&manifest, PATH).expect("encodes");
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(text.contains(r#""kind": "categorical""#), "{text}");
        assert_eq!(
            decode(&bytes, PATH, "churn", "v1").expect("decodes"),
            manifest
        );

        // A format-1 manifest (no profile) still reads, with no profile.
        let mut old: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        old["format_version"] = 1.into();
        if let Some(object) = old.as_object_mut() {
            object.remove("profile");
        }
        let old = serde_json::to_vec(&old).expect("json");
        assert_eq!(
            decode(&old, PATH, "churn", "v1").expect("decodes").profile,
            None
        );

        // A damaged profile is a corrupt file, naming what is wrong.
        let mut damaged: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        damaged["profile"]["features"][0]["percentiles"] = serde_json::json!([1.0, 0.0]);
        let damaged = serde_json::to_vec(&damaged).expect("json");
        assert_eq!(
            reason(decode(&damaged, PATH, "churn", "v1")),
            "its training profile: feature 'x' has 2 percentiles, expected 101"
        );
    }
}
