//! Backslash commands: parsing `\timing on`, `\d orders`, … into [`Command`]s.

use std::path::PathBuf;

use super::display::Expanded;
use super::format::OutputFormat;
use crate::script::is_valid_name;
use firnml::{Error, Result};

/// The shell's help text (`\?`).
pub const HELP: &str = "\
Statements end with ';' and may span lines. Backslash commands take one line:
  \\q                      quit
  \\d [NAME]               list tables, views, feature views and models, or describe NAME
  \\dS                     the same list with the firn.* system tables
  \\dt                     list tables and views
  \\models [NAME]          list models (SHOW MODELS), or the versions of model NAME
  \\runs [EXPERIMENT]      list experiment runs (SHOW RUNS), or those of EXPERIMENT
  \\timing [on|off]        show row count and time after each statement (no argument: toggle)
  \\format [table|csv|json] set the output format (no argument: show it)
  \\x [on|off|auto]        one block per row (auto: when the table is wider than the screen)
  \\maxrows [N|all]        rows shown of a table result (no argument: show the limit)
  \\set [NAME [VALUE]]     set variable NAME, used as ${NAME} or ${NAME:-default} (no argument: list)
  \\unset NAME             remove variable NAME
  \\i FILE                 run the script FILE (relative to the working directory)
  \\ir FILE                run the script FILE relative to the current script's directory
  \\h [TOPIC]              syntax, description and example of a function or statement
                          (\\h predict, \\h CREATE MODEL; no topic: list the topics)
  \\?                      this help";

/// The commands, for the error about an unknown one.
const VALID: &str = "\\q, \\d [NAME], \\dS, \\dt, \\x [on|off|auto], \\maxrows [N|all], \\models [NAME], \\runs [EXPERIMENT], \\timing [on|off], \\format [table|csv|json], \
     \\set [NAME [VALUE]], \\unset NAME, \\i FILE, \\ir FILE, \\h [TOPIC], \\?";

/// `\dt`: the user's tables and views, like `SHOW TABLES` without the system schemas.
pub const LIST_TABLES: &str = "SELECT table_schema, table_name, table_type \
     FROM information_schema.tables WHERE table_schema NOT IN ('information_schema', 'firn') \
     ORDER BY table_schema, table_name";

/// A parsed backslash command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `\q`: stop the shell (a script stops too).
    Quit,
    /// `\dt`: list tables and views ([`LIST_TABLES`]).
    ListTables,
    /// `\d` (`system: false`) and `\dS`: list what the database holds.
    List {
        /// Whether the `firn.*` system tables are listed too.
        system: bool,
    },
    /// `\d NAME`: describe a table, view, feature view or model.
    Describe(String),
    /// `\x [on|off|auto]`; `None` toggles between on and off.
    Expanded(Option<Expanded>),
    /// `\maxrows N|all` (`Some(None)`: all); `None` shows the limit.
    MaxRows(Option<Option<usize>>),
    /// `\models [NAME]`: `SHOW MODELS`, or `SHOW VERSIONS IN MODEL NAME`.
    Models(Option<String>),
    /// `\runs [EXPERIMENT]`: `SHOW RUNS [IN EXPERIMENT …]`.
    Runs(Option<String>),
    /// `\timing [on|off]`; `None` toggles.
    Timing(Option<bool>),
    /// `\format [FORMAT]`; `None` shows the current one.
    Format(Option<OutputFormat>),
    /// `\set NAME VALUE`.
    Set {
        /// The variable.
        name: String,
        /// Its new value (empty when none was given).
        value: String,
    },
    /// `\set` without arguments: list the variables.
    ListVariables,
    /// `\unset NAME`.
    Unset(String),
    /// `\i FILE` or `\ir FILE`.
    Include {
        /// The script to run.
        path: PathBuf,
        /// `\ir`: relative to the directory of the script holding the command.
        relative_to_script: bool,
    },
    /// `\?`: help.
    Help,
    /// `\h [TOPIC]`: the reference of a function or statement (`None`: the topics).
    Reference(Option<String>),
}

