//! Prepared statements: created by the `CreatePreparedStatement` action (the
//! statement is parsed, and a query planned for its result and parameter
//! schemas — nothing runs), given parameters by `DoPut`, run by
//! `GetFlightInfo` (queries and statements with a result) or `DoPut` (updates,
//! once per bound row), and closed by `ClosePreparedStatement`. Handles belong
//! to the session that made them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow_flight::IpcMessage;
use arrow_flight::SchemaAsIpc;
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::error::FlightError;
use arrow_flight::sql::ActionCreatePreparedStatementResult;
use arrow_flight::sql::server::PeekableFlightDataStream;
use bytes::Bytes;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::ipc::writer::IpcWriteOptions;
use futures::{StreamExt, TryStreamExt};
use tonic::Status;

use crate::server::params::{self, Numbered};
use crate::server::sessions::ClientSession;
use crate::server::status::status;
use crate::session::is_query;
use crate::sql::{FirnStatement, parse_sql};

/// Prepared statements one session may hold at once.
const MAX_PREPARED: usize = 1024;
/// The most parameter data one `DoPut` may send (bytes in memory).
const MAX_PARAMETER_BYTES: usize = 64 * 1024 * 1024;

/// One prepared statement.
#[derive(Debug)]
pub(crate) struct PreparedStatement {
    numbered: Numbered,
    bound: Mutex<Option<RecordBatch>>,
}

impl PreparedStatement {
    /// Keeps parameter values for the next executions.
    pub(crate) fn bind(&self, params: RecordBatch) -> Result<(), Status> {
        if params.num_columns() != self.numbered.count {
            return Err(count_mismatch(self.numbered.count, params.num_columns()));
        }
        *self.bound.lock().unwrap_or_else(|e| e.into_inner()) = Some(params);
        Ok(())
    }

    /// The statement texts to run: one per parameter row (none for zero rows),
    /// or the statement once when it has no parameters. `supplied` (sent with
    /// an update) wins over values bound before.
    pub(crate) fn texts(&self, supplied: Option<RecordBatch>) -> Result<Vec<String>, Status> {
        let params = match supplied {
            Some(params) => Some(params),
            None => self.bound.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        };
        if self.numbered.count == 0 {
            return match params {
                Some(p) if p.num_columns() > 0 => Err(count_mismatch(0, p.num_columns())),
                _ => Ok(vec![self.numbered.sql.clone()]),
            };
        }
        let Some(params) = params else {
            return Err(Status::invalid_argument(format!(
                "the statement has {} parameter{}; bind values before running it",
                self.numbered.count,
                plural(self.numbered.count)
            )));
        };
        (0..params.num_rows())
            .map(|row| params::bind(&self.numbered, &params, row))
            .collect()
    }

    /// The one statement text a query runs as.
    pub(crate) fn query_text(&self) -> Result<String, Status> {
        let mut texts = self.texts(None)?;
        if texts.len() != 1 {
            return Err(Status::invalid_argument(format!(
                "a statement run for its result takes one row of parameters; {} rows were bound (run it as an update to execute it once per row)",
                texts.len()
            )));
        }
        Ok(texts.remove(0))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn count_mismatch(expected: usize, got: usize) -> Status {
    Status::invalid_argument(format!(
        "the statement has {expected} parameter{}, {got} {} bound",
        plural(expected),
        if got == 1 { "was" } else { "were" }
    ))
}

/// A session's prepared statements by handle.
#[derive(Debug, Default)]
pub(crate) struct PreparedStatements {
    map: Mutex<HashMap<Vec<u8>, Arc<PreparedStatement>>>,
}

impl PreparedStatements {
    fn insert(&self, statement: PreparedStatement) -> Result<Vec<u8>, Status> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_PREPARED {
            return Err(Status::resource_exhausted(format!(
                "this session already holds {MAX_PREPARED} prepared statements; close some"
            )));
        }
        let handle = uuid::Uuid::new_v4().as_bytes().to_vec();
        map.insert(handle.clone(), Arc::new(statement));
        Ok(handle)
    }

    /// The statement `handle` names.
    pub(crate) fn get(&self, handle: &[u8]) -> Result<Arc<PreparedStatement>, Status> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(handle)
            .cloned()
            .ok_or_else(unknown_handle)
    }

    /// Closes the statement `handle` names.
    pub(crate) fn remove(&self, handle: &[u8]) -> Result<(), Status> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(handle)
            .map(|_| ())
            .ok_or_else(unknown_handle)
    }
}

fn unknown_handle() -> Status {
    Status::not_found(
        "unknown prepared statement handle (closed, from another session, or the session expired)",
    )
}

