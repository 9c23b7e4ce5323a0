//! Firn's errors as gRPC statuses: the code says whose fault it is, the message
//! is the error's `Display` text — what the shell prints — never a `Debug` dump.
//!
//! | error | status |
//! |---|---|
//! | bad SQL, planning, schema, configuration, bad parameters | `INVALID_ARGUMENT` |
//! | a statement failing on the data while it runs (a bad CSV row, a failing cast) | `FAILED_PRECONDITION` |
//! | a missing model, version, feature view, entity, run, file … | `NOT_FOUND` |
//! | a model version, entity, feature view … that exists already | `ALREADY_EXISTS` |
//! | a location outside the session's allowed paths | `PERMISSION_DENIED` |
//! | the memory pool is exhausted | `RESOURCE_EXHAUSTED` |
//! | an unsupported feature | `UNIMPLEMENTED` |
//! | a damaged database file | `DATA_LOSS` |
//! | a broken invariant inside Firn or DataFusion | `INTERNAL` |

use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use tonic::{Code, Status};

use crate::error::Error;

/// The status for a Firn error.
pub(crate) fn status(err: &Error) -> Status {
    let message = match err {
        Error::DataFusion(inner) => datafusion_message(inner),
        other => other.to_string(),
    };
    Status::new(code(err), message)
}

/// The status for a DataFusion error.
pub(crate) fn datafusion_status(err: &DataFusionError) -> Status {
    Status::new(datafusion_code(err), datafusion_message(err))
}

/// The text users read for a DataFusion error (as the shell prints it).
fn datafusion_message(err: &DataFusionError) -> String {
    crate::error::plain_message(err)
}

/// The code of a Firn error.
pub(crate) fn code(err: &Error) -> Code {
    match err {
        Error::DataFusion(inner) => datafusion_code(inner),
        Error::ObjectStore(inner) => object_store_code(inner),
        Error::Parquet(_) => Code::Internal,
        Error::Io { source, .. } => io_code(source),
        Error::NotAFirnDatabase { .. } | Error::ReadOnly { .. } => Code::FailedPrecondition,
        Error::Corrupt { .. } => Code::DataLoss,
        Error::Unavailable { .. } => Code::Unavailable,
        Error::Unsupported(_) => Code::Unimplemented,
        Error::ClusterUnavailable { .. } => Code::Unavailable,
        Error::AccessDenied { .. } | Error::ProtectedPath { .. } => Code::PermissionDenied,
        Error::NotFound { .. } => Code::NotFound,
        Error::AlreadyExists { .. } => Code::AlreadyExists,
        Error::InvalidName { .. } => Code::InvalidArgument,
        Error::StatementTimeout { .. } => Code::DeadlineExceeded,
    }
}

fn datafusion_code(err: &DataFusionError) -> Code {
    match err {
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            datafusion_code(inner)
        }
        DataFusionError::Shared(inner) => datafusion_code(inner),
        DataFusionError::Collection(errors) => {
            errors.first().map_or(Code::Internal, datafusion_code)
        }
        DataFusionError::External(inner) => external_code(inner.as_ref()),
        DataFusionError::ArrowError(inner, _) => arrow_code(inner),
        DataFusionError::ObjectStore(inner) => object_store_code(inner),
        DataFusionError::IoError(inner) => io_code(inner),
        DataFusionError::SQL(..)
        | DataFusionError::Plan(_)
        | DataFusionError::SchemaError(..)
        | DataFusionError::Configuration(_)
        | DataFusionError::Substrait(_) => Code::InvalidArgument,
        DataFusionError::NotImplemented(_) => Code::Unimplemented,
        DataFusionError::Execution(_) => Code::FailedPrecondition,
        DataFusionError::ResourcesExhausted(_) => Code::ResourceExhausted,
        DataFusionError::ParquetError(_)
        | DataFusionError::ExecutionJoin(_)
        | DataFusionError::Internal(_)
        | DataFusionError::Ffi(_) => Code::Internal,
    }
}

