//! Firn's error type: one enum with typed sources, convertible to and from
//! `DataFusionError` without flattening the cause to a string.

pub mod suggest;

use std::path::PathBuf;

use datafusion::error::DataFusionError;

/// The kinds of object Firn keeps, as named by [`Error::NotFound`] and
/// [`Error::AlreadyExists`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ObjectKind {
    /// A registered model.
    Model,
    /// One version of a model (`model@version`).
    ModelVersion,
    /// An alias of a model's version.
    ModelAlias,
    /// An entity of the feature store.
    Entity,
    /// A feature view (any version).
    FeatureView,
    /// One version of a feature view (`view:version`).
    FeatureViewVersion,
    /// An experiment.
    Experiment,
    /// A run of an experiment.
    Run,
    /// A table.
    Table,
    /// A monitor (`CREATE MONITOR`).
    Monitor,
}

impl std::fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ObjectKind::Model => "model",
            ObjectKind::ModelVersion => "model version",
            ObjectKind::ModelAlias => "model alias",
            ObjectKind::Entity => "entity",
            ObjectKind::FeatureView => "feature view",
            ObjectKind::FeatureViewVersion => "feature view version",
            ObjectKind::Experiment => "experiment",
            ObjectKind::Run => "run",
            ObjectKind::Table => "table",
            ObjectKind::Monitor => "monitor",
        })
    }
}

/// Everything that can go wrong in Firn.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A planning or execution error from DataFusion (bad SQL, bad data, …),
    /// shown as [`plain_message`] writes it.
    #[error("{}", plain_message(.0))]
    DataFusion(DataFusionError),
    /// A named object does not exist (a model, a version, a feature view, …).
    #[error("{message}")]
    NotFound {
        /// What kind of object.
        kind: ObjectKind,
        /// Its name as written (`churn`, `churn@v2`, `customer_features:v1`).
        name: String,
        /// The full message, with what exists instead.
        message: String,
    },
    /// An object of that name exists already (a model version, an entity, …).
    #[error("{message}")]
    AlreadyExists {
        /// What kind of object.
        kind: ObjectKind,
        /// Its name.
        name: String,
        /// The full message.
        message: String,
    },
    /// A name that no stored object may have (`a/b`, `..`, `con`, …).
    #[error("{message}")]
    InvalidName {
        /// The name as written.
        name: String,
        /// The full message, with the rule it breaks.
        message: String,
    },
    /// An error from the object store that holds the database.
    #[error("storage error: {0}")]
    ObjectStore(#[from] object_store::Error),
    /// An error reading or writing a Parquet file.
    #[error("parquet error: {0}")]
    Parquet(#[from] datafusion::parquet::errors::ParquetError),
    /// A local I/O error (shell history, scripts, generated data).
    #[error("{context}: {source}")]
    Io {
        /// What Firn was doing.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The location given to `Database::open` holds something that is not a Firn database.
    #[error(
        "'{}' is not a Firn database: it is a non-empty directory (or object-store prefix) \
         without a firn.json marker; open an empty or new location, or an existing Firn database",
        path.display()
    )]
    NotAFirnDatabase {
        /// The directory that was opened.
        path: PathBuf,
    },
    /// The object store that should hold the database cannot be used: no such
    /// bucket, credentials refused, an endpoint that does not answer.
    #[error("cannot open database '{location}': {reason}")]
    Unavailable {
        /// The database's location (`s3://bucket/prefix`), never with credentials.
        location: String,
        /// What is wrong and what to check.
        reason: String,
        /// The store's own error, when there is one.
        #[source]
        source: Option<Box<object_store::Error>>,
    },
    /// The database directory cannot be written.
    #[error("database '{}' is read-only: {reason}", path.display())]
    ReadOnly {
        /// The directory that was opened.
        path: PathBuf,
        /// Why the write probe failed.
        reason: String,
    },
    /// A file of the database (marker, table log) is malformed.
    #[error("corrupt database file '{path}': {reason}")]
    Corrupt {
        /// The file's path inside the database.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A request Firn understood but cannot serve (unknown URL scheme, …).
    #[error("{0}")]
    Unsupported(String),
    /// A session restricted to some directories named a file outside them.
    #[error(
        "access to '{location}' is refused: this session may only read and write files in the \
         server's allowed paths"
    )]
    AccessDenied {
        /// The refused location, as written.
        location: String,
    },
    /// A statement ran past the session's `firn.statement_timeout_seconds`.
    #[error(
        "statement stopped after {seconds} s (firn.statement_timeout_seconds); nothing it had not \
         yet committed was kept"
    )]
    StatementTimeout {
        /// The timeout, in seconds.
        seconds: u64,
    },
    /// A database in cluster mode cannot reach the cluster's scheduler.
    #[error("cannot reach the cluster's scheduler at {target}: {reason}")]
    ClusterUnavailable {
        /// The scheduler's address (`df://HOST:PORT`).
        target: String,
        /// Why, and what to do.
        reason: String,
    },
    /// A file path in SQL named a file of the database itself.
    #[error(
        "access to '{location}' is refused: it is inside the database directory (or its \
         object-store prefix), whose files (tables, models, catalog, experiments) Firn alone \
         reads and writes; use a location outside the database"
    )]
    ProtectedPath {
        /// The refused location, as written.
        location: String,
    },
}

