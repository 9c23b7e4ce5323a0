//! Firn's Flight SQL service: each call finds (or makes) the caller's session,
//! then runs statements through it exactly as the shell would — Firn's own
//! statements included — and answers with Arrow data or a gRPC status.

use std::pin::Pin;
use std::sync::Arc;

use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::metadata::SqlInfoData;
use arrow_flight::sql::server::{DoPutError, FlightSqlService, PeekableFlightDataStream};
use arrow_flight::sql::{
    ActionBeginSavepointRequest, ActionBeginSavepointResult, ActionBeginTransactionRequest,
    ActionBeginTransactionResult, ActionClosePreparedStatementRequest,
    ActionCreatePreparedStatementRequest, ActionCreatePreparedStatementResult, Any,
    CommandGetCatalogs, CommandGetDbSchemas, CommandGetSqlInfo, CommandGetTableTypes,
    CommandGetTables, CommandPreparedStatementQuery, CommandPreparedStatementUpdate,
    CommandStatementIngest, CommandStatementQuery, CommandStatementSubstraitPlan,
    CommandStatementUpdate, DoPutPreparedStatementResult, ProstMessageExt, SqlInfo,
    TicketStatementQuery,
};
use arrow_flight::{
    FlightDescriptor, FlightEndpoint, FlightInfo, HandshakeRequest, HandshakeResponse, Ticket,
};
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, SchemaRef, UInt64Type};
use futures::Stream;
use prost::Message;
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status, Streaming};

use crate::server::auth::{Authorization, Credentials, Principal, authorization};
use crate::server::connection::connection_of;
use crate::server::metadata;
use crate::server::prepared;
use crate::server::results::{self, FlightDataStream, StreamCounter};
use crate::server::sessions::{ClientSession, Sessions};
use crate::server::status::status;
use crate::session::QueryOutput;

/// The Flight SQL service over a database's sessions.
pub(crate) struct FirnFlightSql {
    pub(crate) sessions: Arc<Sessions>,
    pub(crate) credentials: Arc<Credentials>,
    pub(crate) streams: Arc<StreamCounter>,
    pub(crate) sql_info: Arc<SqlInfoData>,
}

fn wrong_credentials() -> Status {
    Status::unauthenticated("wrong user name or password")
}

fn no_transactions() -> Status {
    Status::unimplemented("Firn runs every statement on its own (no transactions)")
}

impl FirnFlightSql {
    /// Who a call comes from, when the credentials it carries are accepted. A
    /// server without credentials accepts every caller as anonymous.
    fn principal(&self, auth: Option<Authorization>) -> Result<Principal, Status> {
        let open = self.credentials.is_empty();
        match auth {
            _ if open => Ok(Principal::Anonymous),
            Some(Authorization::Bearer(token)) => self
                .credentials
                .check_token(&token)
                .ok_or_else(|| Status::unauthenticated("invalid or expired token; connect again")),
            Some(Authorization::Basic { user, password }) => self
                .credentials
                .check_user(&user, &password)
                .ok_or_else(wrong_credentials),
            None => Err(Status::unauthenticated(
                "this server requires authentication: send a bearer token, or a user name and password",
            )),
        }
    }

    /// The caller's session.
    fn client<T>(&self, request: &Request<T>) -> Result<Arc<ClientSession>, Status> {
        let auth = authorization(request.metadata())?;
        if let Some(Authorization::Bearer(token)) = &auth
            && let Some(session) = self.sessions.by_token(token)
        {
            return Ok(session);
        }
        let principal = self.principal(auth)?;
        let connection = connection_of(request).map_or(0, |c| c.id);
        self.sessions.for_connection(principal, connection)
    }

    /// Submits `sql` in the client's session and keeps the result for `DoGet`.
    async fn submit(
        &self,
        client: &ClientSession,
        sql: &str,
        descriptor: FlightDescriptor,
    ) -> Result<Response<FlightInfo>, Status> {
        let submitted = client.session.submit(sql).await.map_err(|e| status(&e))?;
        Ok(Response::new(
            client.results.insert(submitted.into(), descriptor)?,
        ))
    }

    /// Runs `sql` as an update; the number of rows it changed.
    async fn update(&self, client: &ClientSession, sql: &str) -> Result<i64, Status> {
        let output = client.session.execute(sql).await.map_err(|e| status(&e))?;
        Ok(affected_rows(&output))
    }
}

