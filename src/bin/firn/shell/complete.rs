//! Tab completion (and, through [`super::highlight`], syntax colours) in the interactive shell: keywords, the database's tables,
//! views, columns and functions, backslash commands, file names after `\i`, and
//! model names inside the string that names a model (`predict('ch⇥`).
//!
//! [`complete`] is a pure function of the line and the [`Vocabulary`]; the
//! shell refreshes the vocabulary after each statement ([`Vocabulary::load`]),
//! so a table created a moment ago completes.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, AsArray};
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use super::highlight::{colours_off, highlight_sql};
use firnml::Session;

/// SQL and Firn keywords offered in completion (upper case; typed lower case, they complete lower case).
pub const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "ORDER",
    "HAVING",
    "LIMIT",
    "OFFSET",
    "JOIN",
    "LEFT",
    "RIGHT",
    "INNER",
    "OUTER",
    "FULL",
    "CROSS",
    "ON",
    "USING",
    "AS",
    "AND",
    "OR",
    "NOT",
    "NULL",
    "IS",
    "IN",
    "EXISTS",
    "BETWEEN",
    "LIKE",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "DISTINCT",
    "UNION",
    "ALL",
    "WITH",
    "INSERT",
    "INTO",
    "VALUES",
    "CREATE",
    "TABLE",
    "VIEW",
    "DROP",
    "IF",
    "REPLACE",
    "EXTERNAL",
    "STORED",
    "LOCATION",
    "OPTIONS",
    "COPY",
    "TO",
    "EXPLAIN",
    "DESCRIBE",
    "SHOW",
    "TABLES",
    "FUNCTIONS",
    "CAST",
    "DATE",
    "TIMESTAMP",
    "INTERVAL",
    "TRUE",
    "FALSE",
    "ASC",
    "DESC",
    "MODEL",
    "MODELS",
    "VERSION",
    "VERSIONS",
    "ALTER",
    "SET",
    "UNSET",
    "DEFAULT",
    "ALIAS",
    "COMMENT",
    "ENTITY",
    "ENTITIES",
    "KEYS",
    "FEATURE",
    "FEATURES",
    "VIEWS",
    "MATERIALIZED",
    "TRAINING",
    "MONITOR",
    "MONITORS",
    "RUN",
    "RUNS",
    "EXPERIMENT",
    "EXPERIMENTS",
    "VERIFY",
];

/// The backslash commands.
const COMMANDS: &[&str] = &[
    "\\q",
    "\\d",
    "\\dS",
    "\\dt",
    "\\x",
    "\\maxrows",
    "\\models",
    "\\runs",
    "\\timing",
    "\\format",
    "\\set",
    "\\unset",
    "\\i",
    "\\ir",
    "\\h",
    "\\?",
];

/// Functions whose first argument is a model reference, as a string.
const MODEL_FUNCTIONS: &[&str] = &[
    "predict",
    "predict_proba",
    "predict_label",
    "evaluate",
    "confusion_matrix",
    "roc_curve",
    "explain_predict",
    "feature_importance",
    "cross_validate",
    "model_nodes",
    "describe_model",
    "model_signature",
    "verify_model",
    "drift_report",
    "model_version_at",
];

/// What the database offers to complete, as of the last refresh.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vocabulary {
    /// Tables, views, columns and functions (Firn's and DataFusion's), lower case, sorted.
    pub names: Vec<String>,
    /// Model names.
    pub models: Vec<String>,
}

/// Every string of the first column of `sql`'s rows.
async fn strings(session: &Session, sql: &str) -> Vec<String> {
    let Ok(output) = session.execute(sql).await else {
        return Vec::new();
    };
    let mut values = Vec::new();
    for batch in &output.batches {
        if let Some(column) = batch.column(0).as_string_opt::<i32>() {
            values.extend(
                (0..column.len())
                    .filter(|&i| column.is_valid(i))
                    .map(|i| column.value(i).to_string()),
            );
        }
    }
    values
}

impl Vocabulary {
    /// Reads the names from the database (what cannot be read is left out).
    pub async fn load(session: &Session) -> Self {
        let mut names = strings(
            session,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' \
             UNION SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' \
             UNION SELECT 'firn.' || table_name FROM information_schema.tables WHERE table_schema = 'firn' \
             UNION SELECT function_name FROM firn.functions WHERE function_type <> 'statement' \
             UNION SELECT routine_name FROM information_schema.routines",
        )
        .await;
        names.sort();
        names.dedup();
        let models = strings(session, "SELECT model FROM firn.models ORDER BY model").await;
        Self { names, models }
    }
}

