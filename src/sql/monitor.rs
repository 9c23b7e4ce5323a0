//! The monitor statements:
//! `CREATE MONITOR [IF NOT EXISTS] name ON MODEL m[@alias] DATA 'query'
//! [LABEL col] [TIMESTAMP col] [OPTIONS (k 'v', …)]`,
//! `RUN MONITOR name` (runs `run_monitor('name')`, so the statement and the
//! function are one piece of code) and `DROP MONITOR [IF EXISTS] name`.
//! `SHOW MONITORS` is in [`crate::sql::show`].

use std::fmt;

use datafusion::error::Result;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::Token;

use crate::sql::create_model::parse_options;
use crate::sql::tokens::{
    expect_words, parse_name, parse_optional_words, parse_string, parse_word, peek_words,
    quote_literal, write_identifier, write_option_list, write_string,
};

/// A parsed `CREATE MONITOR` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateMonitor {
    /// The monitor (folded unless quoted).
    pub name: String,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// The model.
    pub model: String,
    /// A version or alias; `None`: the default version, resolved at each run.
    pub alias: Option<String>,
    /// The data: a query or a table name.
    pub data: String,
    /// The label column.
    pub label: Option<String>,
    /// The timestamp column.
    pub timestamp: Option<String>,
    /// `OPTIONS (…)`.
    pub options: Vec<(String, String)>,
}

/// A parsed `RUN MONITOR` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunMonitor {
    /// The monitor.
    pub name: String,
}

impl RunMonitor {
    /// The query the statement runs.
    pub fn query(&self) -> String {
        format!("SELECT * FROM run_monitor({})", quote_literal(&self.name))
    }
}

/// A parsed `DROP MONITOR` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropMonitor {
    /// The monitor.
    pub name: String,
    /// `IF EXISTS`.
    pub if_exists: bool,
}

/// Whether the next tokens start `CREATE MONITOR`.
pub(crate) fn starts_create_monitor(parser: &Parser<'_>) -> bool {
    peek_words(parser, &["create", "monitor"])
}

/// Whether the next tokens start `RUN MONITOR`.
pub(crate) fn starts_run_monitor(parser: &Parser<'_>) -> bool {
    peek_words(parser, &["run", "monitor"])
}

/// Whether the next tokens start `DROP MONITOR`.
pub(crate) fn starts_drop_monitor(parser: &Parser<'_>) -> bool {
    peek_words(parser, &["drop", "monitor"])
}

/// `m`, `m@v` (one word or three tokens) or `'m@v'`.
fn parse_model_ref(parser: &mut Parser<'_>) -> Result<(String, Option<String>)> {
    let name = parse_name(parser, "a model name after ON MODEL")?;
    let (model, mut alias) = match name.split_once('@') {
        Some((model, alias)) => (model.to_string(), Some(alias.to_ascii_lowercase())),
        None => (name, None),
    };
    if alias.is_none() && parser.consume_token(&Token::AtSign) {
        alias = Some(parse_name(parser, "a version or alias after '@'")?);
    }
    if model.is_empty() || alias.as_deref() == Some("") {
        return datafusion::common::plan_err!(
            "CREATE MONITOR expects ON MODEL m or ON MODEL m@alias, such as churn@champion"
        );
    }
    Ok((model, alias))
}

/// Parses `CREATE MONITOR …`.
pub(crate) fn parse_create_monitor(parser: &mut Parser<'_>) -> Result<CreateMonitor> {
    expect_words(parser, &["create", "monitor"])?;
    let if_not_exists = parse_optional_words(parser, &["if", "not", "exists"])?;
    let name = parse_name(parser, "a monitor name")?;
    expect_words(parser, &["on", "model"])?;
    let (model, alias) = parse_model_ref(parser)?;
    expect_words(parser, &["data"])?;
    let data = parse_string(parser, "the data as a string: a query or a table name")?;
    let mut monitor = CreateMonitor {
        name,
        if_not_exists,
        model,
        alias,
        data,
        label: None,
        timestamp: None,
        options: Vec::new(),
    };
    loop {
        if monitor.label.is_none() && parse_word(parser, "label") {
            monitor.label = Some(parse_name(parser, "a label column after LABEL")?);
        } else if monitor.timestamp.is_none() && parse_word(parser, "timestamp") {
            monitor.timestamp = Some(parse_name(parser, "a timestamp column after TIMESTAMP")?);
        } else if monitor.options.is_empty() && parse_word(parser, "options") {
            monitor.options = parse_options(parser)?;
        } else {
            return Ok(monitor);
        }
    }
}

