//! `DROP MODEL [IF EXISTS] m [VERSION v]`: removes a model, or one version of
//! it, from the registry.

use std::fmt;

use datafusion::error::Result;
use datafusion::sql::sqlparser::parser::Parser;

use crate::sql::tokens::{
    expect_words, parse_name, parse_optional_words, parse_word, peek_words, write_identifier,
};

/// A parsed `DROP MODEL` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropModel {
    /// The model (folded unless quoted).
    pub name: String,
    /// Only this version; `None` drops the whole model.
    pub version: Option<String>,
    /// `IF EXISTS`: a missing model (or version) is not an error.
    pub if_exists: bool,
}

/// Whether the next tokens start `DROP MODEL`.
pub(crate) fn starts_drop_model(parser: &Parser<'_>) -> bool {
    peek_words(parser, &["drop", "model"])
}

/// Parses `DROP MODEL …` (the caller has checked [`starts_drop_model`]).
pub(crate) fn parse_drop_model(parser: &mut Parser<'_>) -> Result<DropModel> {
    expect_words(parser, &["drop", "model"])?;
    let if_exists = parse_optional_words(parser, &["if", "exists"])?;
    let name = parse_name(parser, "a model name")?;
    let version = if parse_word(parser, "version") {
        Some(parse_name(parser, "a version after VERSION")?)
    } else {
        None
    };
    Ok(DropModel {
        name,
        version,
        if_exists,
    })
}

impl fmt::Display for DropModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DROP MODEL ")?;
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
