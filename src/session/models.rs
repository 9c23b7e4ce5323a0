//! The model statements: `CREATE MODEL` plans its query and hands it to
//! [`crate::modeling`]; `ALTER MODEL` and `DROP MODEL` pass their change there.

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::Statement as SQLStatement;

use crate::error::Result;
use crate::modeling::ModelRequest;
use crate::session::{QueryOutput, Session};
use crate::sql::{AlterModel, CreateModel, DropModel};

/// `CREATE MODEL name [VERSION v] OPTIONS (…) AS query`.
pub(super) async fn create_model(session: &Session, statement: CreateModel) -> Result<QueryOutput> {
    let CreateModel {
        name,
        version,
        options,
        query,
    } = statement;
    let request = ModelRequest {
        name,
        version,
        options,
        query: query.to_string(),
    };
    let statement = DFStatement::Statement(Box::new(SQLStatement::Query(query)));
    session.preload(&statement).await?;
    let state = session.ctx.state();
    let plan = state.statement_to_plan(statement).await?;
    let row = session
        .services
        .modeling
        .train_and_register(&state, request, plan)
        .await?;
    Ok(QueryOutput::of_batch(row))
}

/// `ALTER MODEL`.
pub(super) async fn alter_model(session: &Session, statement: &AlterModel) -> Result<QueryOutput> {
    session
        .services
        .modeling
        .alter_model(&statement.name, &statement.action)
        .await?;
    Ok(QueryOutput::empty())
}

/// `DROP MODEL [IF EXISTS] name [VERSION v]`.
pub(super) async fn drop_model(session: &Session, statement: &DropModel) -> Result<QueryOutput> {
    session
        .services
        .modeling
        .drop_model(
            &statement.name,
            statement.version.as_deref(),
            statement.if_exists,
        )
        .await?;
    Ok(QueryOutput::empty())
}
