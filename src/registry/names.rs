//! Model names, versions and aliases, and model references like `churn@v2`.
//!
//! Names follow Firn's one rule for stored objects
//! ([`crate::storage::object_name`]); the pointer log lives in `_refs`, which
//! no version can be called.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::storage::object_name::validate_name;

/// What a name names, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A model's name.
    Model,
    /// A version of a model.
    Version,
    /// An alias of a version.
    Alias,
    /// The part after `@` of a model reference: a version or an alias.
    VersionOrAlias,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Model => "model name",
            NameKind::Version => "version",
            NameKind::Alias => "alias",
            NameKind::VersionOrAlias => "version or alias",
        })
    }
}

/// Checks `value` as a name of `kind` and returns it folded to lower case.
pub fn validate(kind: NameKind, value: &str) -> Result<String> {
    validate_name(
        kind,
        value,
        ('@', "model@version"),
        kind == NameKind::Version,
    )
}

/// A validated, lower-case model name.
pub fn model_name(value: &str) -> Result<String> {
    validate(NameKind::Model, value)
}

/// A validated, lower-case version.
pub fn version(value: &str) -> Result<String> {
    validate(NameKind::Version, value)
}

/// A validated, lower-case alias.
pub fn alias(value: &str) -> Result<String> {
    validate(NameKind::Alias, value)
}

/// A reference to a model version: `name` (the default version), `name@version`
/// or `name@alias`. Both parts are validated and lower case.
///
/// ```
/// use firnml::registry::ModelRef;
/// let r: ModelRef = "Churn@Prod".parse()?;
/// assert_eq!((r.name.as_str(), r.target.as_deref()), ("churn", Some("prod")));
/// assert_eq!(r.to_string(), "churn@prod");
/// assert!("../x".parse::<ModelRef>().is_err());
/// # Ok::<(), firnml::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelRef {
    /// The model's name.
    pub name: String,
    /// A version or an alias; `None` means the default version. A version of
    /// that name wins over an alias (the registry keeps the two apart).
    pub target: Option<String>,
}

impl ModelRef {
    /// Parses `name`, `name@version` or `name@alias`.
    pub fn parse(reference: &str) -> Result<Self> {
        match reference.split_once('@') {
            // Feature views are named `view:version` (as in Feast); models are
            // `name@version`, and the error says so.
            None if reference.contains(':') => {
                let (name, target) = reference.split_once(':').unwrap_or((reference, ""));
                Err(Error::DataFusion(datafusion::error::DataFusionError::Plan(
                    format!(
                        "invalid model reference '{reference}': a version or alias follows '@'; \
                     did you mean '{name}@{target}'?"
                    ),
                )))
            }
            None => Ok(Self {
                name: model_name(reference)?,
                target: None,
            }),
            Some((name, target)) => Ok(Self {
                name: model_name(name)?,
                target: Some(validate(NameKind::VersionOrAlias, target)?),
            }),
        }
    }

    /// The default version of model `name`.
    pub fn default_of(name: &str) -> Result<Self> {
        Ok(Self {
            name: model_name(name)?,
            target: None,
        })
    }

    /// Version or alias `target` of model `name`.
    pub fn at(name: &str, target: &str) -> Result<Self> {
        Ok(Self {
            name: model_name(name)?,
            target: Some(validate(NameKind::VersionOrAlias, target)?),
        })
    }
}

impl FromStr for ModelRef {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Some(target) => write!(f, "{}@{target}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<impl fmt::Debug>) -> String {
        match result {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(Error::DataFusion(datafusion::error::DataFusionError::Plan(m))) => m,
            Err(other) => panic!("expected a planning error, got {other}"),
        }
    }

    #[test]
    fn good_names_fold_to_lower_case() {
        for (given, folded) in [
            ("churn", "churn"),
            ("Churn_Model-2.1", "churn_model-2.1"),
            ("v1", "v1"),
            ("a", "a"),
        ] {
            assert_eq!(model_name(given).expect("valid"), folded);
        }
        assert_eq!(model_name(&"x".repeat(128)).expect("128 chars").len(), 128);
    }

    #[test]
    fn path_like_and_odd_names_are_refused_naming_the_value() {
        for (bad, reason) in [
            ("../x", "'../x': it must not contain '/'"),
            ("a/b", "'a/b': it must not contain '/'"),
            ("a\\b", "must not contain '/' or '\\'"),
            ("a b", "'a b': it must not contain whitespace"),
            ("a\tb", "'a\\tb': it must not contain control characters"),
            ("..", "'..': it must not start with '.'"),
            (".hidden", "must not start with '.'"),
            ("a..b", "must not contain '..'"),
            ("", "'': it is empty"),
            ("naïve", "'ï' is not allowed"),
            ("a@b", "must not contain '@'"),
        ] {
            let m = message(model_name(bad));
            assert!(m.starts_with("invalid model name '"), "{m}");
            assert!(m.contains(reason), "{bad:?}: {m}");
        }
        let m = message(model_name(&"x".repeat(129)));
        assert!(m.contains("longer than 128 characters"), "{m}");
        let m = message(version("_refs"));
        assert!(
            m.contains("invalid version '_refs'") && m.contains("reserved"),
            "{m}"
        );
        assert_eq!(
            alias("_staging").expect("aliases may start with _"),
            "_staging"
        );
    }

    #[test]
    fn references_parse_and_print() {
        let r = ModelRef::parse("churn").expect("name");
        assert_eq!(r, ModelRef::default_of("CHURN").expect("name"));
        assert_eq!(r.target, None);
        let r = ModelRef::parse("churn@V2").expect("version");
        assert_eq!(r, ModelRef::at("churn", "v2").expect("ref"));
        assert_eq!(r.to_string(), "churn@v2");
        assert!(message(ModelRef::parse("churn@")).contains("invalid version or alias ''"));
        assert!(message(ModelRef::parse("@v1")).contains("invalid model name ''"));
        assert!(message(ModelRef::parse("m@a@b")).contains("'a@b'"));
        assert!(message(ModelRef::parse("m@../v1")).contains("'../v1'"));
        assert!(message(ModelRef::parse("churn:v2")).contains("did you mean 'churn@v2'?"));
        assert!(message(ModelRef::parse("Churn:Prod")).contains("did you mean 'Churn@Prod'?"));
    }
}