impl Command {
    /// The SQL statement a command stands for, if it is one (`\d` is `SHOW TABLES`).
    pub fn sql(&self) -> Option<String> {
        match self {
            // SHOW TABLES without the information_schema views, which would bury the user's tables.
            Command::ListTables => Some(LIST_TABLES.to_string()),
            Command::Models(None) => Some("SHOW MODELS".to_string()),
            Command::Models(Some(name)) => Some(format!("SHOW VERSIONS IN MODEL {name}")),
            Command::Runs(None) => Some("SHOW RUNS".to_string()),
            Command::Runs(Some(name)) => Some(format!("SHOW RUNS IN EXPERIMENT {name}")),
            Command::Reference(None) => Some(super::help::TOPICS.to_string()),
            _ => None,
        }
    }
}

/// Parses a backslash command line such as `\timing on` (a trailing `;` is ignored,
/// except in a `\set` value).
pub fn parse_command(line: &str) -> Result<Command> {
    let line = line.trim();
    let body = line.strip_prefix('\\').unwrap_or(line);
    let (name, rest) = match body.find(char::is_whitespace) {
        Some(at) => (&body[..at], body[at..].trim()),
        None => (body, ""),
    };
    let (name, rest) = if name == "set" {
        (name, rest)
    } else {
        // `\dt;` and `\i file.sql;` are common slips.
        let name = name.strip_suffix(';').unwrap_or(name);
        (name, rest.strip_suffix(';').unwrap_or(rest).trim_end())
    };
    let args: Vec<&str> = rest.split_whitespace().collect();
    let command = match name {
        "q" | "quit" => no_args(Command::Quit, name, &args)?,
        "?" | "help" => no_args(Command::Help, name, &args)?,
        "h" => Command::Reference((!rest.is_empty()).then(|| rest.to_string())),
        "dt" => no_args(Command::ListTables, name, &args)?,
        "d" => match args.as_slice() {
            [] => Command::List { system: false },
            _ => Command::Describe(rest.to_string()),
        },
        "dS" => no_args(Command::List { system: true }, name, &args)?,
        "x" => match args.as_slice() {
            [] => Command::Expanded(None),
            ["auto"] => Command::Expanded(Some(Expanded::Auto)),
            [arg] => Command::Expanded(Some(if parse_switch(arg, "\\x [on|off|auto]")? {
                Expanded::On
            } else {
                Expanded::Off
            })),
            _ => return Err(usage("\\x [on|off|auto]")),
        },
        "maxrows" => match args.as_slice() {
            [] => Command::MaxRows(None),
            ["all"] => Command::MaxRows(Some(None)),
            [n] => match n.parse::<usize>() {
                Ok(n) if n > 0 => Command::MaxRows(Some(Some(n))),
                _ => {
                    return Err(Error::Unsupported(format!(
                        "\\maxrows takes a positive number of rows or 'all', got '{n}'"
                    )));
                }
            },
            _ => return Err(usage("\\maxrows [N|all]")),
        },
        "models" => match args.as_slice() {
            [] => Command::Models(None),
            [name] => Command::Models(Some(name.to_string())),
            _ => return Err(usage("\\models [NAME]")),
        },
        "runs" => match args.as_slice() {
            [] => Command::Runs(None),
            [name] => Command::Runs(Some(name.to_string())),
            _ => return Err(usage("\\runs [EXPERIMENT]")),
        },
        "timing" => match args.as_slice() {
            [] => Command::Timing(None),
            [arg] => Command::Timing(Some(parse_switch(arg, "\\timing [on|off]")?)),
            _ => return Err(usage("\\timing [on|off]")),
        },
        "format" => match args.as_slice() {
            [] => Command::Format(None),
            [arg] => Command::Format(Some(arg.parse()?)),
            _ => return Err(usage("\\format [table|csv|json]")),
        },
        "set" => parse_set(rest)?,
        "unset" => match args.as_slice() {
            [var] => Command::Unset(valid_name(var)?.to_string()),
            _ => return Err(usage("\\unset NAME")),
        },
        "i" | "include" | "ir" | "include_relative" => {
            if rest.is_empty() {
                return Err(usage(&format!("\\{name} FILE")));
            }
            Command::Include {
                path: PathBuf::from(unquote(rest)),
                relative_to_script: name.starts_with("ir") || name == "include_relative",
            }
        }
        _ => {
            return Err(Error::Unsupported(format!(
                "unknown command '\\{name}'; valid commands: {VALID}"
            )));
        }
    };
    Ok(command)
}