/// Where the word under the cursor starts and what it may become.
pub fn complete(line: &str, pos: usize, vocabulary: &Vocabulary) -> (usize, Vec<String>) {
    let before = &line[..pos];
    // A backslash command being typed.
    if before.trim_start().starts_with('\\') && !before.trim_start().contains(char::is_whitespace) {
        let start = before.len() - before.trim_start().len();
        let typed = &before[start..];
        let found = COMMANDS
            .iter()
            .filter(|c| c.starts_with(typed))
            .map(|c| c.to_string())
            .collect();
        return (start, found);
    }
    // Inside a string literal: a model name, when the string is a model function's first argument.
    let quotes: Vec<usize> = before.match_indices('\'').map(|(i, _)| i).collect();
    if quotes.len() % 2 == 1 {
        let open = quotes[quotes.len() - 1];
        let call = before[..open].trim_end();
        let Some(call) = call.strip_suffix('(') else {
            return (pos, Vec::new());
        };
        let function = call
            .trim_end()
            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if !MODEL_FUNCTIONS.contains(&function.as_str()) {
            return (pos, Vec::new());
        }
        let typed = &before[open + 1..];
        let found = vocabulary
            .models
            .iter()
            .filter(|m| m.to_lowercase().starts_with(&typed.to_lowercase()))
            .cloned()
            .collect();
        return (open + 1, found);
    }
    // A word: keywords and names.
    let start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .map_or(0, |i| {
            i + before[i..].chars().next().map_or(1, char::len_utf8)
        });
    let typed = &before[start..];
    if typed.is_empty() {
        return (pos, Vec::new());
    }
    let lower = typed.to_lowercase();
    let upper_case = typed.chars().any(char::is_uppercase);
    let mut found: Vec<String> = KEYWORDS
        .iter()
        .filter(|k| k.to_lowercase().starts_with(&lower))
        .map(|k| {
            if upper_case {
                k.to_string()
            } else {
                k.to_lowercase()
            }
        })
        .collect();
    found.extend(
        vocabulary
            .names
            .iter()
            .filter(|n| n.to_lowercase().starts_with(&lower))
            .cloned(),
    );
    found.dedup();
    (start, found)
}

/// The line editor's helper: completion from the shared vocabulary, file names after `\i`.
pub struct ShellHelper {
    vocabulary: Arc<Mutex<Vocabulary>>,
    files: FilenameCompleter,
    /// No colours (`NO_COLOR`).
    plain: bool,
}

impl ShellHelper {
    /// A helper completing from `vocabulary` (which the shell refreshes).
    pub fn new(vocabulary: Arc<Mutex<Vocabulary>>) -> Self {
        Self {
            vocabulary,
            files: FilenameCompleter::new(),
            plain: colours_off(),
        }
    }
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let trimmed = line.trim_start();
        if trimmed.starts_with("\\i ") || trimmed.starts_with("\\ir ") {
            return self.files.complete(line, pos, ctx);
        }
        // A poisoned lock only means a refresh panicked: complete from what is there.
        let vocabulary = match self.vocabulary.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let (start, found) = complete(line, pos, &vocabulary);
        Ok((
            start,
            found
                .into_iter()
                .map(|word| Pair {
                    display: word.clone(),
                    replacement: word,
                })
                .collect(),
        ))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}

impl Highlighter for ShellHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.plain || line.trim_start().starts_with('\\') {
            Cow::Borrowed(line)
        } else {
            Cow::Owned(highlight_sql(line))
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        // Every edit may start or end a keyword or a string.
        !self.plain && kind != CmdKind::MoveCursor
    }
}

impl Validator for ShellHelper {}

impl Helper for ShellHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> Vocabulary {
        Vocabulary {
            names: [
                "customer_id",
                "customers",
                "firn.models",
                "predict",
                "predict_label",
            ]
            .map(String::from)
            .to_vec(),
            models: ["churn", "churn_search", "Other"]
                .map(String::from)
                .to_vec(),
        }
    }

    fn words(line: &str) -> (usize, Vec<String>) {
        complete(line, line.len(), &vocabulary())
    }

    #[test]
    fn keywords_in_the_case_typed_and_names() {
        assert_eq!(words("SEL"), (0, vec!["SELECT".to_string()]));
        assert_eq!(words("sel"), (0, vec!["select".to_string()]));
        assert_eq!(
            words("select * from cust"),
            (14, vec!["customer_id".to_string(), "customers".to_string()])
        );
        assert_eq!(
            words("SELECT * FROM firn.mo"),
            (14, vec!["firn.models".to_string()])
        );
        assert_eq!(words("SELECT "), (7, vec![]));
    }

    #[test]
    fn model_names_inside_a_model_functions_string() {
        assert_eq!(
            words("SELECT predict('ch"),
            (16, vec!["churn".to_string(), "churn_search".to_string()])
        );
        assert_eq!(
            words("SELECT * FROM evaluate( 'o"),
            (25, vec!["Other".to_string()])
        );
        // Other strings complete nothing.
        assert_eq!(words("SELECT 'ch").1, Vec::<String>::new());
        assert_eq!(
            words("SELECT * FROM predict('churn', 'cu").1,
            Vec::<String>::new()
        );
    }

    #[test]
    fn backslash_commands() {
        assert_eq!(words("\\ti"), (0, vec!["\\timing".to_string()]));
        assert_eq!(words("\\d").1, vec!["\\d", "\\dS", "\\dt"]);
    }
}
