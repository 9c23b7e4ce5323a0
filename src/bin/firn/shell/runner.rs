//! [`Shell`]: runs statements, scripts and backslash commands against a session and
//! prints their results to any writer.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::commands::{Command, HELP, parse_command};
use super::display::{Expanded, Screen};
use super::format::{OutputFormat, footer, write_output};
use super::{describe, help};
use crate::script::{ScriptItem, Variables, split_script};
use firnml::{Error, QueryOutput, Result, Session};

/// How deeply `\i` may nest before Firn assumes a script includes itself.
const MAX_INCLUDE_DEPTH: usize = 16;

/// Where script text comes from; decides how an error names its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Typed at the prompt: errors print as `Error: …`.
    Interactive,
    /// Given with `firn -c`: errors print as `Error at line N: …`.
    CommandLine,
    /// A script file: errors print as `Error at FILE:N: …`.
    File(PathBuf),
}

/// What to do after an item ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on with the next item.
    Continue,
    /// `\q` was run: stop.
    Quit,
}

/// A failed statement or command, with where it was.
#[derive(Debug)]
pub struct ScriptError {
    /// The script file, when the item came from one.
    pub file: Option<PathBuf>,
    /// The 1-based line where the failing item starts (none for interactive input).
    pub line: Option<usize>,
    /// What went wrong.
    pub error: Error,
    /// For a syntax error: the statement's line and a caret under the position.
    pub pointer: Option<String>,
}

impl ScriptError {
    fn at(source: &Source, line: usize, error: Error) -> Self {
        let (file, line) = match source {
            Source::Interactive => (None, None),
            Source::CommandLine => (None, Some(line)),
            Source::File(path) => (Some(path.clone()), Some(line)),
        };
        Self {
            file,
            line,
            error,
            pointer: None,
        }
    }