/// Firn's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A missing object of `kind` called `name`; `message` says what exists instead.
    pub fn not_found(
        kind: ObjectKind,
        name: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::NotFound {
            kind,
            name: name.into(),
            message: message.into(),
        }
    }

    /// An object of `kind` called `name` that exists already.
    pub fn already_exists(
        kind: ObjectKind,
        name: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::AlreadyExists {
            kind,
            name: name.into(),
            message: message.into(),
        }
    }

    /// `model 'm' version 'v' already exists`.
    pub(crate) fn version_exists(model: &str, version: &str) -> Self {
        Self::already_exists(
            ObjectKind::ModelVersion,
            format!("{model}@{version}"),
            format!("model '{model}' version '{version}' already exists"),
        )
    }

    /// An I/O error with what Firn was doing when it happened.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// A user mistake (unknown model or view, bad name, …): shown by SQL as a
/// planning error.
pub(crate) fn plan_error(message: impl Into<String>) -> Error {
    Error::DataFusion(DataFusionError::Plan(message.into()))
}

/// A file of the database that cannot be read as what it should be.
pub(crate) fn corrupt(path: &str, reason: impl Into<String>) -> Error {
    Error::Corrupt {
        path: path.to_string(),
        reason: reason.into(),
    }
}

/// `a, b, c`, or `none` for an empty list (for messages).
pub(crate) fn listing<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let items: Vec<String> = items.into_iter().map(|s| s.as_ref().to_string()).collect();
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

impl From<Error> for DataFusionError {
    fn from(err: Error) -> Self {
        match err {
            // Keep DataFusion's own variant (Plan, Execution, …) so callers can still match on it.
            Error::DataFusion(inner) => inner,
            Error::ObjectStore(inner) => DataFusionError::ObjectStore(Box::new(inner)),
            Error::Parquet(inner) => DataFusionError::ParquetError(Box::new(inner)),
            // Firn's own errors travel through DataFusion whole; `From<DataFusionError>`
            // takes them out again at the session's boundary.
            other => DataFusionError::External(Box::new(other)),
        }
    }
}

impl From<DataFusionError> for Error {
    /// Keeps DataFusion's error, unless it carries one of Firn's typed errors (a
    /// missing model raised while DataFusion planned a `predict(…)`, say): then
    /// that one, with its kind, whatever DataFusion wrapped around it.
    fn from(err: DataFusionError) -> Self {
        typed_inside(&err).unwrap_or(Error::DataFusion(err))
    }
}

/// A copy of the typed Firn error wrapped somewhere inside `err`, if any.
fn typed_inside(err: &DataFusionError) -> Option<Error> {
    match err {
        DataFusionError::External(inner) => match inner.downcast_ref::<Error>()? {
            Error::NotFound {
                kind,
                name,
                message,
            } => Some(Error::not_found(*kind, name.clone(), message.clone())),
            Error::AlreadyExists {
                kind,
                name,
                message,
            } => Some(Error::already_exists(*kind, name.clone(), message.clone())),
            Error::InvalidName { name, message } => Some(Error::InvalidName {
                name: name.clone(),
                message: message.clone(),
            }),
            Error::ProtectedPath { location } => Some(Error::ProtectedPath {
                location: location.clone(),
            }),
            Error::AccessDenied { location } => Some(Error::AccessDenied {
                location: location.clone(),
            }),
            Error::Corrupt { path, reason } => Some(corrupt(path, reason.clone())),
            _ => None,
        },
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            typed_inside(inner)
        }
        DataFusionError::Shared(inner) => typed_inside(inner),
        _ => None,
    }
}

