//! Firn's error type: one enum with typed sources, convertible to and from
//! `DataFusionError` without flattening the cause to a string.

use std::path::PathBuf;

use datafusion::error::DataFusionError;

/// Everything that can go wrong in Firn.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A planning or execution error from DataFusion (bad SQL, bad data, …).
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
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
        "'{}' is not a Firn database: it is a non-empty directory without a firn.json marker; \
         open an empty or new directory, or an existing Firn database",
        path.display()
    )]
    NotAFirnDatabase {
        /// The directory that was opened.
        path: PathBuf,
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
         database directory and the server's allowed paths"
    )]
    AccessDenied {
        /// The refused location, as written.
        location: String,
    },
}

/// Firn's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
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
            other => DataFusionError::External(Box::new(other)),
        }
    }
}
