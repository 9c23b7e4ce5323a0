//! Splitting SQL scripts into statements, with line numbers and variables.
//!
//! A script is SQL statements ended by `;`, mixed with backslash commands (`\timing on`,
//! `\i other.sql`), one per line. [`split_script`] turns its text into [`ScriptItem`]s that
//! remember the line they start on, so an error can name it. A `;` inside a single-quoted
//! string (`''` escapes a quote), a double-quoted identifier, a `-- …` comment or a
//! `/* … */` comment (which may nest, as in DataFusion's parser) does not end a statement.
//!
//! [`Variables`] substitutes `${name}` and `${name:-default}` in an item's text just before
//! it runs, so a `\set` earlier in a script affects the statements after it.
//!
//! ```
//! use firnml::script::{split_script, ScriptItem, Variables};
//!
//! let items = split_script("\\set n 3\n-- a comment; with a semicolon\nSELECT ${n} AS n;");
//! assert_eq!(items[0], ScriptItem::Command { text: "\\set n 3".into(), line: 1 });
//! assert_eq!(items[1], ScriptItem::Sql { text: "SELECT ${n} AS n".into(), line: 3 });
//!
//! let mut vars = Variables::new();
//! vars.set("n", "3");
//! assert_eq!(vars.substitute("SELECT ${n}, ${m:-4}", 1).unwrap(), "SELECT 3, 4");
//! ```

use std::collections::BTreeMap;

use firnml::{Error, Result};

/// One thing to run from a script: an SQL statement or a backslash command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptItem {
    /// An SQL statement, without its terminating `;`.
    Sql {
        /// The statement's text, from its first significant character.
        text: String,
        /// The 1-based line where the statement starts.
        line: usize,
    },
    /// A backslash command: the whole line, e.g. `\timing on`.
    Command {
        /// The command line, trimmed.
        text: String,
        /// The 1-based line of the command.
        line: usize,
    },
}

impl ScriptItem {
    /// The item's text.
    pub fn text(&self) -> &str {
        match self {
            ScriptItem::Sql { text, .. } | ScriptItem::Command { text, .. } => text,
        }
    }

    /// The 1-based line where the item starts.
    pub fn line(&self) -> usize {
        match self {
            ScriptItem::Sql { line, .. } | ScriptItem::Command { line, .. } => *line,
        }
    }
}

/// Where the lexer is inside SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Normal,
    SingleQuote,
    DoubleQuote,
    LineComment,
    /// Inside `/* … */`, with the nesting depth.
    BlockComment(usize),
}

/// The result of scanning a text: the finished items and what is left at the end.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// Statements ended by `;` and backslash commands.
    pub(crate) items: Vec<ScriptItem>,
    /// A statement started but not ended by `;`.
    pub(crate) pending: Option<ScriptItem>,
    /// The text ends inside a quoted string, a quoted identifier or a block comment.
    pub(crate) open: bool,
}

/// Scans `text` once, splitting it into items (see [`split_script`]).
pub(crate) fn scan(text: &str) -> Scan {
    let chars: Vec<char> = text.chars().collect();
    let mut scan = Scan::default();
    let mut state = State::Normal;
    let mut line = 1;
    // Only whitespace seen so far on the current line.
    let mut at_line_start = true;
    // The statement in progress: its text and start line (None until a significant character).
    let mut current = String::new();
    let mut start: Option<usize> = None;

    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match state {
            State::Normal => {
                if c == '\\' && at_line_start && start.is_none() {
                    // A backslash command: the rest of the line.
                    let end = chars[i..]
                        .iter()
                        .position(|&ch| ch == '\n')
                        .map_or(chars.len(), |p| i + p);
                    let command: String = chars[i..end].iter().collect();
                    scan.items.push(ScriptItem::Command {
                        text: command.trim().to_string(),
                        line,
                    });
                    current.clear();
                    i = end; // the newline, if any, is handled below as whitespace
                    continue;
                }
                if c == ';' {
                    if let Some(line) = start.take() {
                        scan.items.push(ScriptItem::Sql {
                            text: current.trim_end().to_string(),
                            line,
                        });
                    }
                    current.clear();
                } else if c == '-' && next == Some('-') {
                    state = State::LineComment;
                    if start.is_some() {
                        current.push_str("--");
                    }
                    i += 2;
                    at_line_start = false;
                    continue;
                } else if c == '/' && next == Some('*') {
                    state = State::BlockComment(1);
                    if start.is_some() {
                        current.push_str("/*");
                    }
                    i += 2;
                    at_line_start = false;
                    continue;
                } else if c.is_whitespace() {
                    if start.is_some() {
                        current.push(c);
                    }
                } else {
                    if start.is_none() {
                        start = Some(line);
                    }
                    current.push(c);
                    if c == '\'' {
                        state = State::SingleQuote;
                    } else if c == '"' {
                        state = State::DoubleQuote;
                    }
                }
            }
            State::SingleQuote | State::DoubleQuote => {
                current.push(c);
                let quote = if state == State::SingleQuote {
                    '\''
                } else {
                    '"'
                };
                if c == quote {
                    if next == Some(quote) {
                        // A doubled quote is an escaped quote.
                        current.push(quote);
                        i += 2;
                        at_line_start = false;
                        continue;
                    }
                    state = State::Normal;
                }
            }
            State::LineComment => {
                if c == '\n' {
                    state = State::Normal;
                }
                if start.is_some() {
                    current.push(c);
                }
            }
            State::BlockComment(depth) => {
                let mut step = 1;
                if c == '*' && next == Some('/') {
                    state = if depth == 1 {
                        State::Normal
                    } else {
                        State::BlockComment(depth - 1)
                    };
                    step = 2;
                } else if c == '/' && next == Some('*') {
                    state = State::BlockComment(depth + 1);
                    step = 2;
                }
                if start.is_some() {
                    current.extend(&chars[i..i + step]);
                }
                if step == 2 {
                    i += 2;
                    at_line_start = false;
                    continue;
                }
            }
        }
        if c == '\n' {
            line += 1;
            at_line_start = true;
        } else if !c.is_whitespace() {
            at_line_start = false;
        }
        i += 1;
    }

    if let Some(line) = start {
        scan.pending = Some(ScriptItem::Sql {
            text: current.trim_end().to_string(),
            line,
        });
    }
    scan.open = matches!(
        state,
        State::SingleQuote | State::DoubleQuote | State::BlockComment(_)
    );
    scan
}

