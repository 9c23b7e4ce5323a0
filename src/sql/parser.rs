//! A parser that wraps DataFusion's `DFParser`: it peeks at the leading tokens,
//! parses Firn's statements itself and hands everything else to DataFusion.

use datafusion::error::Result;
use datafusion::sql::parser::{DFParser, DFParserBuilder, Statement as DFStatement};
use datafusion::sql::sqlparser::tokenizer::Token;

use crate::sql::create_model::{CreateModel, parse_create_model, starts_create_model};

/// One parsed statement.
#[derive(Debug, Clone, PartialEq)]
pub enum FirnStatement {
    /// A statement DataFusion understands.
    DataFusion(Box<DFStatement>),
    /// `CREATE MODEL … OPTIONS (…) AS query`.
    CreateModel(Box<CreateModel>),
}

impl std::fmt::Display for FirnStatement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FirnStatement::DataFusion(statement) => write!(f, "{statement}"),
            FirnStatement::CreateModel(statement) => write!(f, "{statement}"),
        }
    }
}

/// Parser for Firn's dialect.
pub struct FirnParser<'a> {
    df: DFParser<'a>,
}

impl<'a> FirnParser<'a> {
    /// A parser over `sql`.
    pub fn new(sql: &'a str) -> Result<Self> {
        Ok(Self {
            df: DFParserBuilder::new(sql).build()?,
        })
    }

    /// Parses every `;`-separated statement.
    pub fn parse_statements(&mut self) -> Result<Vec<FirnStatement>> {
        let mut statements = Vec::new();
        loop {
            while self.df.parser.consume_token(&Token::SemiColon) {}
            if self.df.parser.peek_token().token == Token::EOF {
                return Ok(statements);
            }
            statements.push(self.parse_statement()?);
            let next = self.df.parser.peek_token();
            if next.token != Token::SemiColon && next.token != Token::EOF {
                return datafusion::common::plan_err!("expected ';' or end of input, found {next}");
            }
        }
    }

    /// Parses one statement.
    pub fn parse_statement(&mut self) -> Result<FirnStatement> {
        if starts_create_model(&self.df.parser) {
            return Ok(FirnStatement::CreateModel(Box::new(parse_create_model(
                &mut self.df.parser,
            )?)));
        }
        Ok(FirnStatement::DataFusion(Box::new(
            self.df.parse_statement()?,
        )))
    }
}

/// Parses `sql` into statements.
pub fn parse_sql(sql: &str) -> Result<Vec<FirnStatement>> {
    FirnParser::new(sql)?.parse_statements()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_statements_and_round_trips_through_display() {
        let sql = "CREATE TABLE t AS SELECT 1 AS x; SELECT x FROM t WHERE x > 0;;";
        let statements = parse_sql(sql).expect("parses");
        assert_eq!(statements.len(), 2);
        for statement in statements {
            let printed = statement.to_string();
            let reparsed = parse_sql(&printed).expect("printed form parses");
            assert_eq!(reparsed, vec![statement], "round trip of {printed}");
        }
    }

    #[test]
    fn reports_garbage_after_a_statement() {
        let err = parse_sql("SELECT 1 SELECT 2").expect_err("two statements without ';'");
        assert!(err.to_string().contains("SELECT"), "{err}");
    }
}
