//! `CREATE [OR REPLACE] FEATURE VIEW [IF NOT EXISTS] name VERSION v ENTITY e
//! [TIMESTAMP col] [MATERIALIZED] [COMMENT '…'] [FEATURES (col COMMENT '…', …)]
//! AS query`: one immutable version of a feature view.
//!
//! The clauses after `ENTITY` may come in any order, each at most once;
//! `FEATURES (…)` describes some or all features (`col COMMENT 'text'` or
//! `col 'text'`). What the statement does is `crate::feature_store::create`.

use std::fmt;

use datafusion::error::Result;
use datafusion::sql::sqlparser::ast::Query;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::Token;

use crate::sql::create_entity::{parse_comment, parse_if_not_exists};
use crate::sql::tokens::{
    expect_words, parse_name, parse_optional_words, parse_string, parse_word, peek_words,
    write_identifier, write_string,
};

/// A parsed `CREATE FEATURE VIEW` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateFeatureView {
    /// The view (folded unless quoted).
    pub name: String,
    /// The version.
    pub version: String,
    /// The entity its rows are about.
    pub entity: String,
    /// `TIMESTAMP col`: when each row's values became known.
    pub timestamp: Option<String>,
    /// `MATERIALIZED`: store a Parquet snapshot now.
    pub materialized: bool,
    /// `COMMENT '…'`.
    pub comment: Option<String>,
    /// `FEATURES (col COMMENT '…', …)`, in the order written.
    pub descriptions: Vec<(String, String)>,
    /// The defining query.
    pub query: Box<Query>,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// `OR REPLACE`.
    pub or_replace: bool,
}

/// Whether the next tokens start `CREATE [OR REPLACE] FEATURE VIEW`.
pub(crate) fn starts_create_feature_view(parser: &Parser<'_>) -> bool {
    peek_words(parser, &["create", "feature", "view"])
        || peek_words(parser, &["create", "or", "replace", "feature", "view"])
}

fn once<T>(slot: &Option<T>, clause: &str) -> Result<()> {
    if slot.is_some() {
        return Err(ParserError::ParserError(format!("{clause} is given more than once")).into());
    }
    Ok(())
}

fn parse_descriptions(parser: &mut Parser<'_>) -> Result<Vec<(String, String)>> {
    parser.expect_token(&Token::LParen)?;
    let mut descriptions: Vec<(String, String)> = Vec::new();
    loop {
        let column = parse_name(parser, "a feature column")?;
        let _ = parse_word(parser, "comment");
        let text = parse_string(parser, "a description string after the feature's name")?;
        if descriptions.iter().any(|(c, _)| *c == column) {
            return Err(ParserError::ParserError(format!(
                "feature {column} is described more than once"
            ))
            .into());
        }
        descriptions.push((column, text));
        if parser.consume_token(&Token::RParen) {
            return Ok(descriptions);
        }
        let next = parser.next_token();
        if next.token != Token::Comma {
            return Ok(parser.expected("',' or ')' in FEATURES (…)", next)?);
        }
    }
}

/// Parses `CREATE FEATURE VIEW …` (the caller has checked [`starts_create_feature_view`]).
pub(crate) fn parse_create_feature_view(parser: &mut Parser<'_>) -> Result<CreateFeatureView> {
    expect_words(parser, &["create"])?;
    let or_replace = parse_optional_words(parser, &["or", "replace"])?;
    expect_words(parser, &["feature", "view"])?;
    let if_not_exists = parse_if_not_exists(parser)?;
    let name = parse_name(parser, "a feature view name")?;
    let mut version = None;
    let mut entity = None;
    let mut timestamp = None;
    let mut materialized = None;
    let mut comment = None;
    let mut descriptions = None;
    loop {
        if parse_word(parser, "version") {
            once(&version, "VERSION")?;
            version = Some(parse_name(parser, "a version after VERSION")?);
        } else if parse_word(parser, "entity") {
            once(&entity, "ENTITY")?;
            entity = Some(parse_name(parser, "an entity after ENTITY")?);
        } else if parse_word(parser, "timestamp") {
            once(&timestamp, "TIMESTAMP")?;
            timestamp = Some(parse_name(parser, "a column after TIMESTAMP")?);
        } else if parse_word(parser, "materialized") {
            once(&materialized, "MATERIALIZED")?;
            materialized = Some(true);
        } else if parse_word(parser, "comment") {
            once(&comment, "COMMENT")?;
            comment = Some(parse_comment(parser)?);
        } else if parse_word(parser, "features") {
            once(&descriptions, "FEATURES (…)")?;
            descriptions = Some(parse_descriptions(parser)?);
        } else {
            break;
        }
    }
    let (Some(version), Some(entity)) = (version.clone(), entity.clone()) else {
        let missing = if version.is_none() {
            "VERSION v"
        } else {
            "ENTITY e"
        };
        let found = parser.peek_token();
        return Ok(parser.expected(missing, found)?);
    };
    if !parser.parse_keyword(Keyword::AS) {
        let found = parser.peek_token();
        return Ok(parser.expected(
            "TIMESTAMP, MATERIALIZED, COMMENT, FEATURES (…) or AS <query>",
            found,
        )?);
    }
    let query = parser.parse_query()?;
    Ok(CreateFeatureView {
        name,
        version,
        entity,
        timestamp,
        materialized: materialized.unwrap_or(false),
        comment,
        descriptions: descriptions.unwrap_or_default(),
        query,
        if_not_exists,
        or_replace,
    })
}

