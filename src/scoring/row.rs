//! One row of features as an application hands it over, and its encoding into
//! the numbers trees work on — the same encoding `predict(…)` applies to Arrow
//! columns (see `firnml::model::features`).

use std::collections::HashMap;

use firnml_udfs::model::{FeatureKind, FeatureSpec};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One feature value. In JSON: a number, a boolean, a string or `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FeatureValue {
    /// A number (also a date as days since 1970-01-01).
    Number(f64),
    /// A boolean, used as 0 or 1.
    Bool(bool),
    /// A category.
    Text(String),
    /// Missing: each split sends it the way it learned.
    Missing,
}

impl From<f64> for FeatureValue {
    fn from(value: f64) -> Self {
        FeatureValue::Number(value)
    }
}

impl From<i64> for FeatureValue {
    fn from(value: i64) -> Self {
        FeatureValue::Number(value as f64)
    }
}

impl From<bool> for FeatureValue {
    fn from(value: bool) -> Self {
        FeatureValue::Bool(value)
    }
}

impl From<&str> for FeatureValue {
    fn from(value: &str) -> Self {
        FeatureValue::Text(value.to_string())
    }
}

impl From<String> for FeatureValue {
    fn from(value: String) -> Self {
        FeatureValue::Text(value)
    }
}

impl<T: Into<FeatureValue>> From<Option<T>> for FeatureValue {
    fn from(value: Option<T>) -> Self {
        value.map_or(FeatureValue::Missing, Into::into)
    }
}

/// Encodes rows for one model: feature positions by name and category codes,
/// computed once per loaded version.
#[derive(Debug)]
pub(crate) struct RowEncoder {
    specs: Vec<FeatureSpec>,
    positions: HashMap<String, usize>,
    /// Per feature: category → code (empty for numeric features).
    codes: Vec<HashMap<String, f64>>,
}

impl RowEncoder {
    pub(crate) fn new(specs: &[FeatureSpec]) -> Self {
        let codes = specs
            .iter()
            .map(|spec| match &spec.kind {
                FeatureKind::Numeric => HashMap::new(),
                FeatureKind::Categorical { categories } => categories
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.clone(), i as f64))
                    .collect(),
            })
            .collect();
        Self {
            specs: specs.to_vec(),
            positions: specs
                .iter()
                .enumerate()
                .map(|(i, s)| (s.name.clone(), i))
                .collect(),
            codes,
        }
    }

    pub(crate) fn specs(&self) -> &[FeatureSpec] {
        &self.specs
    }

    /// Encodes values given in the model's feature order into `out`.
    pub(crate) fn encode(&self, row: &[FeatureValue], out: &mut Vec<f64>) -> Result<()> {
        if row.len() != self.specs.len() {
            return Err(plan(format!(
                "expected {} features ({}), got {}",
                self.specs.len(),
                self.names(),
                row.len()
            )));
        }
        out.clear();
        for (i, value) in row.iter().enumerate() {
            out.push(self.encode_value(i, value)?);
        }
        Ok(())
    }

    /// Encodes values given by name; names the model does not use are ignored,
    /// a feature the row lacks is an error (pass `null` for a missing value).
    pub(crate) fn encode_named(
        &self,
        row: &HashMap<String, FeatureValue>,
        out: &mut Vec<f64>,
    ) -> Result<()> {
        let absent: Vec<&str> = self
            .specs
            .iter()
            .filter(|s| !row.contains_key(&s.name))
            .map(|s| s.name.as_str())
            .collect();
        if !absent.is_empty() {
            return Err(plan(format!(
                "missing features: {} (the model expects {}; pass null for a missing value)",
                absent.join(", "),
                self.names()
            )));
        }
        out.clear();
        out.resize(self.specs.len(), f64::NAN);
        for (name, value) in row {
            if let Some(&i) = self.positions.get(name) {
                out[i] = self.encode_value(i, value)?;
            }
        }
        Ok(())
    }

    fn encode_value(&self, i: usize, value: &FeatureValue) -> Result<f64> {
        let spec = &self.specs[i];
        match (&spec.kind, value) {
            (_, FeatureValue::Missing) => Ok(f64::NAN),
            (FeatureKind::Numeric, FeatureValue::Number(n)) => Ok(*n),
            (FeatureKind::Numeric, FeatureValue::Bool(b)) => Ok(f64::from(u8::from(*b))),
            (FeatureKind::Categorical { .. }, FeatureValue::Text(t)) => {
                // An unseen category is missing, as in SQL scoring.
                Ok(self.codes[i].get(t).copied().unwrap_or(f64::NAN))
            }
            (FeatureKind::Numeric, FeatureValue::Text(_)) => Err(plan(format!(
                "feature '{}' is numeric; got text",
                spec.name
            ))),
            (FeatureKind::Categorical { .. }, _) => Err(plan(format!(
                "feature '{}' is a category (text); got {value:?}",
                spec.name
            ))),
        }
    }

    fn names(&self) -> String {
        self.specs
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn plan(message: String) -> Error {
    Error::DataFusion(datafusion::error::DataFusionError::Plan(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoder() -> RowEncoder {
        RowEncoder::new(&[
            FeatureSpec::numeric("days"),
            FeatureSpec {
                name: "segment".into(),
                kind: FeatureKind::Categorical {
                    categories: vec!["Basic".into(), "Premium".into()],
                },
            },
        ])
    }

    #[test]
    fn encodes_by_position_and_by_name() {
        let encoder = encoder();
        let mut out = Vec::new();
        encoder
            .encode(&[3.0.into(), "Premium".into()], &mut out)
            .expect("encode");
        assert_eq!(out, vec![3.0, 1.0]);
        let named: HashMap<String, FeatureValue> = [
            ("segment".to_string(), "Gold".into()),
            ("days".to_string(), true.into()),
            ("customer_id".to_string(), 7i64.into()),
        ]
        .into();
        encoder.encode_named(&named, &mut out).expect("encode");
        assert_eq!(out[0], 1.0);
        assert!(out[1].is_nan(), "an unseen category is missing");
    }

    #[test]
    fn wrong_rows_are_errors_naming_the_feature() {
        let encoder = encoder();
        let mut out = Vec::new();
        let err = encoder.encode(&[1.0.into()], &mut out).unwrap_err();
        assert!(
            err.to_string()
                .contains("expected 2 features (days, segment), got 1"),
            "{err}"
        );
        let err = encoder
            .encode(&["x".into(), "Basic".into()], &mut out)
            .unwrap_err();
        assert!(
            err.to_string().contains("feature 'days' is numeric"),
            "{err}"
        );
        let named: HashMap<String, FeatureValue> = [("days".to_string(), 1.0.into())].into();
        let err = encoder.encode_named(&named, &mut out).unwrap_err();
        assert!(
            err.to_string().contains("missing features: segment"),
            "{err}"
        );
    }

    #[test]
    fn json_values_deserialize_by_kind() {
        let row: HashMap<String, FeatureValue> =
            serde_json::from_str(r#"{"a": 1.5, "b": "x", "c": null, "d": true}"#).expect("json");
        assert_eq!(row["a"], FeatureValue::Number(1.5));
        assert_eq!(row["b"], FeatureValue::Text("x".into()));
        assert_eq!(row["c"], FeatureValue::Missing);
        assert_eq!(row["d"], FeatureValue::Bool(true));
    }
}