fn external_code(err: &(dyn std::error::Error + Send + Sync + 'static)) -> Code {
    if let Some(firn) = err.downcast_ref::<Error>() {
        code(firn)
    } else if let Some(datafusion) = err.downcast_ref::<DataFusionError>() {
        datafusion_code(datafusion)
    } else if let Some(arrow) = err.downcast_ref::<ArrowError>() {
        arrow_code(arrow)
    } else if let Some(store) = err.downcast_ref::<object_store::Error>() {
        object_store_code(store)
    } else if let Some(io) = err.downcast_ref::<std::io::Error>() {
        io_code(io)
    } else {
        Code::Internal
    }
}

fn arrow_code(err: &ArrowError) -> Code {
    match err {
        ArrowError::ExternalError(inner) => external_code(inner.as_ref()),
        ArrowError::CastError(_)
        | ArrowError::ParseError(_)
        | ArrowError::ComputeError(_)
        | ArrowError::DivideByZero
        | ArrowError::ArithmeticOverflow(_)
        | ArrowError::CsvError(_)
        | ArrowError::JsonError(_)
        | ArrowError::AvroError(_)
        | ArrowError::InvalidArgumentError(_) => Code::FailedPrecondition,
        ArrowError::SchemaError(_) => Code::InvalidArgument,
        ArrowError::MemoryError(_) => Code::ResourceExhausted,
        ArrowError::NotYetImplemented(_) => Code::Unimplemented,
        ArrowError::IoError(_, inner) => io_code(inner),
        _ => Code::Internal,
    }
}

fn object_store_code(err: &object_store::Error) -> Code {
    match err {
        object_store::Error::NotFound { .. } => Code::NotFound,
        object_store::Error::PermissionDenied { .. } => Code::PermissionDenied,
        object_store::Error::Unauthenticated { .. } => Code::Unauthenticated,
        object_store::Error::AlreadyExists { .. } => Code::AlreadyExists,
        object_store::Error::Precondition { .. } => Code::FailedPrecondition,
        object_store::Error::InvalidPath { .. } => Code::InvalidArgument,
        object_store::Error::NotSupported { .. } | object_store::Error::NotImplemented { .. } => {
            Code::Unimplemented
        }
        _ => Code::Internal,
    }
}

fn io_code(err: &std::io::Error) -> Code {
    match err.kind() {
        std::io::ErrorKind::NotFound => Code::NotFound,
        std::io::ErrorKind::PermissionDenied => Code::PermissionDenied,
        _ => Code::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(message: &str) -> Error {
        Error::DataFusion(DataFusionError::Plan(message.into()))
    }

    #[test]
    fn codes_follow_the_kind_of_error_through_wrappers() {
        assert_eq!(code(&plan("x")), Code::InvalidArgument);
        let wrapped = Error::DataFusion(DataFusionError::Context(
            "ctx".into(),
            Box::new(DataFusionError::External(Box::new(plan("inner")))),
        ));
        assert_eq!(code(&wrapped), Code::InvalidArgument);
        let exec = Error::DataFusion(DataFusionError::ArrowError(
            Box::new(ArrowError::CastError("bad".into())),
            None,
        ));
        assert_eq!(code(&exec), Code::FailedPrecondition);
        let memory = Error::DataFusion(DataFusionError::ResourcesExhausted("pool".into()));
        assert_eq!(code(&memory), Code::ResourceExhausted);
        let denied = Error::DataFusion(DataFusionError::ObjectStore(Box::new(
            object_store::Error::PermissionDenied {
                path: "/etc/passwd".into(),
                source: "no".into(),
            },
        )));
        assert_eq!(code(&denied), Code::PermissionDenied);
        let refused = Error::AccessDenied {
            location: "/etc/passwd".into(),
        };
        assert_eq!(code(&refused), Code::PermissionDenied);
        assert_eq!(
            code(&Error::DataFusion(DataFusionError::Internal("bug".into()))),
            Code::Internal
        );
    }

    #[test]
    fn syntax_errors_show_the_parser_message() {
        let err = crate::sql::parse_sql("SELEC 1").unwrap_err();
        let s = status(&Error::DataFusion(err));
        assert_eq!(s.code(), Code::InvalidArgument);
        assert_eq!(
            s.message(),
            "syntax error: Expected: an SQL statement, found: SELEC at Line: 1, Column: 1"
        );
    }

    #[test]
    fn messages_are_display_text() {
        let s = status(&plan("table 'nope' not found"));
        assert_eq!(s.code(), Code::InvalidArgument);
        assert_eq!(s.message(), "table 'nope' not found");
    }
}