/// Prepares `sql` in `client`'s session: parses it and, for a query, plans it
/// for its result schema and parameter types. Nothing runs.
pub(crate) async fn create(
    client: &ClientSession,
    sql: &str,
) -> Result<ActionCreatePreparedStatementResult, Status> {
    let numbered = params::number(sql)?;
    let mut statements = parse_sql(&numbered.sql).map_err(|e| status(&e.into()))?;
    if statements.len() != 1 {
        return Err(Status::invalid_argument(format!(
            "expected exactly one statement, found {}",
            statements.len()
        )));
    }
    let query = matches!(statements.remove(0), FirnStatement::DataFusion(s) if is_query(&s));
    let (dataset, parameters) = if query {
        match client.session.dataframe(&numbered.sql).await {
            Ok(frame) => {
                let types = frame
                    .logical_plan()
                    .get_parameter_types()
                    .unwrap_or_default();
                let fields = (1..=numbered.count).map(|n| {
                    let data_type = types.get(&format!("${n}")).cloned().flatten();
                    Field::new(format!("${n}"), data_type.unwrap_or(DataType::Null), true)
                });
                (
                    Some(Arc::clone(frame.schema().inner())),
                    Schema::new(fields.collect::<Vec<_>>()),
                )
            }
            // Untyped placeholders can stop planning; the types are known once bound.
            Err(_) if numbered.count > 0 => (None, untyped(numbered.count)),
            Err(e) => return Err(status(&e)),
        }
    } else {
        (None, untyped(numbered.count))
    };
    let parameter_schema = if numbered.count > 0 {
        ipc_schema(&parameters)?
    } else {
        Bytes::new()
    };
    let dataset_schema = match &dataset {
        Some(schema) => ipc_schema(schema)?,
        None => Bytes::new(),
    };
    let handle = client.statements.insert(PreparedStatement {
        numbered,
        bound: Mutex::new(None),
    })?;
    Ok(ActionCreatePreparedStatementResult {
        prepared_statement_handle: handle.into(),
        dataset_schema,
        parameter_schema,
    })
}

fn untyped(count: usize) -> Schema {
    Schema::new(
        (1..=count)
            .map(|n| Field::new(format!("${n}"), DataType::Null, true))
            .collect::<Vec<_>>(),
    )
}

fn ipc_schema(schema: &Schema) -> Result<Bytes, Status> {
    let IpcMessage(bytes) = SchemaAsIpc::new(schema, &IpcWriteOptions::default())
        .try_into()
        .map_err(|e| Status::internal(format!("cannot encode a schema: {e}")))?;
    Ok(bytes)
}

/// The parameter rows a `DoPut` carries: `None` when it sends no schema.
pub(crate) async fn read_parameters(
    stream: PeekableFlightDataStream,
) -> Result<Option<RecordBatch>, Status> {
    let mut decoded =
        FlightRecordBatchStream::new_from_flight_data(stream.map_err(FlightError::from));
    let mut batches = Vec::new();
    let mut bytes = 0;
    while let Some(batch) = decoded.next().await {
        let batch = batch.map_err(|e| {
            Status::invalid_argument(format!("cannot read the parameter values: {e}"))
        })?;
        bytes += batch.get_array_memory_size();
        if bytes > MAX_PARAMETER_BYTES {
            return Err(Status::resource_exhausted(format!(
                "parameter values over {} MiB; send fewer rows at a time",
                MAX_PARAMETER_BYTES / (1024 * 1024)
            )));
        }
        batches.push(batch);
    }
    let schema: SchemaRef = match (decoded.schema(), batches.first()) {
        (Some(schema), _) => Arc::clone(schema),
        (None, Some(batch)) => batch.schema(),
        (None, None) => return Ok(None),
    };
    concat_batches(&schema, &batches)
        .map(Some)
        .map_err(|e| Status::invalid_argument(format!("cannot read the parameter values: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{ArrayRef, Int64Array};

    fn statement(sql: &str) -> PreparedStatement {
        PreparedStatement {
            numbered: params::number(sql).expect("numbered"),
            bound: Mutex::new(None),
        }
    }

    fn ints(values: Vec<i64>) -> RecordBatch {
        RecordBatch::try_from_iter(vec![("0", Arc::new(Int64Array::from(values)) as ArrayRef)])
            .expect("batch")
    }

    #[test]
    fn texts_follow_the_bound_rows() {
        let plain = statement("SELECT 1");
        assert_eq!(plain.texts(None).expect("once"), vec!["SELECT 1"]);
        let empty = RecordBatch::new_empty(Arc::new(Schema::empty()));
        assert_eq!(plain.texts(Some(empty)).expect("once"), vec!["SELECT 1"]);
        assert!(plain.bind(ints(vec![1])).is_err());

        let one = statement("SELECT ? + 1");
        let err = one.query_text().unwrap_err();
        assert!(
            err.message().contains("bind values before running it"),
            "{}",
            err.message()
        );
        one.bind(ints(vec![41])).expect("bound");
        assert_eq!(one.query_text().expect("text"), "SELECT 41 + 1");
        assert_eq!(one.texts(Some(ints(vec![1, 2]))).expect("two").len(), 2);
        one.bind(ints(vec![1, 2])).expect("bound");
        let err = one.query_text().unwrap_err();
        assert!(
            err.message().contains("2 rows were bound"),
            "{}",
            err.message()
        );
        assert!(one.texts(Some(ints(vec![]))).expect("none").is_empty());
    }

    #[test]
    fn handles_are_per_store_and_closing_twice_is_not_found() {
        let store = PreparedStatements::default();
        let handle = store.insert(statement("SELECT 1")).expect("inserted");
        assert!(store.get(&handle).is_ok());
        assert_eq!(
            PreparedStatements::default()
                .get(&handle)
                .unwrap_err()
                .code(),
            tonic::Code::NotFound
        );
        store.remove(&handle).expect("closed");
        assert_eq!(
            store.remove(&handle).unwrap_err().code(),
            tonic::Code::NotFound
        );
    }
}
