//! `CREATE MODEL name [VERSION v] OPTIONS (key value, …) AS query`: trains a
//! model on the query's rows and publishes it in the registry.
//!
//! Option keys are identifiers (case-folded like SQL identifiers); values are
//! string literals, numbers, booleans or identifiers, all kept as text: what an
//! option means is decided once, when the statement runs
//! (`crate::session::create_model`).

use std::fmt;

use datafusion::error::Result;
use datafusion::sql::sqlparser::ast::Query;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::Token;

use crate::sql::tokens::{folded, parse_name, write_identifier, write_option_list};

/// A parsed `CREATE MODEL` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateModel {
    /// The model's name (unquoted names folded to lower case).
    pub name: String,
    /// The version to publish; `None` means the next `vN`.
    pub version: Option<String>,
    /// `(key, value)` in the order written; keys are lower case and unique.
    pub options: Vec<(String, String)>,
    /// The training data.
    pub query: Box<Query>,
}

/// Whether the next tokens start a `CREATE [OR REPLACE] MODEL` statement.
pub(crate) fn starts_create_model(parser: &Parser<'_>) -> bool {
    let is_keyword = |n: usize, keyword: Keyword| matches!(&parser.peek_nth_token_ref(n).token, Token::Word(w) if w.keyword == keyword);
    if !is_keyword(0, Keyword::CREATE) {
        return false;
    }
    let model_at = if is_keyword(1, Keyword::OR) && is_keyword(2, Keyword::REPLACE) {
        3
    } else {
        1
    };
    is_model_word(&parser.peek_nth_token_ref(model_at).token)
}

fn is_model_word(token: &Token) -> bool {
    matches!(token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("model"))
}

fn parse_option_value(parser: &mut Parser<'_>, key: &str) -> Result<String, ParserError> {
    let token = parser.next_token();
    match &token.token {
        Token::SingleQuotedString(s) => Ok(s.clone()),
        Token::Number(n, _) => Ok(n.clone()),
        Token::Minus => {
            let number = parser.next_token();
            match &number.token {
                Token::Number(n, _) => Ok(format!("-{n}")),
                _ => parser.expected(&format!("a number after '-' in option {key}"), number),
            }
        }
        Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::TRUE => {
            Ok("true".into())
        }
        Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::FALSE => {
            Ok("false".into())
        }
        Token::Word(w) => Ok(folded(w)),
        _ => parser.expected(
            &format!("a value for option {key} (a string, number, boolean or identifier)"),
            token,
        ),
    }
}

pub(crate) fn parse_options(parser: &mut Parser<'_>) -> Result<Vec<(String, String)>, ParserError> {
    parser.expect_token(&Token::LParen)?;
    let mut options: Vec<(String, String)> = Vec::new();
    if parser.consume_token(&Token::RParen) {
        return Ok(options);
    }
    loop {
        let token = parser.next_token();
        let key = match &token.token {
            Token::Word(w) => folded(w),
            _ => return parser.expected("an option name", token),
        };
        if options.iter().any(|(k, _)| *k == key) {
            return Err(ParserError::ParserError(format!(
                "option {key} is given more than once"
            )));
        }
        // `key = value` (BigQuery's spelling) is accepted too.
        let _ = parser.consume_token(&Token::Eq);
        let value = parse_option_value(parser, &key)?;
        options.push((key, value));
        if parser.consume_token(&Token::RParen) {
            return Ok(options);
        }
        let next = parser.next_token();
        if next.token != Token::Comma {
            return parser.expected("',' or ')' after an option", next);
        }
    }
}

/// Parses `CREATE MODEL …` (the caller has checked [`starts_create_model`]).
pub(crate) fn parse_create_model(parser: &mut Parser<'_>) -> Result<CreateModel> {
    parser.expect_keyword_is(Keyword::CREATE)?;
    if parser.parse_keywords(&[Keyword::OR, Keyword::REPLACE]) {
        return Err(ParserError::ParserError(
            "CREATE OR REPLACE MODEL is not supported: model versions are immutable; \
             CREATE MODEL without VERSION publishes the next version"
                .into(),
        )
        .into());
    }
    let model = parser.next_token();
    if !is_model_word(&model.token) {
        return Ok(parser.expected("MODEL", model)?);
    }
    let name = parse_name(parser, "a model name")?;
    let version = if parser.parse_keyword(Keyword::VERSION) {
        Some(parse_name(parser, "a version after VERSION")?)
    } else {
        None
    };
    if !parser.parse_keyword(Keyword::OPTIONS) {
        let found = parser.peek_token();
        let expected = if version.is_some() {
            "OPTIONS (…)"
        } else {
            "VERSION or OPTIONS (…)"
        };
        return Ok(parser.expected(expected, found)?);
    }
    let options = parse_options(parser)?;
    if !parser.parse_keyword(Keyword::AS) {
        let found = parser.peek_token();
        return Ok(parser.expected("AS <query> after OPTIONS (…)", found)?);
    }
    let query = parser.parse_query()?;
    Ok(CreateModel {
        name,
        version,
        options,
        query,
    })
}

