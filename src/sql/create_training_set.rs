//! `CREATE [OR REPLACE] TRAINING SET [IF NOT EXISTS] name FROM spine
//! USING view:version [, …] [OPTIONS (key value, …)]`: sugar for
//! `CREATE TABLE name AS SELECT * FROM training_set('spine', 'view:version', …,
//! 'key=value', …)` — it runs exactly that statement ([`CreateTrainingSet::table_sql`]).
//!
//! The spine is a table name or a parenthesised query; option keys are those of
//! `training_set` (`fill 0`, `spine_timestamp as_of`, `lookback '90 days'`, …).

use std::fmt;

use datafusion::error::Result;
use datafusion::sql::sqlparser::ast::Query;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::Token;

use crate::sql::create_entity::parse_if_not_exists;
use crate::sql::tokens::{
    expect_words, folded, parse_name, parse_optional_words, peek_words, quote_literal,
    write_identifier, write_option_list,
};

/// Where the spine's rows come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Spine {
    /// A table (folded unless quoted; may be qualified with dots).
    Table(String),
    /// `(query)`.
    Query(Box<Query>),
}

/// A parsed `CREATE TRAINING SET` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTrainingSet {
    /// The table to create.
    pub name: String,
    /// The spine.
    pub spine: Spine,
    /// `view:version` references, in order.
    pub views: Vec<(String, String)>,
    /// `(key, value)` options, in order.
    pub options: Vec<(String, String)>,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// `OR REPLACE`.
    pub or_replace: bool,
}

/// Whether the next tokens start `CREATE [OR REPLACE] TRAINING SET`.
pub(crate) fn starts_create_training_set(parser: &Parser<'_>) -> bool {
    peek_words(parser, &["create", "training", "set"])
        || peek_words(parser, &["create", "or", "replace", "training", "set"])
}

fn parse_option_value(parser: &mut Parser<'_>, key: &str) -> Result<String> {
    let token = parser.next_token();
    match &token.token {
        Token::SingleQuotedString(s) => Ok(s.clone()),
        Token::Number(n, _) => Ok(n.clone()),
        Token::Word(w) => Ok(folded(w)),
        _ => Ok(parser.expected(&format!("a value for option {key}"), token)?),
    }
}

/// Parses `CREATE TRAINING SET …` (the caller has checked [`starts_create_training_set`]).
pub(crate) fn parse_create_training_set(parser: &mut Parser<'_>) -> Result<CreateTrainingSet> {
    expect_words(parser, &["create"])?;
    let or_replace = parse_optional_words(parser, &["or", "replace"])?;
    expect_words(parser, &["training", "set"])?;
    let if_not_exists = parse_if_not_exists(parser)?;
    let name = parse_name(parser, "a table name")?;
    if !parser.parse_keyword(Keyword::FROM) {
        let found = parser.peek_token();
        return Ok(parser.expected("FROM <spine>", found)?);
    }
    let spine = if parser.consume_token(&Token::LParen) {
        let query = parser.parse_query()?;
        parser.expect_token(&Token::RParen)?;
        Spine::Query(query)
    } else {
        let mut table = parse_name(parser, "a spine table or (query)")?;
        while parser.consume_token(&Token::Period) {
            table = format!("{table}.{}", parse_name(parser, "a table name")?);
        }
        Spine::Table(table)
    };
    if !parser.parse_keyword(Keyword::USING) {
        let found = parser.peek_token();
        return Ok(parser.expected("USING view:version", found)?);
    }
    let mut views = Vec::new();
    loop {
        let view = parse_name(parser, "a feature view")?;
        parser.expect_token(&Token::Colon)?;
        let version = parse_name(parser, "a version after ':'")?;
        views.push((view, version));
        if !parser.consume_token(&Token::Comma) {
            break;
        }
    }
    let mut options: Vec<(String, String)> = Vec::new();
    if parser.parse_keyword(Keyword::OPTIONS) {
        parser.expect_token(&Token::LParen)?;
        loop {
            let key = parse_name(parser, "an option name")?;
            if options.iter().any(|(k, _)| *k == key) {
                return Err(ParserError::ParserError(format!(
                    "option {key} is given more than once"
                ))
                .into());
            }
            let _ = parser.consume_token(&Token::Eq);
            let value = parse_option_value(parser, &key)?;
            options.push((key, value));
            if parser.consume_token(&Token::RParen) {
                break;
            }
            let next = parser.next_token();
            if next.token != Token::Comma {
                return Ok(parser.expected("',' or ')' after an option", next)?);
            }
        }
    }
    Ok(CreateTrainingSet {
        name,
        spine,
        views,
        options,
        if_not_exists,
        or_replace,
    })
}