    /// Points at the position a syntax error names (`… at Line: 2, Column: 9`) in
    /// `statement`, the text the parser read, as DuckDB and psql do:
    ///
    /// ```text
    ///   SELECT * FROM t WHERE x = = 1
    ///                             ^
    /// ```
    fn pointing_into(mut self, statement: &str) -> Self {
        let message = self.error.to_string();
        let number_after = |label: &str| {
            let at = message.rfind(label)? + label.len();
            let digits: String = message[at..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse::<usize>().ok()
        };
        if let (Some(line), Some(column)) = (number_after("at Line: "), number_after(", Column: "))
            && let Some(text) = statement.lines().nth(line.saturating_sub(1))
            && column >= 1
            && column <= text.chars().count() + 1
        {
            let indent: String = text
                .chars()
                .take(column - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            self.pointer = Some(format!("  {text}\n  {indent}^"));
        }
        self
    }

    /// Whether the output was closed by its reader (`firn … | head`): nothing to report.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(&self.error, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// An error that belongs to no line (a script file that cannot be read, …).
    pub fn unlocated(error: Error) -> Self {
        Self {
            file: None,
            line: None,
            error,
            pointer: None,
        }
    }
}

/// The whole user-facing report: `Error at load.sql:3: …` (the `FILE:LINE`
/// form editors and terminals jump to), `Error at line 3: …` for `-c`.
impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, &self.file) {
            (Some(line), Some(file)) => {
                write!(f, "Error at {}:{line}: {}", file.display(), self.error)
            }
            (Some(line), None) => write!(f, "Error at line {line}: {}", self.error),
            (None, _) => write!(f, "Error: {}", self.error),
        }?;
        match &self.pointer {
            Some(pointer) => write!(f, "\n{pointer}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for ScriptError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Runs SQL and backslash commands on one session, printing results to `out` and
/// informational messages to `out` (table format) or `err` (CSV/JSON, so their output
/// stays machine-readable).
pub struct Shell<O: Write, E: Write> {
    pub(super) session: Session,
    variables: Variables,
    format: OutputFormat,
    screen: Screen,
    timing: bool,
    verbose: bool,
    echo: bool,
    include_depth: usize,
    out: O,
    err: E,
}

impl<O: Write, E: Write> Shell<O, E> {
    /// A shell on `session` printing table output, timing off, no variables.
    pub fn new(session: Session, out: O, err: E) -> Self {
        Self {
            session,
            variables: Variables::new(),
            format: OutputFormat::Table,
            screen: Screen::default(),
            timing: false,
            verbose: false,
            echo: false,
            include_depth: 0,
            out,
            err,
        }
    }

    /// The script variables, to set some before running scripts.
    pub fn variables_mut(&mut self) -> &mut Variables {
        &mut self.variables
    }

    /// The output format.
    #[cfg(test)]
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// Sets the output format.
    pub fn set_format(&mut self, format: OutputFormat) {
        self.format = format;
    }

    /// Whether a row count and time follow each statement.
    #[cfg(test)]
    pub fn timing(&self) -> bool {
        self.timing
    }

    /// Turns the timing footer on or off.
    #[cfg(test)]
    pub fn set_timing(&mut self, timing: bool) {
        self.timing = timing;
    }

    /// Whether commands confirm what they did (`Timing is on.`) and table results end
    /// with their row count; on for an interactive user.
    pub fn set_verbose(&mut self, verbose: bool) {
        self.verbose = verbose;
    }

    /// How table results fit the screen (rows shown, terminal width, `\x`).
    pub fn set_screen(&mut self, screen: Screen) {
        self.screen = screen;
    }

    /// Whether each statement and command of a script is printed before it runs (`--echo`).
    pub fn set_echo(&mut self, echo: bool) {
        self.echo = echo;
    }

    /// The writers, e.g. to inspect captured output in a test.
    #[cfg(test)]
    pub fn into_writers(self) -> (O, E) {
        (self.out, self.err)
    }

    /// Flushes the output writer (before a prompt; a failure shows up on the next write).
    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }

    /// Writes a report (an error, a warning) to the error writer, after flushing the output
    /// so the two stay in order on a terminal.
    pub fn report(&mut self, message: &dyn fmt::Display) {
        // Nothing sensible is left to do when stderr itself cannot be written.
        let _ = self.out.flush();
        let _ = writeln!(self.err, "{message}");
        let _ = self.err.flush();
    }

    /// Runs script text: each item in order, stopping at the first error, which names the
    /// item's line (and file) according to `source`.
    pub async fn run_script(&mut self, text: &str, source: &Source) -> Result<Flow, ScriptError> {
        for item in split_script(text) {
            let line = item.line();
            let at = |error: Error| ScriptError::at(source, line, error);
            let text = self.variables.substitute(item.text(), line).map_err(at)?;
            if self.echo {
                let echoed = match item {
                    ScriptItem::Sql { .. } => format!("{};", text.trim()),
                    ScriptItem::Command { .. } => text.trim().to_string(),
                };
                self.print(&echoed).map_err(at)?;
            }
            let flow = match item {
                ScriptItem::Sql { .. } => {
                    self.run_sql(&text)
                        .await
                        .map_err(|error| at(error).pointing_into(&text))?;
                    Flow::Continue
                }
                ScriptItem::Command { .. } => {
                    let command = parse_command(&text).map_err(at)?;
                    self.run_command(command, source, line).await?
                }
            };
            self.out
                .flush()
                .map_err(|e| at(Error::io("writing output", e)))?;
            if flow == Flow::Quit {
                return Ok(Flow::Quit);
            }
        }
        Ok(Flow::Continue)
    }

    /// Runs a script file (`-` reads standard input); errors name the file.
    pub async fn run_file(&mut self, path: &Path) -> Result<Flow, ScriptError> {
        let text = if path == Path::new("-") {
            std::io::read_to_string(std::io::stdin())
                .map_err(|e| Error::io("cannot read the script from standard input", e))
        } else {
            std::fs::read_to_string(path)
                .map_err(|e| Error::io(format!("cannot read script '{}'", path.display()), e))
        }
        .map_err(ScriptError::unlocated)?;
        self.run_script(&text, &Source::File(path.to_path_buf()))
            .await
    }

    /// Runs one SQL statement and prints its result (and the timing footer).
    pub async fn run_sql(&mut self, sql: &str) -> Result<()> {
        let started = Instant::now();
        let output = self.session.execute(sql).await;
        self.show(output, started)
    }

    /// Prints a result: the rows, then — with `\timing` — count and time, else the
    /// count when rows were left out (never silently) or a person reads a table.
    fn show(&mut self, output: Result<QueryOutput>, started: Instant) -> Result<()> {
        let output = output?;
        let elapsed = started.elapsed();
        let shown = write_output(&mut self.out, self.format, &output, &self.screen)?;
        if self.timing {
            let footer = footer(&output, shown, elapsed);
            self.info(&footer, true)?;
        } else if !output.schema.fields().is_empty()
            && self.format == OutputFormat::Table
            && (shown.shown < shown.total || self.verbose)
        {
            self.info(&shown.describe(), true)?;
        }
        Ok(())
    }

    /// Runs a backslash command found at `line` of a script from `source`.
    async fn run_command(
        &mut self,
        command: Command,
        source: &Source,
        line: usize,
    ) -> Result<Flow, ScriptError> {
        let at = |error: Error| ScriptError::at(source, line, error);
        if let Some(sql) = command.sql() {
            self.run_sql(&sql).await.map_err(at)?;
            return Ok(Flow::Continue);
        }
        match command {
            Command::Quit => return Ok(Flow::Quit),
            Command::List { system } => {
                let started = Instant::now();
                let output = describe::list(&self.session, system).await;
                self.show(output, started).map_err(at)?;
            }
            Command::Describe(name) => {
                let started = Instant::now();
                let output = describe::describe(&self.session, &name).await;
                self.show(output, started).map_err(at)?;
            }
            Command::Expanded(mode) => {
                self.screen.expanded = mode.unwrap_or(match self.screen.expanded {
                    Expanded::Off => Expanded::On,
                    Expanded::On | Expanded::Auto => Expanded::Off,
                });
                let text = format!("Expanded display is {}.", self.screen.expanded.word());
                self.info(&text, false).map_err(at)?;
            }
            Command::MaxRows(None) => {
                let text = self.max_rows_text();
                self.print(&text).map_err(at)?;
            }
            Command::MaxRows(Some(limit)) => {
                self.screen.max_rows = limit;
                let text = self.max_rows_text();
                self.info(&text, false).map_err(at)?;
            }
            Command::Help => self.print(HELP).map_err(at)?,
            Command::Reference(Some(topic)) => {
                let text = help::help(&self.session, &topic).await.map_err(at)?;
                self.print(&text).map_err(at)?;
            }
            Command::Timing(switch) => {
                self.timing = switch.unwrap_or(!self.timing);
                let state = if self.timing { "on" } else { "off" };
                self.info(&format!("Timing is {state}."), false)
                    .map_err(at)?;
            }
            Command::Format(None) => {
                let text = format!("Output format is {}.", self.format);
                self.print(&text).map_err(at)?;
            }
            Command::Format(Some(format)) => {
                self.format = format;
                self.info(&format!("Output format is {format}."), false)
                    .map_err(at)?;
            }
            Command::Set { name, value } => self.variables.set(name, value),
            Command::ListVariables => {
                let listing: Vec<String> = self
                    .variables
                    .iter()
                    .map(|(name, value)| format!("{name} = '{value}'"))
                    .collect();
                if !listing.is_empty() {
                    self.print(&listing.join("\n")).map_err(at)?;
                }
            }
            Command::Unset(name) => {
                self.variables.unset(&name);
            }
            Command::Include {
                path,
                relative_to_script,
            } => {
                let path = match source {
                    Source::File(script) if relative_to_script && path.is_relative() => script
                        .parent()
                        .map_or_else(|| path.clone(), |dir| dir.join(&path)),
                    _ => path,
                };
                if self.include_depth >= MAX_INCLUDE_DEPTH {
                    return Err(at(Error::Unsupported(format!(
                        "cannot include '{}': scripts nest more than {MAX_INCLUDE_DEPTH} deep \
                         (does a script include itself?)",
                        path.display()
                    ))));
                }
                self.include_depth += 1;
                let result = Box::pin(self.run_file(&path)).await;
                self.include_depth -= 1;
                // A script that cannot be read is an error of the line that included it.
                return result.map_err(|e| match e.line {
                    None => at(e.error),
                    Some(_) => e,
                });
            }
            // Commands that are SQL ran above.
            Command::ListTables
            | Command::Models(_)
            | Command::Runs(_)
            | Command::Reference(None) => {}
        }
        Ok(Flow::Continue)
    }

    /// What `\maxrows` says.
    fn max_rows_text(&self) -> String {
        match self.screen.max_rows {
            Some(n) => format!("Tables show at most {n} rows."),
            None => "Tables show every row.".to_string(),
        }
    }

    /// Prints requested output (help, `\set` listing) to the output writer.
    fn print(&mut self, text: &str) -> Result<()> {
        writeln!(self.out, "{text}").map_err(|e| Error::io("writing output", e))
    }

    /// Prints an informational line: to the output in table format, to the error writer in
    /// CSV/JSON format. Confirmations (`always == false`) only print for an interactive user.
    fn info(&mut self, text: &str, always: bool) -> Result<()> {
        if !always && !self.verbose {
            return Ok(());
        }
        let result = if self.format.is_machine_readable() {
            // The rows first: a terminal shows both streams, in the order written.
            let _ = self.out.flush();
            writeln!(self.err, "{text}")
        } else {
            writeln!(self.out, "{text}")
        };
        result.map_err(|e| Error::io("writing output", e))
    }
}