impl fmt::Display for CreateFeatureView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE ")?;
        if self.or_replace {
            f.write_str("OR REPLACE ")?;
        }
        f.write_str("FEATURE VIEW ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write_identifier(f, &self.name)?;
        f.write_str(" VERSION ")?;
        write_identifier(f, &self.version)?;
        f.write_str(" ENTITY ")?;
        write_identifier(f, &self.entity)?;
        if let Some(timestamp) = &self.timestamp {
            f.write_str(" TIMESTAMP ")?;
            write_identifier(f, timestamp)?;
        }
        if self.materialized {
            f.write_str(" MATERIALIZED")?;
        }
        if let Some(comment) = &self.comment {
            f.write_str(" COMMENT ")?;
            write_string(f, comment)?;
        }
        if !self.descriptions.is_empty() {
            f.write_str(" FEATURES (")?;
            for (i, (column, text)) in self.descriptions.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write_identifier(f, column)?;
                f.write_str(" COMMENT ")?;
                write_string(f, text)?;
            }
            f.write_str(")")?;
        }
        write!(f, " AS {}", self.query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{FirnStatement, parse_sql};

    fn parse(sql: &str) -> CreateFeatureView {
        match parse_sql(sql).expect("parses").as_slice() {
            [FirnStatement::CreateFeatureView(statement)] => (**statement).clone(),
            other => panic!("not one CREATE FEATURE VIEW: {other:?}"),
        }
    }

    fn error(sql: &str) -> String {
        parse_sql(sql).expect_err(sql).to_string()
    }

    #[test]
    fn reads_every_clause_in_any_order() {
        let statement = parse(
            "create or replace feature view Customer_Features version V2 entity Customer \
             comment 'RFM' materialized timestamp As_Of \
             features (days 'Recency', \"Total\" COMMENT 'it''s money') AS SELECT 1",
        );
        assert_eq!(statement.name, "customer_features");
        assert_eq!(
            (statement.version.as_str(), statement.entity.as_str()),
            ("v2", "customer")
        );
        assert_eq!(statement.timestamp.as_deref(), Some("as_of"));
        assert!(statement.materialized && statement.or_replace && !statement.if_not_exists);
        assert_eq!(statement.comment.as_deref(), Some("RFM"));
        assert_eq!(
            statement.descriptions,
            vec![
                ("days".into(), "Recency".into()),
                ("Total".into(), "it's money".into())
            ]
        );
    }

    #[test]
    fn errors_name_what_was_expected() {
        assert!(
            error("CREATE FEATURE VIEW f ENTITY e AS SELECT 1").contains("Expected: VERSION v")
        );
        assert!(
            error("CREATE FEATURE VIEW f VERSION v1 AS SELECT 1").contains("Expected: ENTITY e")
        );
        assert!(
            error("CREATE FEATURE VIEW f VERSION v1 ENTITY e SELECT 1").contains("or AS <query>")
        );
        assert!(
            error("CREATE FEATURE VIEW f VERSION v1 VERSION v2 ENTITY e AS SELECT 1")
                .contains("VERSION is given more than once")
        );
        assert!(
            error("CREATE FEATURE VIEW f VERSION v1 ENTITY e FEATURES (a 'x', a 'y') AS SELECT 1")
                .contains("described more than once")
        );
        assert!(
            error("CREATE FEATURE VIEW f VERSION v1 ENTITY e FEATURES (a) AS SELECT 1")
                .contains("a description string")
        );
        assert!(
            error("CREATE FEATURE VIEW IF EXISTS f VERSION v1 ENTITY e AS SELECT 1")
                .contains("Expected: not")
        );
    }
}
