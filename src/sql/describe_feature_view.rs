//! `DESCRIBE FEATURE VIEW name [VERSION v]`: the columns of a version — type,
//! role (key, timestamp, feature) and description — then one `source` row per
//! table or feature view its query reads. Without VERSION: the newest version.

use std::fmt;

use datafusion::error::Result;
use datafusion::sql::sqlparser::parser::Parser;

use crate::sql::tokens::{expect_words, parse_name, parse_word, peek_words, write_identifier};

/// A parsed `DESCRIBE FEATURE VIEW` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeFeatureView {
    /// The view (folded unless quoted).
    pub name: String,
    /// The version; `None` means the newest.
    pub version: Option<String>,
}

/// Whether the next tokens start `DESCRIBE FEATURE VIEW` (or `DESC …`).
pub(crate) fn starts_describe_feature_view(parser: &Parser<'_>) -> bool {
    peek_words(parser, &["describe", "feature", "view"])
        || peek_words(parser, &["desc", "feature", "view"])
}

/// Parses `DESCRIBE FEATURE VIEW …` (the caller has checked [`starts_describe_feature_view`]).
pub(crate) fn parse_describe_feature_view(parser: &mut Parser<'_>) -> Result<DescribeFeatureView> {
    if !parse_word(parser, "desc") {
        expect_words(parser, &["describe"])?;
    }
    expect_words(parser, &["feature", "view"])?;
    let name = parse_name(parser, "a feature view name")?;
    let version = if parse_word(parser, "version") {
        Some(parse_name(parser, "a version after VERSION")?)
    } else {
        None
    };
    Ok(DescribeFeatureView { name, version })
}

impl fmt::Display for DescribeFeatureView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DESCRIBE FEATURE VIEW ")?;
        write_identifier(f, &self.name)?;
        if let Some(version) = &self.version {
            f.write_str(" VERSION ")?;
            write_identifier(f, version)?;
        }
        Ok(())
    }
}