impl CreateTrainingSet {
    /// The `CREATE TABLE … AS SELECT * FROM training_set(…)` this statement stands for.
    pub fn table_sql(&self) -> String {
        let mut args = vec![match &self.spine {
            Spine::Table(table) => quote_literal(table),
            Spine::Query(query) => quote_literal(&query.to_string()),
        }];
        args.extend(
            self.views
                .iter()
                .map(|(view, version)| quote_literal(&format!("{view}:{version}"))),
        );
        args.extend(
            self.options
                .iter()
                .map(|(key, value)| quote_literal(&format!("{key}={value}"))),
        );
        let create = match (self.or_replace, self.if_not_exists) {
            (true, _) => "CREATE OR REPLACE TABLE",
            (false, true) => "CREATE TABLE IF NOT EXISTS",
            (false, false) => "CREATE TABLE",
        };
        format!(
            "{create} {} AS SELECT * FROM training_set({})",
            Identifier(&self.name),
            args.join(", ")
        )
    }
}

/// A name printed as an identifier.
struct Identifier<'a>(&'a str);

impl fmt::Display for Identifier<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_identifier(f, self.0)
    }
}

impl fmt::Display for CreateTrainingSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE ")?;
        if self.or_replace {
            f.write_str("OR REPLACE ")?;
        }
        f.write_str("TRAINING SET ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write_identifier(f, &self.name)?;
        f.write_str(" FROM ")?;
        match &self.spine {
            Spine::Table(table) => {
                for (i, part) in table.split('.').enumerate() {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    write_identifier(f, part)?;
                }
            }
            Spine::Query(query) => write!(f, "({query})")?,
        }
        f.write_str(" USING ")?;
        for (i, (view, version)) in self.views.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write_identifier(f, view)?;
            f.write_str(":")?;
            write_identifier(f, version)?;
        }
        if !self.options.is_empty() {
            f.write_str(" OPTIONS (")?;
            write_option_list(f, &self.options)?;
            f.write_str(")")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{FirnStatement, parse_sql};

    fn parse(sql: &str) -> CreateTrainingSet {
        match parse_sql(sql).expect("parses").as_slice() {
            [FirnStatement::CreateTrainingSet(statement)] => (**statement).clone(),
            other => panic!("not one CREATE TRAINING SET: {other:?}"),
        }
    }

    #[test]
    fn stands_for_a_training_set_table() {
        let statement = parse(
            "create or replace training set Training_Dataset from churn_labels \
             using customer_features:V2, monthly:v1 options (fill 0, fill_text 'n/a', lookback = '90 days')",
        );
        assert_eq!(
            statement.table_sql(),
            "CREATE OR REPLACE TABLE training_dataset AS SELECT * FROM training_set('churn_labels', \
             'customer_features:v2', 'monthly:v1', 'fill=0', 'fill_text=n/a', 'lookback=90 days')"
        );
        let statement = parse("CREATE TRAINING SET t FROM (SELECT 'a' AS id, 1 AS y) USING f:v1");
        assert_eq!(
            statement.table_sql(),
            "CREATE TABLE t AS SELECT * FROM training_set('SELECT ''a'' AS id, 1 AS y', 'f:v1')"
        );
    }

    #[test]
    fn errors_name_what_was_expected() {
        let error = |sql: &str| parse_sql(sql).expect_err(sql).to_string();
        assert!(error("CREATE TRAINING SET t USING f:v1").contains("Expected: FROM <spine>"));
        assert!(error("CREATE TRAINING SET t FROM s").contains("Expected: USING view:version"));
        assert!(error("CREATE TRAINING SET t FROM s USING f").contains("Expected: :"));
        assert!(
            error("CREATE TRAINING SET t FROM s USING f:v1 OPTIONS (a 1, a 2)")
                .contains("more than once")
        );
    }
}