/// Parses `RUN MONITOR name`.
pub(crate) fn parse_run_monitor(parser: &mut Parser<'_>) -> Result<RunMonitor> {
    expect_words(parser, &["run", "monitor"])?;
    let name = parse_name(parser, "a monitor name")?;
    Ok(RunMonitor { name })
}

/// Parses `DROP MONITOR [IF EXISTS] name`.
pub(crate) fn parse_drop_monitor(parser: &mut Parser<'_>) -> Result<DropMonitor> {
    expect_words(parser, &["drop", "monitor"])?;
    let if_exists = parse_optional_words(parser, &["if", "exists"])?;
    let name = parse_name(parser, "a monitor name")?;
    Ok(DropMonitor { name, if_exists })
}

impl fmt::Display for CreateMonitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE MONITOR ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write_identifier(f, &self.name)?;
        f.write_str(" ON MODEL ")?;
        write_identifier(f, &self.model)?;
        if let Some(alias) = &self.alias {
            f.write_str(" @ ")?;
            write_identifier(f, alias)?;
        }
        f.write_str(" DATA ")?;
        write_string(f, &self.data)?;
        if let Some(label) = &self.label {
            f.write_str(" LABEL ")?;
            write_identifier(f, label)?;
        }
        if let Some(timestamp) = &self.timestamp {
            f.write_str(" TIMESTAMP ")?;
            write_identifier(f, timestamp)?;
        }
        if !self.options.is_empty() {
            f.write_str(" OPTIONS (")?;
            write_option_list(f, &self.options)?;
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl fmt::Display for RunMonitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RUN MONITOR ")?;
        write_identifier(f, &self.name)
    }
}

impl fmt::Display for DropMonitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DROP MONITOR ")?;
        if self.if_exists {
            f.write_str("IF EXISTS ")?;
        }
        write_identifier(f, &self.name)
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::{FirnStatement, parse_sql};

    #[test]
    fn statements_round_trip_and_read_every_clause() {
        for sql in [
            "CREATE MONITOR m ON MODEL churn DATA 'SELECT * FROM t'",
            "create monitor if not exists M on model Churn@Champion data 't' label y timestamp ts \
             options (period 'week', psi_threshold 0.1)",
            "CREATE MONITOR m ON MODEL churn @ v2 DATA 't' TIMESTAMP ts LABEL y",
            "RUN MONITOR m",
            "DROP MONITOR IF EXISTS m",
            "DROP MONITOR m",
            "SHOW MONITORS",
        ] {
            let statements = parse_sql(sql).expect("parses");
            assert!(
                !matches!(statements.as_slice(), [FirnStatement::DataFusion(_)]),
                "{sql} is Firn's"
            );
            let printed = statements[0].to_string();
            assert_eq!(
                parse_sql(&printed).expect("reparses"),
                statements,
                "{printed}"
            );
        }
        match parse_sql("CREATE MONITOR M ON MODEL Churn@Champion DATA 't' OPTIONS (period 'week')")
            .expect("parses")
            .as_slice()
        {
            [FirnStatement::CreateMonitor(m)] => {
                assert_eq!((m.name.as_str(), m.model.as_str()), ("m", "churn"));
                assert_eq!(m.alias.as_deref(), Some("champion"));
                assert_eq!(m.options, vec![("period".to_string(), "week".to_string())]);
            }
            other => panic!("not CREATE MONITOR: {other:?}"),
        }
        let error = |sql: &str| parse_sql(sql).expect_err(sql).to_string();
        assert!(error("CREATE MONITOR m ON churn DATA 't'").contains("Expected: model"));
        assert!(error("CREATE MONITOR m ON MODEL churn").contains("Expected: data"));
        assert!(error("CREATE MONITOR m ON MODEL churn DATA t").contains("the data as a string"));
        assert!(error("RUN MONITOR").contains("a monitor name"));
    }
}