/// Rows a statement changed: DML's `count`, else the rows it returned (0 for DDL).
fn affected_rows(output: &QueryOutput) -> i64 {
    let fields = output.schema.fields();
    if fields.len() == 1
        && fields[0].name() == "count"
        && fields[0].data_type() == &DataType::UInt64
    {
        let total: u64 = output
            .batches
            .iter()
            .flat_map(|b| b.column(0).as_primitive::<UInt64Type>().iter().flatten())
            .sum();
        return i64::try_from(total).unwrap_or(i64::MAX);
    }
    i64::try_from(output.num_rows()).unwrap_or(i64::MAX)
}

/// Flight info for a metadata command: the ticket is the command itself.
fn metadata_info(
    command: Any,
    schema: SchemaRef,
    descriptor: FlightDescriptor,
) -> Result<Response<FlightInfo>, Status> {
    let endpoint = FlightEndpoint::new().with_ticket(Ticket::new(command.encode_to_vec()));
    let info = FlightInfo::new()
        .try_with_schema(schema.as_ref())
        .map_err(|e| Status::internal(format!("cannot encode the result schema: {e}")))?
        .with_endpoint(endpoint)
        .with_descriptor(descriptor);
    Ok(Response::new(info))
}

/// One batch as a `DoGet` stream.
fn one_batch(batch: RecordBatch) -> Response<FlightDataStream> {
    let stream = FlightDataEncoderBuilder::new()
        .with_schema(batch.schema())
        .build(futures::stream::once(async move { Ok(batch) }));
    Response::new(Box::pin(futures::TryStreamExt::map_err(
        stream,
        Status::from,
    )))
}

type HandshakeStream = Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>;

#[tonic::async_trait]
impl FlightSqlService for FirnFlightSql {
    type FlightService = FirnFlightSql;

