//! Reading a JSON document with errors that name the path of the bad field.

use datafusion::common::{Result, plan_datafusion_err, plan_err};
use serde_json::Value;

/// A value in the document and its path there, so that every error names the field.
pub(super) struct At<'a> {
    pub(super) value: &'a Value,
    pub(super) path: String,
}

impl<'a> At<'a> {
    pub(super) fn join(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub(super) fn opt(&self, key: &str) -> Option<At<'a>> {
        self.value.get(key).map(|value| At {
            value,
            path: self.join(key),
        })
    }

    pub(super) fn get(&self, key: &str) -> Result<At<'a>> {
        self.opt(key).ok_or_else(|| {
            plan_datafusion_err!("invalid XGBoost model: missing field '{}'", self.join(key))
        })
    }

    pub(super) fn bad<T>(&self, expected: &str) -> Result<T> {
        plan_err!(
            "invalid XGBoost model: field '{}' should be {expected}, found {}",
            self.path,
            self.value
        )
    }

    pub(super) fn str(&self) -> Result<&'a str> {
        self.value.as_str().map_or_else(|| self.bad("a string"), Ok)
    }

    pub(super) fn items(&self) -> Result<Vec<At<'a>>> {
        match self.value.as_array() {
            Some(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, value)| At {
                    value,
                    path: format!("{}[{i}]", self.path),
                })
                .collect()),
            None => self.bad("an array"),
        }
    }

    /// An integer, also as a string: XGBoost writes its parameters as strings.
    pub(super) fn int(&self) -> Result<i64> {
        let parsed = match self.value {
            Value::String(s) => s.trim().parse().ok(),
            other => other.as_i64(),
        };
        parsed.map_or_else(|| self.bad("an integer"), Ok)
    }

    pub(super) fn ints(&self) -> Result<Vec<i64>> {
        self.items()?
            .iter()
            .map(|item| {
                item.value
                    .as_i64()
                    .map_or_else(|| item.bad("an integer"), Ok)
            })
            .collect()
    }

    pub(super) fn floats(&self) -> Result<Vec<f64>> {
        self.items()?
            .iter()
            .map(|item| item.value.as_f64().map_or_else(|| item.bad("a number"), Ok))
            .collect()
    }

    /// 0/1 integers (XGBoost ≥ 1.6) or booleans.
    pub(super) fn flags(&self) -> Result<Vec<bool>> {
        let flag = |item: &At| match item.value {
            Value::Bool(b) => Ok(*b),
            Value::Number(n) if n.as_u64().is_some_and(|v| v <= 1) => Ok(n.as_u64() == Some(1)),
            _ => item.bad("0 or 1"),
        };
        self.items()?.iter().map(flag).collect()
    }
}
