//! The interactive loop: read lines until a statement is complete, run it, repeat.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor};

use super::complete::{ShellHelper, Vocabulary};
use super::runner::{Flow, ScriptError, Shell, Source};
use crate::script::{is_complete, scan};
use firnml::{Error, Result};

/// The prompt for a new statement.
pub const PROMPT: &str = "firn> ";
/// The prompt while a statement continues over several lines.
pub const CONTINUATION_PROMPT: &str = "   ...> ";

/// What reading one line gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadLine {
    /// A line, without its line ending.
    Line(String),
    /// Ctrl-C: drop the statement being typed.
    Interrupted,
    /// Ctrl-D or the end of the input: leave.
    Eof,
}

/// Where the REPL reads lines from: a terminal (rustyline) or, in tests, a list of lines.
pub trait LineReader {
    /// Reads one line, showing `prompt` if there is someone to show it to.
    fn read_line(&mut self, prompt: &str) -> Result<ReadLine>;

    /// Records a finished entry in the history.
    fn add_history(&mut self, _entry: &str) {}

    /// Whether a person is typing: Ctrl-C then cancels a running statement, and a statement
    /// left unfinished at Ctrl-D is dropped instead of run.
    fn is_interactive(&self) -> bool;

    /// The words tab completion offers, for the loop to refresh (`None`: no completion).
    fn vocabulary(&self) -> Option<Arc<Mutex<Vocabulary>>> {
        None
    }
}

/// How a REPL session went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplOutcome {
    /// The number of inputs that failed.
    pub errors: usize,
}

impl<O: Write, E: Write> Shell<O, E> {
    /// Runs the read-run-print loop until `\q`, Ctrl-D or the end of the input. Errors are
    /// printed as `Error: …` and the loop goes on.
    pub async fn repl(&mut self, reader: &mut impl LineReader) -> ReplOutcome {
        let mut outcome = ReplOutcome::default();
        let mut buffer = String::new();
        let mut refresh = true;
        loop {
            self.flush();
            if let (true, Some(vocabulary)) = (refresh, reader.vocabulary()) {
                // After each statement: what it created completes at the next prompt.
                let words = Vocabulary::load(&self.session).await;
                match vocabulary.lock() {
                    Ok(mut shared) => *shared = words,
                    Err(poisoned) => *poisoned.into_inner() = words,
                }
            }
            refresh = false;
            let prompt = if buffer.is_empty() {
                PROMPT
            } else {
                CONTINUATION_PROMPT
            };
            let line = match reader.read_line(prompt) {
                Ok(ReadLine::Line(line)) => line,
                Ok(ReadLine::Interrupted) => {
                    buffer.clear();
                    continue;
                }
                Ok(ReadLine::Eof) => {
                    // Piped input may end without a final ';'; a person leaving drops it.
                    if !reader.is_interactive() && !buffer.trim().is_empty() {
                        self.run_input(&buffer, reader, &mut outcome).await;
                    }
                    break;
                }
                Err(error) => {
                    self.report(&ScriptError::unlocated(error));
                    outcome.errors += 1;
                    break;
                }
            };

            let trimmed = line.trim();
            if !buffer.is_empty() && trimmed.starts_with('\\') && !scan(&buffer).open {
                // As in psql, a backslash command runs at once; the statement being typed
                // stays in the buffer.
                reader.add_history(trimmed);
                if self.run_input(trimmed, reader, &mut outcome).await == Flow::Quit {
                    break;
                }
                refresh = true;
                continue;
            }
            buffer.push_str(&line);
            buffer.push('\n');
            if is_complete(&buffer) {
                let input = std::mem::take(&mut buffer);
                reader.add_history(input.trim_end());
                if self.run_input(&input, reader, &mut outcome).await == Flow::Quit {
                    break;
                }
                refresh = true;
            } else {
                let scanned = scan(&buffer);
                if scanned.items.is_empty() && scanned.pending.is_none() && !scanned.open {
                    // Blank lines and finished comments: nothing to wait for.
                    buffer.clear();
                }
            }
        }
        self.flush();
        outcome
    }