    /// Checks the credentials in the `authorization` header and answers with a
    /// session token (also as `authorization: Bearer …`) for the calls that follow.
    async fn do_handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<HandshakeStream>, Status> {
        let auth = authorization(request.metadata())?;
        let existing = match &auth {
            Some(Authorization::Bearer(token)) if self.sessions.by_token(token).is_some() => {
                Some(token.clone())
            }
            _ => None,
        };
        let token = match existing {
            Some(token) => token,
            None => {
                self.principal(auth)?;
                self.sessions.create_for_token()?.0
            }
        };
        let header = MetadataValue::try_from(format!("Bearer {token}"))
            .map_err(|_| Status::internal("cannot encode the session token"))?;
        let reply = HandshakeResponse {
            protocol_version: 0,
            payload: token.into_bytes().into(),
        };
        let mut response: Response<HandshakeStream> =
            Response::new(Box::pin(futures::stream::iter([Ok(reply)])));
        response.metadata_mut().insert("authorization", header);
        Ok(response)
    }

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let client = self.client(&request)?;
        if query.transaction_id.is_some() {
            return Err(no_transactions());
        }
        self.submit(&client, &query.query, request.into_inner())
            .await
    }

    async fn get_flight_info_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let client = self.client(&request)?;
        let statement = client.statements.get(&query.prepared_statement_handle)?;
        let text = statement.query_text()?;
        self.submit(&client, &text, request.into_inner()).await
    }

    async fn get_flight_info_substrait_plan(
        &self,
        _query: CommandStatementSubstraitPlan,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        Err(Status::unimplemented("Firn takes SQL, not Substrait plans"))
    }

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.client(&request)?;
        let schema = query.into_builder().schema();
        metadata_info(query.as_any(), schema, request.into_inner())
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.client(&request)?;
        let schema = query.clone().into_builder().schema();
        metadata_info(query.as_any(), schema, request.into_inner())
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.client(&request)?;
        let schema = query.clone().into_builder().schema();
        metadata_info(query.as_any(), schema, request.into_inner())
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.client(&request)?;
        let schema = query.into_builder().schema();
        metadata_info(query.as_any(), schema, request.into_inner())
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.client(&request)?;
        let schema = query.clone().into_builder(&self.sql_info).schema();
        metadata_info(query.as_any(), schema, request.into_inner())
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        let client = self.client(&request)?;
        let pending = client.results.take(&ticket.statement_handle).ok_or_else(|| {
            Status::not_found(
                "unknown result ticket: a result is fetched once, by the session that ran the statement",
            )
        })?;
        Ok(Response::new(
            results::stream(pending, &self.streams).await?,
        ))
    }

    async fn do_get_fallback(
        &self,
        request: Request<Ticket>,
        message: Any,
    ) -> Result<Response<FlightDataStream>, Status> {
        self.client(&request)?;
        Err(Status::invalid_argument(format!(
            "unknown ticket type '{}'",
            message.type_url
        )))
    }

    async fn do_get_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        let client = self.client(&request)?;
        Ok(one_batch(metadata::catalogs(&client.session, query)?))
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        let client = self.client(&request)?;
        Ok(one_batch(metadata::schemas(&client.session, query)?))
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        let client = self.client(&request)?;
        Ok(one_batch(metadata::tables(&client.session, query).await?))
    }

    async fn do_get_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        self.client(&request)?;
        Ok(one_batch(metadata::table_types(query)?))
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<Ticket>,
    ) -> Result<Response<FlightDataStream>, Status> {
        self.client(&request)?;
        let batch = query
            .into_builder(&self.sql_info)
            .build()
            .map_err(|e| Status::internal(format!("cannot build the server information: {e}")))?;
        Ok(one_batch(batch))
    }

    async fn do_put_statement_update(
        &self,
        ticket: CommandStatementUpdate,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        let client = self.client(&request)?;
        if ticket.transaction_id.is_some() {
            return Err(no_transactions());
        }
        self.update(&client, &ticket.query).await
    }

    async fn do_put_statement_ingest(
        &self,
        _ticket: CommandStatementIngest,
        _request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        Err(Status::unimplemented(
            "bulk ingestion is not supported; load data with INSERT INTO, CREATE TABLE … AS or an external table",
        ))
    }

    async fn do_put_error_callback(
        &self,
        _request: Request<PeekableFlightDataStream>,
        error: DoPutError,
    ) -> Result<Response<<Self as FlightService>::DoPutStream>, Status> {
        Err(Status::invalid_argument(format!(
            "malformed DoPut request: {error}"
        )))
    }

    async fn do_put_prepared_statement_query(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<DoPutPreparedStatementResult, Status> {
        let client = self.client(&request)?;
        let statement = client.statements.get(&query.prepared_statement_handle)?;
        if let Some(params) = prepared::read_parameters(request.into_inner()).await? {
            statement.bind(params)?;
        }
        Ok(DoPutPreparedStatementResult {
            prepared_statement_handle: Some(query.prepared_statement_handle),
        })
    }

    async fn do_put_prepared_statement_update(
        &self,
        query: CommandPreparedStatementUpdate,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        let client = self.client(&request)?;
        let statement = client.statements.get(&query.prepared_statement_handle)?;
        let params = prepared::read_parameters(request.into_inner()).await?;
        let mut total: i64 = 0;
        for text in statement.texts(params)? {
            total = total.saturating_add(self.update(&client, &text).await?);
        }
        Ok(total)
    }

    async fn do_put_substrait_plan(
        &self,
        _query: CommandStatementSubstraitPlan,
        _request: Request<PeekableFlightDataStream>,
    ) -> Result<i64, Status> {
        Err(Status::unimplemented("Firn takes SQL, not Substrait plans"))
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        request: Request<arrow_flight::Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let client = self.client(&request)?;
        if query.transaction_id.is_some() {
            return Err(no_transactions());
        }
        prepared::create(&client, &query.query).await
    }

    async fn do_action_close_prepared_statement(
        &self,
        query: ActionClosePreparedStatementRequest,
        request: Request<arrow_flight::Action>,
    ) -> Result<(), Status> {
        let client = self.client(&request)?;
        client.statements.remove(&query.prepared_statement_handle)
    }

    async fn do_action_begin_transaction(
        &self,
        _query: ActionBeginTransactionRequest,
        _request: Request<arrow_flight::Action>,
    ) -> Result<ActionBeginTransactionResult, Status> {
        Err(no_transactions())
    }

    async fn do_action_begin_savepoint(
        &self,
        _query: ActionBeginSavepointRequest,
        _request: Request<arrow_flight::Action>,
    ) -> Result<ActionBeginSavepointResult, Status> {
        Err(no_transactions())
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, UInt64Array};
    use datafusion::arrow::datatypes::{Field, Schema};

    use super::*;

    #[test]
    fn affected_rows_reads_dml_counts() {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "count",
            DataType::UInt64,
            false,
        )]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![Arc::new(UInt64Array::from(vec![3])) as ArrayRef],
        )
        .expect("batch");
        let output = QueryOutput {
            schema,
            batches: vec![batch],
        };
        assert_eq!(affected_rows(&output), 3);
        assert_eq!(affected_rows(&QueryOutput::empty()), 0);
    }
}
