//! Names of entities, feature views and their versions.
//!
//! The same rules as the model registry's names (`crate::registry::names`): 1–128
//! ASCII letters, digits, `_`, `-` and `.`, not starting with `.` and without
//! `..`, so a name is always one safe path segment; names fold to lower case as
//! SQL folds unquoted identifiers. Versions may not start with `_` (Firn keeps
//! such directory names for itself).

use std::fmt;

use super::plan_error;
use crate::error::Result;

/// Longest name accepted.
pub const MAX_NAME_LEN: usize = 128;

/// What a name names, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// An entity.
    Entity,
    /// A feature view.
    FeatureView,
    /// A version of a feature view.
    Version,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Entity => "entity name",
            NameKind::FeatureView => "feature view name",
            NameKind::Version => "feature view version",
        })
    }
}

/// Checks `value` as a name of `kind` and returns it folded to lower case.
pub fn validate(kind: NameKind, value: &str) -> Result<String> {
    let bad = |reason: &str| {
        plan_error(format!(
            "invalid {kind} '{}': {reason}",
            value.escape_debug()
        ))
    };
    if value.is_empty() {
        return Err(bad("it is empty"));
    }
    if value.chars().count() > MAX_NAME_LEN {
        return Err(bad(&format!("longer than {MAX_NAME_LEN} characters")));
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        let reason = match c {
            '/' | '\\' => "it must not contain '/' or '\\'".to_string(),
            c if c.is_control() => "it must not contain control characters".to_string(),
            c if c.is_whitespace() => "it must not contain whitespace".to_string(),
            ':' => "it must not contain ':' (write view:version)".to_string(),
            c => format!("'{c}' is not allowed; use letters, digits, '_', '-' and '.'"),
        };
        return Err(bad(&reason));
    }
    if value.starts_with('.') {
        return Err(bad("it must not start with '.'"));
    }
    if value.contains("..") {
        return Err(bad("it must not contain '..'"));
    }
    if kind == NameKind::Version && value.starts_with('_') {
        return Err(bad("versions starting with '_' are reserved for Firn"));
    }
    Ok(value.to_ascii_lowercase())
}

/// A validated, lower-case entity name.
pub fn entity(value: &str) -> Result<String> {
    validate(NameKind::Entity, value)
}

/// A validated, lower-case feature view name.
pub fn feature_view(value: &str) -> Result<String> {
    validate(NameKind::FeatureView, value)
}

/// A validated, lower-case feature view version.
pub fn version(value: &str) -> Result<String> {
    validate(NameKind::Version, value)
}

/// A reference to one version of a feature view: `name:version`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ViewRef {
    /// The feature view.
    pub name: String,
    /// The version.
    pub version: String,
}

impl ViewRef {
    /// Version `version` of view `name`, both validated and folded.
    pub fn new(name: &str, version: &str) -> Result<Self> {
        Ok(Self {
            name: feature_view(name)?,
            version: self::version(version)?,
        })
    }

    /// Parses `name:version`.
    pub fn parse(reference: &str) -> Result<Self> {
        match reference.split_once(':') {
            Some((name, version)) => Self::new(name.trim(), version.trim()),
            None => Err(plan_error(format!(
                "feature view reference '{reference}' has no version; write 'name:version', e.g. 'customer_features:v2'"
            ))),
        }
    }
}

impl fmt::Display for ViewRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_and_bad_names_say_why() {
        assert_eq!(entity("Customer").expect("valid"), "customer");
        assert_eq!(version("V2").expect("valid"), "v2");
        for (bad, reason) in [
            ("a/b", "must not contain '/'"),
            ("..", "must not start with '.'"),
            ("a..b", "must not contain '..'"),
            ("", "it is empty"),
            ("a b", "whitespace"),
            ("a:b", "must not contain ':'"),
        ] {
            let message = feature_view(bad).expect_err(bad).to_string();
            assert!(message.contains("invalid feature view name"), "{message}");
            assert!(message.contains(reason), "{bad}: {message}");
        }
        assert!(
            version("_log")
                .expect_err("reserved")
                .to_string()
                .contains("reserved")
        );
    }

    #[test]
    fn view_references_parse_and_print() {
        let r = ViewRef::parse("Customer_Features:V2").expect("valid");
        assert_eq!(r, ViewRef::new("customer_features", "v2").expect("valid"));
        assert_eq!(r.to_string(), "customer_features:v2");
        assert!(
            ViewRef::parse("customer_features")
                .expect_err("no version")
                .to_string()
                .contains("has no version")
        );
        assert!(ViewRef::parse("x:../v").is_err());
    }
}