/// Parses `NAME=VALUE`, as given to `firn --set` (the name must be a valid variable name).
pub fn parse_assignment(text: &str) -> std::result::Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, got '{text}'"))?;
    let name = name.trim();
    valid_name(name).map_err(|e| e.to_string())?;
    Ok((name.to_string(), value.to_string()))
}

fn parse_set(rest: &str) -> Result<Command> {
    if rest.is_empty() {
        return Ok(Command::ListVariables);
    }
    let (name, value) = match rest.find(char::is_whitespace) {
        Some(at) => (&rest[..at], rest[at..].trim()),
        None => (rest, ""),
    };
    Ok(Command::Set {
        name: valid_name(name)?.to_string(),
        value: unquote(value).to_string(),
    })
}

fn valid_name(name: &str) -> Result<&str> {
    if is_valid_name(name) {
        Ok(name)
    } else {
        Err(Error::Unsupported(format!(
            "invalid variable name '{name}': use a letter or '_' followed by letters, digits or '_'"
        )))
    }
}

/// Strips one pair of matching surrounding quotes.
fn unquote(text: &str) -> &str {
    for quote in ['\'', '"'] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote)) {
            return inner;
        }
    }
    text
}

fn parse_switch(arg: &str, form: &str) -> Result<bool> {
    match arg.to_ascii_lowercase().as_str() {
        "on" | "true" | "1" => Ok(true),
        "off" | "false" | "0" => Ok(false),
        _ => Err(usage(form)),
    }
}

fn no_args(command: Command, name: &str, args: &[&str]) -> Result<Command> {
    if args.is_empty() {
        Ok(command)
    } else {
        Err(Error::Unsupported(format!(
            "\\{name} takes no arguments, got '{}'",
            args.join(" ")
        )))
    }
}

