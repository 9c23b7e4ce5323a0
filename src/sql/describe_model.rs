//! `DESCRIBE MODEL name [VERSION v]` (or `DESC MODEL …`; `v` a version or an
//! alias): runs `describe_model('name@v')`, so the statement and the function
//! are one piece of code. Without VERSION: the default version.

use std::fmt;

use datafusion::error::Result;
use datafusion::sql::sqlparser::parser::Parser;

use crate::sql::tokens::{expect_words, parse_name, parse_word, peek_words, write_identifier};

/// A parsed `DESCRIBE MODEL` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeModel {
    /// The model (folded unless quoted).
    pub name: String,
    /// A version or alias; `None` means the default version.
    pub version: Option<String>,
}

impl DescribeModel {
    /// The query the statement runs.
    pub fn query(&self) -> String {
        let reference = match &self.version {
            Some(version) => format!("{}@{version}", self.name),
            None => self.name.clone(),
        };
        format!(
            "SELECT * FROM describe_model('{}')",
            reference.replace('\'', "''")
        )
    }
}

/// Whether the next tokens start `DESCRIBE MODEL` (or `DESC MODEL`).
pub(crate) fn starts_describe_model(parser: &Parser<'_>) -> bool {
    peek_words(parser, &["describe", "model"]) || peek_words(parser, &["desc", "model"])
}

/// Parses `DESCRIBE MODEL …` (the caller has checked [`starts_describe_model`]).
pub(crate) fn parse_describe_model(parser: &mut Parser<'_>) -> Result<DescribeModel> {
    if !parse_word(parser, "desc") {
        expect_words(parser, &["describe"])?;
    }
    expect_words(parser, &["model"])?;
    let name = parse_name(parser, "a model name")?;
    let version = if parse_word(parser, "version") {
        Some(parse_name(parser, "a version or alias after VERSION")?)
    } else {
        None
    };
    Ok(DescribeModel { name, version })
}

impl fmt::Display for DescribeModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DESCRIBE MODEL ")?;
        write_identifier(f, &self.name)?;
        if let Some(version) = &self.version {
            f.write_str(" VERSION ")?;
            write_identifier(f, version)?;
        }
        Ok(())
    }
}
