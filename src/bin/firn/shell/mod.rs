//! The `firn` shell: REPL, script runner and output formats.
//!
//! - [`run`] is the whole `firn [DB] [-f FILE] [-c SQL]` program after argument parsing.
//! - [`Shell`] runs statements, scripts and backslash commands on a session and prints to
//!   any writer, so it can be driven from tests.
//! - [`Shell::repl`] is the read-run-print loop over a [`LineReader`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use firnml::shell::{OutputFormat, Shell, Source};
//!
//! let db = firnml::Database::in_memory().await?;
//! let mut shell = Shell::new(db.session(), Vec::new(), Vec::new());
//! shell.set_format(OutputFormat::Csv);
//! shell.run_script("\\set n 2\nSELECT ${n} AS n;", &Source::CommandLine).await?;
//! let (out, _err) = shell.into_writers();
//! assert_eq!(String::from_utf8(out)?, "n\n2\n");
//! # Ok(()) }
//! ```

mod commands;
mod complete;
mod describe;
mod display;
mod export;
mod format;
mod help;
mod highlight;
mod progress_bar;
mod repl;
mod runner;
#[cfg(test)]
mod tests;

use std::io::{self, BufWriter, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

pub use commands::parse_assignment;
pub use export::{ExportOptions, export_model};
pub use format::OutputFormat;
pub use repl::{LineReader, TerminalReader};
pub use runner::{Flow, ScriptError, Shell, Source};

use display::Screen;
use firnml::Database;

/// Something to run before (instead of) the REPL, in command-line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `-f FILE`: run a script file (`-` is standard input).
    File(PathBuf),
    /// `-c SQL`: run statements and commands given as text.
    Command(String),
}

/// What `firn` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The database directory or URL; `None` is an in-memory database.
    pub database: Option<String>,
    /// Scripts and commands to run, in order; none means the REPL.
    pub actions: Vec<Action>,
    /// Variables set before anything runs (`--set NAME=VALUE`).
    pub variables: Vec<(String, String)>,
    /// The initial output format.
    pub format: OutputFormat,
    /// No banner and no confirmations.
    pub quiet: bool,
    /// `--max-rows N`: rows shown of a table result (`Some(0)`: all); `None`: the default
    /// (40 in the interactive shell, all in scripts).
    pub max_rows: Option<usize>,
    /// `--echo`: print each statement of a script before it runs.
    pub echo: bool,
    /// How to open the database (a cluster to run queries on, …).
    pub database_options: firnml::DatabaseOptions,
}

/// Runs the shell: opens the database, runs the actions in order (stopping at the first
/// error), or the REPL when there are none. Returns failure on any error in a script, or
/// in the REPL when its input is piped rather than typed.
pub async fn run(options: Options) -> ExitCode {
    let opened = match &options.database {
        Some(location) => Database::open_with(location, options.database_options.clone()).await,
        None => Database::open_with(":memory:", options.database_options.clone()).await,
    };
    let db = match opened {
        Ok(db) => db,
        Err(error) => {
            eprintln!("Error: {error}");
            return ExitCode::FAILURE;
        }
    };
    for warning in db.warnings() {
        eprintln!("Warning: {warning}");
    }

    // Bars only where a person watches: a terminal, not quiet.
    let session = if !options.quiet && io::stderr().is_terminal() {
        db.session_builder()
            .with_progress(Arc::new(progress_bar::TerminalProgress::new()))
            .build()
    } else {
        db.session()
    };
    let mut shell = Shell::new(session, BufWriter::new(io::stdout()), io::stderr());
    shell.set_format(options.format);
    shell.set_echo(options.echo);
    let chosen_rows = options.max_rows.map(|n| (n > 0).then_some(n));
    shell.set_screen(Screen {
        max_rows: chosen_rows.flatten(),
        ..Screen::default()
    });
    for (name, value) in &options.variables {
        shell.variables_mut().set(name.clone(), value.clone());
    }

    for action in &options.actions {
        let result = match action {
            Action::File(path) => shell.run_file(path).await,
            Action::Command(text) => shell.run_script(text, &Source::CommandLine).await,
        };
        match result {
            Ok(Flow::Continue) => {}
            Ok(Flow::Quit) => break,
            // `firn -c … | head`: the reader has what it wanted.
            Err(error) if error.is_broken_pipe() => return ExitCode::SUCCESS,
            Err(error) => {
                shell.report(&error);
                return ExitCode::FAILURE;
            }
        }
    }
    if !options.actions.is_empty() {
        shell.flush();
        return ExitCode::SUCCESS;
    }

    let mut reader = match TerminalReader::new() {
        Ok(reader) => reader,
        Err(error) => {
            shell.report(&ScriptError::unlocated(error));
            return ExitCode::FAILURE;
        }
    };
    let person = reader.is_interactive();
    if person && !options.quiet {
        let what = match &options.database {
            Some(_) => db.location(),
            None => "in-memory database (nothing is written)".to_string(),
        };
        let version = env!("CARGO_PKG_VERSION");
        println!("firn {version} · {what} · \\? for help, \\q to quit");
    }
    shell.set_verbose(person && !options.quiet);
    if person {
        // A person at a terminal: a long result is cut to the screen (DuckDB's and
        // datafusion-cli's 40 rows), wide cells to its width.
        shell.set_screen(Screen {
            max_rows: chosen_rows.unwrap_or(Some(display::INTERACTIVE_MAX_ROWS)),
            width: console::Term::stdout()
                .size_checked()
                .map(|(_, columns)| usize::from(columns)),
            expanded: display::Expanded::Off,
        });
    }
    let outcome = shell.repl(&mut reader).await;
    if !person && outcome.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `firn gen-data`: writes the demo data set and prints what was written.
pub fn gen_data(config: &crate::datagen::GenConfig) -> ExitCode {
    match crate::datagen::generate(config) {
        Ok(summary) => {
            println!(
                "wrote {} customers and {} orders to {} (customers.csv, orders.csv)",
                summary.customers,
                summary.orders,
                config.out_dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("Error: {error}");
            ExitCode::FAILURE
        }
    }
}