/// What a user reads of a DataFusion error: the message without the wrappers
/// of DataFusion's own display (`Error during planning: `, `Execution error: `,
/// `Optimizer rule '…' failed`, `ParserError("…")`), a syntax error as
/// `syntax error: …`, context as `context: message`, and names without the
/// default catalog and schema (`table 'orders'`, not `'firn.public.orders'`).
pub fn plain_message(err: &DataFusionError) -> String {
    let text = match err {
        DataFusionError::SQL(parser, _) => {
            let text = parser.to_string();
            let text = text.strip_prefix("sql parser error: ").unwrap_or(&text);
            format!("syntax error: {text}")
        }
        DataFusionError::Plan(message) | DataFusionError::Execution(message) => message.clone(),
        DataFusionError::Configuration(message) => format!("invalid setting: {message}"),
        DataFusionError::NotImplemented(message) => format!("not supported: {message}"),
        DataFusionError::SchemaError(..) => err.message().into_owned(),
        DataFusionError::Context(context, inner) if context.starts_with("Optimizer rule") => {
            plain_message(inner)
        }
        DataFusionError::Context(context, inner) => format!("{context}: {}", plain_message(inner)),
        DataFusionError::Diagnostic(_, inner) => plain_message(inner),
        DataFusionError::Shared(inner) => plain_message(inner),
        DataFusionError::External(inner) => match inner.downcast_ref::<DataFusionError>() {
            Some(inner) => plain_message(inner),
            None => inner.to_string(),
        },
        DataFusionError::ArrowError(arrow, _) => match arrow.as_ref() {
            datafusion::arrow::error::ArrowError::ExternalError(inner) => {
                match inner.downcast_ref::<DataFusionError>() {
                    Some(inner) => plain_message(inner),
                    None => inner.to_string(),
                }
            }
            arrow => arrow.to_string(),
        },
        other => other.strip_backtrace(),
    };
    text.replace("firn.public.", "")
}

#[cfg(test)]
mod plain_message_tests {
    use super::*;

    #[test]
    fn users_read_the_message_not_the_wrappers() {
        let plan = DataFusionError::Plan("table 'firn.public.orders' not found".into());
        assert_eq!(plain_message(&plan), "table 'orders' not found");
        let optimizer = DataFusionError::Context(
            "Optimizer rule 'simplify_expressions' failed".into(),
            Box::new(DataFusionError::Plan(
                "predict: model 'm' takes 2 features".into(),
            )),
        );
        assert_eq!(
            plain_message(&optimizer),
            "predict: model 'm' takes 2 features"
        );
        let shared = DataFusionError::Shared(std::sync::Arc::new(DataFusionError::Execution(
            "log_loss: label must be 0 or 1".into(),
        )));
        let context = DataFusionError::Context("reading CSV 'orders.csv'".into(), Box::new(shared));
        assert_eq!(
            plain_message(&context),
            "reading CSV 'orders.csv': log_loss: label must be 0 or 1"
        );
        let syntax = DataFusionError::SQL(
            Box::new(
                datafusion::sql::sqlparser::parser::ParserError::ParserError(
                    "Expected: an SQL statement, found: SELEC at Line: 1, Column: 1".into(),
                ),
            ),
            None,
        );
        assert_eq!(
            plain_message(&syntax),
            "syntax error: Expected: an SQL statement, found: SELEC at Line: 1, Column: 1"
        );
        let external = DataFusionError::External(Box::new(DataFusionError::NotImplemented(
            "UNNEST of maps".into(),
        )));
        assert_eq!(plain_message(&external), "not supported: UNNEST of maps");
        assert_eq!(
            Error::DataFusion(plan).to_string(),
            "table 'orders' not found"
        );
    }
}