fn usage(form: &str) -> Error {
    Error::Unsupported(format!("usage: {form}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Command {
        parse_command(line).unwrap()
    }

    fn error(line: &str) -> String {
        parse_command(line).unwrap_err().to_string()
    }

    #[test]
    fn simple_commands() {
        assert_eq!(parse("\\q"), Command::Quit);
        assert_eq!(parse("  \\quit  "), Command::Quit);
        assert_eq!(parse("\\?"), Command::Help);
        assert_eq!(parse("\\d"), Command::List { system: false });
        assert_eq!(parse("\\dS"), Command::List { system: true });
        assert_eq!(parse("\\x"), Command::Expanded(None));
        assert_eq!(parse("\\x auto"), Command::Expanded(Some(Expanded::Auto)));
        assert_eq!(parse("\\x off"), Command::Expanded(Some(Expanded::Off)));
        assert_eq!(parse("\\maxrows all"), Command::MaxRows(Some(None)));
        assert_eq!(parse("\\maxrows 5"), Command::MaxRows(Some(Some(5))));
        assert!(parse_command("\\maxrows 0").is_err());
        assert!(
            parse_command("\\x sideways")
                .unwrap_err()
                .to_string()
                .contains("\\x [on|off|auto]")
        );
        assert_eq!(parse("\\dt"), Command::ListTables);
        assert_eq!(parse("\\dt;"), Command::ListTables);
        assert_eq!(parse("\\d orders"), Command::Describe("orders".into()));
        assert_eq!(
            parse("\\d \"My Table\";"),
            Command::Describe("\"My Table\"".into())
        );
    }

    #[test]
    fn commands_as_sql() {
        assert_eq!(parse("\\dt").sql().as_deref(), Some(LIST_TABLES));
        // \d runs the shell's own listing and lookup, not one statement.
        assert_eq!(parse("\\d").sql(), None);
        assert_eq!(parse("\\d t").sql(), None);
        assert_eq!(parse("\\q").sql(), None);
    }

    #[test]
    fn models_and_runs_are_show_statements() {
        assert_eq!(parse("\\models").sql().as_deref(), Some("SHOW MODELS"));
        assert_eq!(
            parse("\\models churn;").sql().as_deref(),
            Some("SHOW VERSIONS IN MODEL churn")
        );
        assert_eq!(parse("\\runs").sql().as_deref(), Some("SHOW RUNS"));
        assert_eq!(
            parse("\\runs exp").sql().as_deref(),
            Some("SHOW RUNS IN EXPERIMENT exp")
        );
        assert!(parse_command("\\models a b").is_err());
    }

    #[test]
    fn timing_and_format() {
        assert_eq!(parse("\\timing"), Command::Timing(None));
        assert_eq!(parse("\\timing on"), Command::Timing(Some(true)));
        assert_eq!(parse("\\timing OFF;"), Command::Timing(Some(false)));
        assert_eq!(parse("\\format"), Command::Format(None));
        assert_eq!(
            parse("\\format csv"),
            Command::Format(Some(OutputFormat::Csv))
        );
        assert!(error("\\timing maybe").contains("usage: \\timing [on|off]"));
        assert!(error("\\format xml").contains("table, csv or json"));
    }

    #[test]
    fn set_and_unset() {
        assert_eq!(parse("\\set"), Command::ListVariables);
        assert_eq!(
            parse("\\set cutoff DATE '2024-06-30'"),
            Command::Set {
                name: "cutoff".into(),
                value: "DATE '2024-06-30'".into()
            }
        );
        assert_eq!(
            parse("\\set dir 'my data;'"),
            Command::Set {
                name: "dir".into(),
                value: "my data;".into()
            }
        );
        assert_eq!(
            parse("\\set flag"),
            Command::Set {
                name: "flag".into(),
                value: String::new()
            }
        );
        assert_eq!(parse("\\unset cutoff"), Command::Unset("cutoff".into()));
        assert!(error("\\set 1x y").contains("invalid variable name '1x'"));
        assert!(error("\\unset").contains("usage: \\unset NAME"));
    }

    #[test]
    fn includes() {
        assert_eq!(
            parse("\\i sql/01_load.sql;"),
            Command::Include {
                path: "sql/01_load.sql".into(),
                relative_to_script: false
            }
        );
        assert_eq!(
            parse("\\ir 'my dir/x.sql'"),
            Command::Include {
                path: "my dir/x.sql".into(),
                relative_to_script: true
            }
        );
        assert!(error("\\i").contains("usage: \\i FILE"));
    }

    #[test]
    fn unknown_commands_list_the_valid_ones() {
        let err = error("\\frobnicate now");
        assert!(err.contains("unknown command '\\frobnicate'"), "{err}");
        assert!(
            err.contains("\\timing") && err.contains("\\i FILE"),
            "{err}"
        );
        assert!(error("\\q now").contains("\\q takes no arguments"));
    }

    #[test]
    fn assignments() {
        assert_eq!(
            parse_assignment("cutoff=2024-06-30"),
            Ok(("cutoff".into(), "2024-06-30".into()))
        );
        assert_eq!(parse_assignment("q=a=b"), Ok(("q".into(), "a=b".into())));
        assert_eq!(parse_assignment("e="), Ok(("e".into(), String::new())));
        assert!(
            parse_assignment("novalue")
                .unwrap_err()
                .contains("NAME=VALUE")
        );
        assert!(
            parse_assignment("1x=2")
                .unwrap_err()
                .contains("invalid variable name")
        );
    }
}