/// Splits script text into SQL statements and backslash commands, in order.
///
/// Statements end at `;` outside quoted strings, quoted identifiers and comments; the `;`
/// is not part of the text. A line whose first non-blank character is `\`, outside a
/// statement in progress, is a backslash command (the whole line). Text after the last
/// `;` is still a statement. Statements that hold nothing but comments are dropped.
pub fn split_script(text: &str) -> Vec<ScriptItem> {
    let mut scan = scan(text);
    scan.items.extend(scan.pending);
    scan.items
}

/// Whether a REPL buffer is ready to run: it ends a statement with `;` (outside quotes and
/// comments) or is a backslash command.
pub fn is_complete(buffer: &str) -> bool {
    let scan = scan(buffer);
    !scan.items.is_empty() && scan.pending.is_none() && !scan.open
}

/// Whether `name` can be a variable: a letter or `_`, then letters, digits or `_`.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Script variables, set with `\set NAME VALUE` or `firn --set NAME=VALUE`, used as
/// `${NAME}` or `${NAME:-default}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variables {
    values: BTreeMap<String, String>,
}

impl Variables {
    /// No variables.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a variable, replacing any earlier value.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.values.insert(name.into(), value.into());
    }

    /// A variable's value, if it is set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Removes a variable; returns whether it was set.
    pub fn unset(&mut self, name: &str) -> bool {
        self.values.remove(name).is_some()
    }

    /// All variables, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Replaces `${name}` and `${name:-default}` in `text`, which starts on line `line` of
    /// its script. References inside comments are left alone; references inside quoted
    /// strings are replaced (so `LOCATION '${dir}/orders.csv'` works). A reference to an
    /// undefined variable without a default is an error naming the variable and its line.
    pub fn substitute(&self, text: &str, line: usize) -> Result<String> {
        if !text.contains("${") {
            return Ok(text.to_string());
        }
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        let mut state = State::Normal;
        let mut line = line;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            let in_comment = matches!(state, State::LineComment | State::BlockComment(_));
            if c == '$' && next == Some('{') && !in_comment {
                let (value, consumed) = self.reference(&chars[i..], line)?;
                out.push_str(&value);
                i += consumed;
                continue;
            }
            let mut step = 1;
            state = match (state, c, next) {
                (State::Normal, '\'', _) => State::SingleQuote,
                (State::Normal, '"', _) => State::DoubleQuote,
                (State::Normal, '-', Some('-')) => {
                    step = 2;
                    State::LineComment
                }
                (State::Normal, '/', Some('*')) => {
                    step = 2;
                    State::BlockComment(1)
                }
                (State::SingleQuote, '\'', Some('\'')) | (State::DoubleQuote, '"', Some('"')) => {
                    step = 2;
                    state
                }
                (State::SingleQuote, '\'', _) | (State::DoubleQuote, '"', _) => State::Normal,
                (State::LineComment, '\n', _) => State::Normal,
                (State::BlockComment(depth), '*', Some('/')) => {
                    step = 2;
                    if depth == 1 {
                        State::Normal
                    } else {
                        State::BlockComment(depth - 1)
                    }
                }
                (State::BlockComment(depth), '/', Some('*')) => {
                    step = 2;
                    State::BlockComment(depth + 1)
                }
                (state, _, _) => state,
            };
            out.extend(&chars[i..i + step]);
            line += chars[i..i + step].iter().filter(|&&ch| ch == '\n').count();
            i += step;
        }
        Ok(out)
    }

    /// Resolves the reference that starts `chars` (`${…}`): its value and its length.
    fn reference(&self, chars: &[char], line: usize) -> Result<(String, usize)> {
        let Some(close) = chars.iter().position(|&c| c == '}') else {
            return Err(Error::Unsupported(format!(
                "unterminated variable reference '${{' at line {line}: write ${{name}} or ${{name:-default}}"
            )));
        };
        let inner: String = chars[2..close].iter().collect();
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner.as_str(), None),
        };
        if !is_valid_name(name) {
            return Err(Error::Unsupported(format!(
                "invalid variable reference '${{{inner}}}' at line {line}: a name is a letter or '_' \
                 followed by letters, digits or '_'"
            )));
        }
        let value = match (self.get(name), default) {
            (Some(value), _) => value.to_string(),
            (None, Some(default)) => default.to_string(),
            (None, None) => {
                return Err(Error::Unsupported(format!(
                    "undefined variable '{name}' at line {line}: set it with \\set {name} VALUE or \
                     firn --set {name}=VALUE, or give a default with ${{{name}:-default}}"
                )));
            }
        };
        Ok((value, close + 1))
    }
}

#[cfg(test)]
mod tests;