impl fmt::Display for CreateModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE MODEL ")?;
        write_identifier(f, &self.name)?;
        if let Some(version) = &self.version {
            f.write_str(" VERSION ")?;
            write_identifier(f, version)?;
        }
        f.write_str(" OPTIONS (")?;
        write_option_list(f, &self.options)?;
        write!(f, ") AS {}", self.query)
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::{FirnStatement, parse_sql};

    use super::*;

    fn create_model(sql: &str) -> CreateModel {
        match parse_sql(sql).expect("parses").as_slice() {
            [FirnStatement::CreateModel(statement)] => (**statement).clone(),
            other => panic!("not one CREATE MODEL: {other:?}"),
        }
    }

    fn error(sql: &str) -> String {
        parse_sql(sql).expect_err("refused").to_string()
    }

    #[test]
    fn parses_options_of_every_kind() {
        let statement = create_model(
            "create model Churn VERSION V1 OPTIONS (TYPE 'gbdt_classifier', label = is_churned, \
             max_depth 5, learning_rate 0.1, reg_alpha -1, verbose TRUE, \"Quoted\" \"Col\") \
             AS SELECT * FROM t WHERE x > 1",
        );
        assert_eq!(statement.name, "churn");
        assert_eq!(statement.version.as_deref(), Some("v1"));
        let pairs: Vec<(&str, &str)> = statement
            .options
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("type", "gbdt_classifier"),
                ("label", "is_churned"),
                ("max_depth", "5"),
                ("learning_rate", "0.1"),
                ("reg_alpha", "-1"),
                ("verbose", "true"),
                ("Quoted", "Col"),
            ]
        );
        assert_eq!(statement.query.to_string(), "SELECT * FROM t WHERE x > 1");
        assert_eq!(
            create_model("CREATE MODEL m OPTIONS () AS SELECT 1").version,
            None
        );
    }

    #[test]
    fn round_trips_through_display() {
        for sql in [
            "CREATE MODEL churn VERSION v1 OPTIONS (type 'gbdt_classifier', label 'y', \
             max_depth 5, comment 'it''s \"quoted\"') AS SELECT a, b FROM t",
            "CREATE MODEL \"Odd Name\" OPTIONS (search 'random', max_depth 'int(3,9)') \
             AS WITH x AS (SELECT 1 AS a) SELECT * FROM x",
            "CREATE MODEL m OPTIONS () AS SELECT 1",
        ] {
            let statement = parse_sql(sql).expect("parses");
            let printed = statement[0].to_string();
            let reparsed = parse_sql(&printed).expect("printed form parses");
            assert_eq!(reparsed, statement, "round trip of {printed}");
        }
    }

    #[test]
    fn errors_name_what_was_expected() {
        assert!(error("CREATE MODEL m AS SELECT 1").contains("Expected: VERSION or OPTIONS"));
        assert!(
            error("CREATE MODEL m VERSION v1 AS SELECT 1")
                .contains("Expected: OPTIONS (…), found: AS")
        );
        assert!(error("CREATE MODEL m OPTIONS (a 1 b 2) AS SELECT 1").contains("',' or ')'"));
        assert!(error("CREATE MODEL m OPTIONS (a) AS SELECT 1").contains("a value for option a"));
        assert!(error("CREATE MODEL m OPTIONS (1 a) AS SELECT 1").contains("an option name"));
        assert!(error("CREATE MODEL m OPTIONS (a 1) SELECT 1").contains("AS <query>"));
        assert!(error("CREATE MODEL m OPTIONS (a 1, A 2) AS SELECT 1").contains("more than once"));
        assert!(error("CREATE MODEL OPTIONS (a 1) AS SELECT 1").contains("VERSION or OPTIONS"));
        assert!(
            error("CREATE OR REPLACE MODEL m OPTIONS () AS SELECT 1")
                .contains("model versions are immutable")
        );
    }

    #[test]
    fn leaves_other_create_statements_to_datafusion() {
        for sql in [
            "CREATE TABLE model AS SELECT 1 AS x",
            "CREATE OR REPLACE TABLE t AS SELECT 1 AS x",
            "CREATE VIEW v AS SELECT 1 AS model",
        ] {
            let statements = parse_sql(sql).expect("parses");
            assert!(
                matches!(statements.as_slice(), [FirnStatement::DataFusion(_)]),
                "{sql}"
            );
        }
    }
}
