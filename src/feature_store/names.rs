//! Names of entities, feature views and their versions.
//!
//! The same rule as every stored object's name ([`crate::storage::object_name`]).

use std::fmt;

use super::plan_error;
use crate::error::Result;
use crate::storage::object_name::validate_name;

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
    validate_name(
        kind,
        value,
        (':', "view:version"),
        kind == NameKind::Version,
    )
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
