//! `DROP FEATURE VIEW [IF EXISTS] name [VERSION v]`: removes one version of a
//! feature view, or all of them.

use std::fmt;

use datafusion::error::Result;
use datafusion::sql::sqlparser::parser::Parser;

use crate::sql::tokens::{
    expect_words, parse_name, parse_optional_words, parse_word, peek_words, write_identifier,
};

/// A parsed `DROP FEATURE VIEW` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropFeatureView {
    /// The view (folded unless quoted).
    pub name: String,
    /// Only this version; `None` drops every version.
    pub version: Option<String>,
    /// `IF EXISTS`: a missing view (or version) is not an error.
    pub if_exists: bool,
}

/// Whether the next tokens start `DROP FEATURE VIEW`.
pub(crate) fn starts_drop_feature_view(parser: &Parser<'_>) -> bool {
    peek_words(parser, &["drop", "feature", "view"])
}

/// Parses `DROP FEATURE VIEW …` (the caller has checked [`starts_drop_feature_view`]).
pub(crate) fn parse_drop_feature_view(parser: &mut Parser<'_>) -> Result<DropFeatureView> {
    expect_words(parser, &["drop", "feature", "view"])?;
    let if_exists = parse_optional_words(parser, &["if", "exists"])?;
    let name = parse_name(parser, "a feature view name")?;
    let version = if parse_word(parser, "version") {
        Some(parse_name(parser, "a version after VERSION")?)
    } else {
        None
    };
    Ok(DropFeatureView {
        name,
        version,
        if_exists,
    })
}

impl fmt::Display for DropFeatureView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DROP FEATURE VIEW ")?;
        if self.if_exists {
            f.write_str("IF EXISTS ")?;
        }
        write_identifier(f, &self.name)?;
        if let Some(version) = &self.version {
            f.write_str(" VERSION ")?;
            write_identifier(f, version)?;
        }
        Ok(())
    }
}
