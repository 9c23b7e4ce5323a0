//! `DROP ENTITY [IF EXISTS] name`: removes an entity no feature view uses.

use std::fmt;

use datafusion::error::Result;
use datafusion::sql::sqlparser::parser::Parser;

use crate::sql::tokens::{
    expect_words, parse_name, parse_optional_words, peek_words, write_identifier,
};

/// A parsed `DROP ENTITY` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropEntity {
    /// The entity (folded unless quoted).
    pub name: String,
    /// `IF EXISTS`: a missing entity is not an error.
    pub if_exists: bool,
}

/// Whether the next tokens start `DROP ENTITY`.
pub(crate) fn starts_drop_entity(parser: &Parser<'_>) -> bool {
    peek_words(parser, &["drop", "entity"])
}

/// Parses `DROP ENTITY …` (the caller has checked [`starts_drop_entity`]).
pub(crate) fn parse_drop_entity(parser: &mut Parser<'_>) -> Result<DropEntity> {
    expect_words(parser, &["drop", "entity"])?;
    let if_exists = parse_optional_words(parser, &["if", "exists"])?;
    let name = parse_name(parser, "an entity name")?;
    Ok(DropEntity { name, if_exists })
}

impl fmt::Display for DropEntity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DROP ENTITY ")?;
        if self.if_exists {
            f.write_str("IF EXISTS ")?;
        }
        write_identifier(f, &self.name)
    }
}
