//! `VERIFY MODEL m[@v]` (or `VERIFY MODEL m VERSION v`; `v` a version or an
//! alias): runs `verify_model('m@v')`, so the statement and the function are
//! one piece of code. Without a version: the default version.

use std::fmt;

use datafusion::error::Result;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::Token;

use crate::sql::tokens::{
    expect_words, parse_name, parse_word, peek_words, quote_literal, write_identifier,
};

/// A parsed `VERIFY MODEL` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyModel {
    /// The model (folded unless quoted).
    pub name: String,
    /// A version or alias; `None` means the default version.
    pub version: Option<String>,
}

impl VerifyModel {
    /// The query the statement runs.
    pub fn query(&self) -> String {
        let reference = match &self.version {
            Some(version) => format!("{}@{version}", self.name),
            None => self.name.clone(),
        };
        format!("SELECT * FROM verify_model({})", quote_literal(&reference))
    }
}

/// Whether the next tokens start `VERIFY MODEL`.
pub(crate) fn starts_verify_model(parser: &Parser<'_>) -> bool {
    peek_words(parser, &["verify", "model"])
}

/// Parses `VERIFY MODEL …` (the caller has checked [`starts_verify_model`]).
pub(crate) fn parse_verify_model(parser: &mut Parser<'_>) -> Result<VerifyModel> {
    expect_words(parser, &["verify", "model"])?;
    let name = parse_name(parser, "a model name")?;
    // `'m@v'` as one string names the version too.
    let (name, mut version) = match name.split_once('@') {
        Some((name, version)) => (name.to_string(), Some(version.to_ascii_lowercase())),
        None => (name, None),
    };
    if version.is_none() && parser.consume_token(&Token::AtSign) {
        version = Some(parse_name(parser, "a version or alias after '@'")?);
    } else if version.is_none() && parse_word(parser, "version") {
        version = Some(parse_name(parser, "a version or alias after VERSION")?);
    }
    if version.as_deref() == Some("") || name.is_empty() {
        return datafusion::common::plan_err!(
            "VERIFY MODEL expects a model name and a version or alias after '@', such as churn@v2"
        );
    }
    Ok(VerifyModel { name, version })
}

impl fmt::Display for VerifyModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VERIFY MODEL ")?;
        write_identifier(f, &self.name)?;
        if let Some(version) = &self.version {
            f.write_str(" VERSION ")?;
            write_identifier(f, version)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::{FirnStatement, parse_sql};

    fn verify(sql: &str) -> (String, Option<String>) {
        match parse_sql(sql).expect("parses").as_slice() {
            [FirnStatement::VerifyModel(v)] => (v.name.clone(), v.version.clone()),
            other => panic!("not VERIFY MODEL: {other:?}"),
        }
    }

    #[test]
    fn every_way_to_name_a_version() {
        let v1 = ("churn".to_string(), Some("v1".to_string()));
        assert_eq!(verify("VERIFY MODEL churn@v1"), v1);
        assert_eq!(verify("verify model Churn @ V1"), v1);
        assert_eq!(verify("VERIFY MODEL churn VERSION v1"), v1);
        assert_eq!(verify("VERIFY MODEL 'churn@v1'"), v1);
        assert_eq!(verify("VERIFY MODEL churn"), ("churn".to_string(), None));
        let err = parse_sql("VERIFY MODEL churn@").expect_err("no version");
        assert!(
            err.to_string().contains("a version or alias after '@'"),
            "{err}"
        );
        let err = parse_sql("VERIFY MODEL").expect_err("no name");
        assert!(err.to_string().contains("a model name"), "{err}");
    }
}
