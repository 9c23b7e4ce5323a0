//! `CREATE [OR REPLACE] ENTITY [IF NOT EXISTS] name KEYS (col, …) [COMMENT '…']`:
//! registers what feature rows are about and the columns that identify it.

use std::fmt;

use datafusion::error::Result;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::Token;

use crate::sql::tokens::{
    expect_words, parse_name, parse_optional_words, parse_string, parse_word, peek_words,
    write_identifier, write_string,
};

/// A parsed `CREATE ENTITY` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateEntity {
    /// The entity (folded unless quoted).
    pub name: String,
    /// Its join key columns, in order.
    pub keys: Vec<String>,
    /// `COMMENT '…'`.
    pub comment: Option<String>,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// `OR REPLACE`.
    pub or_replace: bool,
}

/// Whether the next tokens start `CREATE [OR REPLACE] ENTITY`.
pub(crate) fn starts_create_entity(parser: &Parser<'_>) -> bool {
    peek_words(parser, &["create", "entity"])
        || peek_words(parser, &["create", "or", "replace", "entity"])
}

/// `(a, b, …)`: one or more names in parentheses.
pub(crate) fn parse_name_list(parser: &mut Parser<'_>, what: &str) -> Result<Vec<String>> {
    parser.expect_token(&Token::LParen)?;
    let mut names = vec![parse_name(parser, what)?];
    while parser.consume_token(&Token::Comma) {
        names.push(parse_name(parser, what)?);
    }
    parser.expect_token(&Token::RParen)?;
    Ok(names)
}

/// `IF NOT EXISTS`, if present.
pub(crate) fn parse_if_not_exists(parser: &mut Parser<'_>) -> Result<bool> {
    Ok(parse_optional_words(parser, &["if", "not", "exists"])?)
}

/// `COMMENT [=] 'text'` after the word COMMENT was consumed.
pub(crate) fn parse_comment(parser: &mut Parser<'_>) -> Result<String> {
    let _ = parser.consume_token(&Token::Eq);
    Ok(parse_string(parser, "a string after COMMENT")?)
}

/// Parses `CREATE ENTITY …` (the caller has checked [`starts_create_entity`]).
pub(crate) fn parse_create_entity(parser: &mut Parser<'_>) -> Result<CreateEntity> {
    expect_words(parser, &["create"])?;
    let or_replace = parse_optional_words(parser, &["or", "replace"])?;
    expect_words(parser, &["entity"])?;
    let if_not_exists = parse_if_not_exists(parser)?;
    let name = parse_name(parser, "an entity name")?;
    expect_words(parser, &["keys"])?;
    let keys = parse_name_list(parser, "a key column")?;
    let comment = if parse_word(parser, "comment") {
        Some(parse_comment(parser)?)
    } else {
        None
    };
    Ok(CreateEntity {
        name,
        keys,
        comment,
        if_not_exists,
        or_replace,
    })
}

/// Writes `(a, b)` with each name as an identifier.
pub(crate) fn write_name_list(f: &mut fmt::Formatter<'_>, names: &[String]) -> fmt::Result {
    f.write_str("(")?;
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_identifier(f, name)?;
    }
    f.write_str(")")
}

impl fmt::Display for CreateEntity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE ")?;
        if self.or_replace {
            f.write_str("OR REPLACE ")?;
        }
        f.write_str("ENTITY ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write_identifier(f, &self.name)?;
        f.write_str(" KEYS ")?;
        write_name_list(f, &self.keys)?;
        if let Some(comment) = &self.comment {
            f.write_str(" COMMENT ")?;
            write_string(f, comment)?;
        }
        Ok(())
    }
}
