//! Malformed requests get `INVALID_ARGUMENT` with a readable message. The
//! Flight SQL dispatch in arrow-flight answers a command that does not decode
//! with a `Debug` dump (and one whose inner message does not decode with
//! `INTERNAL`), so this service checks commands, tickets and action bodies
//! first and hands the rest, unchanged, to [`FirnFlightSql`].
//!
//! (A `DoPut` carries its command inside the data stream, which only the
//! dispatch can peek at; a malformed one is still `INVALID_ARGUMENT` or
//! `INTERNAL` as arrow-flight reports it.)

use std::sync::Arc;

use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::{
    ActionBeginSavepointRequest, ActionBeginTransactionRequest, ActionCancelQueryRequest,
    ActionClosePreparedStatementRequest, ActionCreatePreparedStatementRequest,
    ActionCreatePreparedSubstraitPlanRequest, ActionEndSavepointRequest,
    ActionEndTransactionRequest, Any, Command, ProstMessageExt,
};
use arrow_flight::{
    Action, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo, HandshakeRequest, PollInfo,
    SchemaResult, Ticket,
};
use prost::Message;
use tonic::{Request, Response, Status, Streaming};

use crate::server::service::FirnFlightSql;

/// [`FirnFlightSql`] behind request checks.
pub(crate) struct Guarded(pub(crate) Arc<FirnFlightSql>);

fn malformed(what: &str, error: impl std::fmt::Display) -> Status {
    Status::invalid_argument(format!("malformed {what}: {error}"))
}

/// A command (descriptor or ticket) that decodes, inside and out.
fn check_command(bytes: &[u8], what: &str) -> Result<(), Status> {
    let any = Any::decode(bytes).map_err(|e| malformed(what, e))?;
    Command::try_from(any).map_err(|e| malformed(what, e))?;
    Ok(())
}

/// An action body of type `M` that decodes.
fn check_body<M: ProstMessageExt>(body: &[u8], action: &str) -> Result<(), Status> {
    let what = format!("{action} request");
    let any = Any::decode(body).map_err(|e| malformed(&what, e))?;
    match any.unpack::<M>() {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(malformed(
            &what,
            format!("expected {}, got {}", M::type_url(), any.type_url),
        )),
        Err(e) => Err(malformed(&what, e)),
    }
}

fn check_action(action: &Action) -> Result<(), Status> {
    let body = &action.body[..];
    let kind = action.r#type.as_str();
    match kind {
        "CreatePreparedStatement" => check_body::<ActionCreatePreparedStatementRequest>(body, kind),
        "ClosePreparedStatement" => check_body::<ActionClosePreparedStatementRequest>(body, kind),
        "CreatePreparedSubstraitPlan" => {
            check_body::<ActionCreatePreparedSubstraitPlanRequest>(body, kind)
        }
        "BeginTransaction" => check_body::<ActionBeginTransactionRequest>(body, kind),
        "EndTransaction" => check_body::<ActionEndTransactionRequest>(body, kind),
        "BeginSavepoint" => check_body::<ActionBeginSavepointRequest>(body, kind),
        "EndSavepoint" => check_body::<ActionEndSavepointRequest>(body, kind),
        "CancelQuery" => check_body::<ActionCancelQueryRequest>(body, kind),
        other => Err(Status::invalid_argument(format!(
            "unknown action '{other}'; see ListActions"
        ))),
    }
}

#[tonic::async_trait]
impl FlightService for Guarded {
    type HandshakeStream = <FirnFlightSql as FlightService>::HandshakeStream;
    type ListFlightsStream = <FirnFlightSql as FlightService>::ListFlightsStream;
    type DoGetStream = <FirnFlightSql as FlightService>::DoGetStream;
    type DoPutStream = <FirnFlightSql as FlightService>::DoPutStream;
    type DoActionStream = <FirnFlightSql as FlightService>::DoActionStream;
    type ListActionsStream = <FirnFlightSql as FlightService>::ListActionsStream;
    type DoExchangeStream = <FirnFlightSql as FlightService>::DoExchangeStream;

    async fn handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        self.0.handshake(request).await
    }

    async fn list_flights(
        &self,
        request: Request<Criteria>,
    ) -> Result<Response<Self::ListFlightsStream>, Status> {
        self.0.list_flights(request).await
    }

    async fn get_flight_info(
        &self,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        check_command(&request.get_ref().cmd, "command")?;
        self.0.get_flight_info(request).await
    }

    async fn poll_flight_info(
        &self,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<PollInfo>, Status> {
        self.0.poll_flight_info(request).await
    }

    async fn get_schema(
        &self,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<SchemaResult>, Status> {
        self.0.get_schema(request).await
    }

    async fn do_get(
        &self,
        request: Request<Ticket>,
    ) -> Result<Response<Self::DoGetStream>, Status> {
        check_command(&request.get_ref().ticket, "ticket")?;
        self.0.do_get(request).await
    }

    async fn do_put(
        &self,
        request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoPutStream>, Status> {
        self.0.do_put(request).await
    }

    async fn do_exchange(
        &self,
        request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        self.0.do_exchange(request).await
    }

    async fn do_action(
        &self,
        request: Request<Action>,
    ) -> Result<Response<Self::DoActionStream>, Status> {
        check_action(request.get_ref())?;
        self.0.do_action(request).await
    }

    async fn list_actions(
        &self,
        request: Request<Empty>,
    ) -> Result<Response<Self::ListActionsStream>, Status> {
        self.0.list_actions(request).await
    }
}

#[cfg(test)]
mod tests {
    use arrow_flight::sql::CommandStatementQuery;

    use super::*;

    #[test]
    fn malformed_commands_and_bodies_are_invalid_arguments() {
        let err = check_command(&[0xff, 0x01], "ticket").unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        assert!(
            err.message().starts_with("malformed ticket: "),
            "{}",
            err.message()
        );
        assert!(
            !err.message().contains("DecodeError {"),
            "{}",
            err.message()
        );
        // A well-formed Any whose value is not the message it names.
        let lying = Any {
            type_url: CommandStatementQuery::type_url().into(),
            value: vec![0xff, 0xff].into(),
        };
        let err = check_command(&lying.encode_to_vec(), "command").unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err}");
        let good = CommandStatementQuery {
            query: "SELECT 1".into(),
            transaction_id: None,
        };
        assert!(check_command(&good.as_any().encode_to_vec(), "command").is_ok());

        let wrong_type = Action {
            r#type: "ClosePreparedStatement".into(),
            body: good.as_any().encode_to_vec().into(),
        };
        let err = check_action(&wrong_type).unwrap_err();
        assert!(
            err.message().contains("expected type.googleapis.com"),
            "{}",
            err.message()
        );
        let unknown = Action {
            r#type: "DropEverything".into(),
            body: Default::default(),
        };
        assert!(
            check_action(&unknown)
                .unwrap_err()
                .message()
                .contains("unknown action")
        );
    }
}