    /// Runs one complete input; for a person, Ctrl-C cancels it.
    async fn run_input(
        &mut self,
        input: &str,
        reader: &impl LineReader,
        outcome: &mut ReplOutcome,
    ) -> Flow {
        let result = if reader.is_interactive() {
            tokio::select! {
                result = self.run_script(input, &Source::Interactive) => Some(result),
                Ok(()) = tokio::signal::ctrl_c() => None,
            }
        } else {
            Some(self.run_script(input, &Source::Interactive).await)
        };
        match result {
            Some(Ok(flow)) => flow,
            // Whoever read the output has gone: stop quietly.
            Some(Err(error)) if error.is_broken_pipe() => Flow::Quit,
            Some(Err(error)) => {
                self.report(&error);
                outcome.errors += 1;
                Flow::Continue
            }
            None => {
                self.report(&"Cancelled.");
                Flow::Continue
            }
        }
    }
}

/// A [`LineReader`] on the terminal, with history in `$HOME/.firn_history`. When standard
/// input is not a terminal it reads plain lines and shows no prompt.
pub struct TerminalReader {
    editor: Editor<ShellHelper, DefaultHistory>,
    history: Option<PathBuf>,
    interactive: bool,
    vocabulary: Arc<Mutex<Vocabulary>>,
}

impl TerminalReader {
    /// A reader on standard input; history is loaded when a person is typing.
    pub fn new() -> Result<Self> {
        use std::io::IsTerminal;
        let config = Config::builder().auto_add_history(false).build();
        let mut editor = Editor::with_config(config)
            .map_err(|e| Error::Unsupported(format!("cannot start the line editor: {e}")))?;
        let interactive = std::io::stdin().is_terminal();
        let vocabulary = Arc::new(Mutex::new(Vocabulary::default()));
        editor.set_helper(Some(ShellHelper::new(Arc::clone(&vocabulary))));
        let history = interactive
            .then(|| std::env::var_os("HOME"))
            .flatten()
            .map(|home| PathBuf::from(home).join(".firn_history"));
        if let Some(path) = &history {
            // No history yet, or an unreadable one, is no reason not to start.
            let _ = editor.load_history(path);
        }
        Ok(Self {
            editor,
            history,
            interactive,
            vocabulary,
        })
    }
}

impl LineReader for TerminalReader {
    fn read_line(&mut self, prompt: &str) -> Result<ReadLine> {
        match self.editor.readline(prompt) {
            Ok(line) => Ok(ReadLine::Line(line)),
            Err(ReadlineError::Interrupted) => Ok(ReadLine::Interrupted),
            Err(ReadlineError::Eof) => Ok(ReadLine::Eof),
            Err(ReadlineError::Io(e)) => Err(Error::io("reading input", e)),
            Err(e) => Err(Error::Unsupported(format!("reading input: {e}"))),
        }
    }

    fn add_history(&mut self, entry: &str) {
        if self.history.is_some() {
            let _ = self.editor.add_history_entry(entry);
        }
    }

    fn is_interactive(&self) -> bool {
        self.interactive
    }

    fn vocabulary(&self) -> Option<Arc<Mutex<Vocabulary>>> {
        self.interactive.then(|| Arc::clone(&self.vocabulary))
    }
}

impl Drop for TerminalReader {
    fn drop(&mut self) {
        if let Some(path) = &self.history {
            // Losing history is not worth a message on the way out.
            let _ = self.editor.save_history(path);
        }
    }
}

/// A [`LineReader`] over a fixed list of lines, for tests.
#[cfg(test)]
#[derive(Debug, Clone, Default)]
pub struct ScriptedReader {
    lines: std::collections::VecDeque<ReadLine>,
    /// The prompts shown, in order.
    pub prompts: Vec<String>,
    /// The history entries added, in order.
    pub history: Vec<String>,
    interactive: bool,
}

#[cfg(test)]
impl ScriptedReader {
    /// A reader that returns `events` in order, then [`ReadLine::Eof`].
    pub fn new(events: impl IntoIterator<Item = ReadLine>, interactive: bool) -> Self {
        Self {
            lines: events.into_iter().collect(),
            prompts: Vec::new(),
            history: Vec::new(),
            interactive,
        }
    }

    /// A reader over the lines of `text`.
    pub fn from_text(text: &str, interactive: bool) -> Self {
        Self::new(
            text.lines().map(|line| ReadLine::Line(line.to_string())),
            interactive,
        )
    }
}

#[cfg(test)]
impl LineReader for ScriptedReader {
    fn read_line(&mut self, prompt: &str) -> Result<ReadLine> {
        self.prompts.push(prompt.to_string());
        Ok(self.lines.pop_front().unwrap_or(ReadLine::Eof))
    }

    fn add_history(&mut self, entry: &str) {
        self.history.push(entry.to_string());
    }

    fn is_interactive(&self) -> bool {
        self.interactive
    }
}
