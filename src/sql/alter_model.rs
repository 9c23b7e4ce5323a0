//! `ALTER MODEL`: moves the mutable pointers of a model — its default version,
//! its aliases and its versions' comments. Versions themselves never change.
//!
//! ```sql
//! ALTER MODEL m SET DEFAULT VERSION v2;          -- also: SET DEFAULT_VERSION = v2
//! ALTER MODEL m VERSION v2 SET ALIAS champion;   -- moves the alias if it exists
//! ALTER MODEL m VERSION v2 SET COMMENT 'better recall';
//! ALTER MODEL m UNSET ALIAS champion;            -- also: DROP ALIAS champion
//! ```

use std::fmt;

use datafusion::error::Result;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::Token;

use crate::sql::tokens::{
    expect_words, parse_name, parse_string, parse_word, peek_words, write_identifier, write_string,
};

/// What an `ALTER MODEL` changes: the modeling layer's own change, so the
/// statement and the function forms run the same code.
pub(crate) use crate::modeling::ModelChange as AlterModelAction;

/// A parsed `ALTER MODEL` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterModel {
    /// The model (folded unless quoted).
    pub name: String,
    /// The change.
    pub action: AlterModelAction,
}

/// Whether the next tokens start `ALTER MODEL`.
pub(crate) fn starts_alter_model(parser: &Parser<'_>) -> bool {
    peek_words(parser, &["alter", "model"])
}

/// Parses `ALTER MODEL …` (the caller has checked [`starts_alter_model`]).
pub(crate) fn parse_alter_model(parser: &mut Parser<'_>) -> Result<AlterModel> {
    expect_words(parser, &["alter", "model"])?;
    let name = parse_name(parser, "a model name")?;
    let action = if parse_word(parser, "version") {
        let version = parse_name(parser, "a version after VERSION")?;
        expect_words(parser, &["set"])?;
        if parse_word(parser, "alias") {
            let _ = parser.consume_token(&Token::Eq);
            let alias = parse_name(parser, "an alias after SET ALIAS")?;
            AlterModelAction::SetAlias { version, alias }
        } else if parse_word(parser, "comment") {
            let _ = parser.consume_token(&Token::Eq);
            let comment = parse_string(parser, "a string after SET COMMENT")?;
            AlterModelAction::SetComment { version, comment }
        } else {
            let found = parser.peek_token();
            return Ok(parser.expected("ALIAS or COMMENT after SET", found)?);
        }
    } else if parse_word(parser, "set") {
        if parse_word(parser, "default_version") {
            let _ = parser.consume_token(&Token::Eq);
        } else {
            expect_words(parser, &["default", "version"])?;
        }
        let version = parse_name(parser, "a version")?;
        AlterModelAction::SetDefault { version }
    } else if parse_word(parser, "unset") || parse_word(parser, "drop") {
        expect_words(parser, &["alias"])?;
        let alias = parse_name(parser, "an alias")?;
        AlterModelAction::UnsetAlias { alias }
    } else {
        let found = parser.peek_token();
        return Ok(parser.expected(
            "SET DEFAULT VERSION, VERSION … SET ALIAS/COMMENT, or UNSET ALIAS",
            found,
        )?);
    };
    Ok(AlterModel { name, action })
}

impl fmt::Display for AlterModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ALTER MODEL ")?;
        write_identifier(f, &self.name)?;
        match &self.action {
            AlterModelAction::SetDefault { version } => {
                f.write_str(" SET DEFAULT VERSION ")?;
                write_identifier(f, version)
            }
            AlterModelAction::SetAlias { version, alias } => {
                f.write_str(" VERSION ")?;
                write_identifier(f, version)?;
                f.write_str(" SET ALIAS ")?;
                write_identifier(f, alias)
            }
            AlterModelAction::SetComment { version, comment } => {
                f.write_str(" VERSION ")?;
                write_identifier(f, version)?;
                f.write_str(" SET COMMENT ")?;
                write_string(f, comment)
            }
            AlterModelAction::UnsetAlias { alias } => {
                f.write_str(" UNSET ALIAS ")?;
                write_identifier(f, alias)
            }
        }
    }
}
