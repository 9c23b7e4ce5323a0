//! A session: runs Firn SQL (DataFusion's dialect plus Firn's statements).

mod builder;
mod ddl;
mod feature_store;
pub mod file_access;
mod models;
mod monitors;
mod preload;
mod restricted_store;
pub(crate) mod statement_timeout;
mod submit;
mod suggest;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::logical_expr::{DdlStatement, LogicalPlan};
use datafusion::prelude::{DataFrame, SessionContext};
use datafusion::sql::parser::Statement as DFStatement;
use std::sync::Arc;

pub use builder::SessionBuilder;
pub use file_access::FileAccess;
pub(crate) use submit::is_query;
pub use submit::{Submitted, is_single_query};

use crate::error::{Error, Result};
use crate::services::Services;
use crate::sql::{FirnStatement, parse_sql};

/// The result of one statement.
#[derive(Debug, Clone)]
pub struct QueryOutput {
    /// The result's schema (empty for statements that return nothing).
    pub schema: SchemaRef,
    /// The result's rows.
    pub batches: Vec<RecordBatch>,
}

impl QueryOutput {
    /// A result with no columns and no rows (DDL).
    pub fn empty() -> Self {
        Self {
            schema: Arc::new(Schema::empty()),
            batches: vec![],
        }
    }

    /// Total number of rows.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// A result of one batch.
    pub(crate) fn of_batch(batch: RecordBatch) -> Self {
        Self {
            schema: batch.schema(),
            batches: vec![batch],
        }
    }

    async fn collect(frame: DataFrame) -> Result<Self> {
        // The physical plan's schema, not the logical one: the batches are the
        // physical plan's, and the two can differ in string types (Utf8 against
        // Utf8View), which an IPC writer given the logical schema would corrupt.
        let task_ctx = Arc::new(frame.task_ctx());
        let plan = frame.create_physical_plan().await?;
        let schema = plan.schema();
        let batches = datafusion::physical_plan::collect(plan, task_ctx).await?;
        Ok(Self { schema, batches })
    }
}

/// A connection-like handle: its own settings, the database's tables.
#[derive(Clone)]
pub struct Session {
    ctx: SessionContext,
    services: Arc<Services>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.ctx.session_id())
            .field("database", &self.services.store.display_location())
            .finish()
    }
}

impl Session {
    pub(crate) fn new(ctx: SessionContext, services: Arc<Services>) -> Self {
        Self { ctx, services }
    }

    /// The DataFusion context (for registering your own functions, or DataFrame work).
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Runs exactly one statement.
    pub async fn execute(&self, sql: &str) -> Result<QueryOutput> {
        let mut statements = parse_sql(sql)?;
        if statements.len() != 1 {
            return Err(Error::DataFusion(datafusion::error::DataFusionError::Plan(
                format!("expected exactly one statement, found {}", statements.len()),
            )));
        }
        let statement = statements.remove(0);
        self.run(statement, true).await
    }

    /// Runs one or more `;`-separated statements; returns the last one's rows.
    pub async fn sql(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        let mut last = QueryOutput::empty();
        for statement in parse_sql(sql)? {
            last = self.run(statement, true).await?;
        }
        Ok(last.batches)
    }

    /// Plans one query into a DataFrame without running it.
    pub async fn dataframe(&self, sql: &str) -> Result<DataFrame> {
        let mut statements = parse_sql(sql)?;
        match (statements.pop(), statements.is_empty()) {
            (Some(FirnStatement::DataFusion(statement)), true) => {
                self.preload(&statement).await?;
                let plan = self.ctx.state().statement_to_plan(*statement).await?;
                Ok(self.ctx.execute_logical_plan(plan).await?)
            }
            _ => Err(Error::DataFusion(datafusion::error::DataFusionError::Plan(
                "dataframe() takes exactly one query".into(),
            ))),
        }
    }

    /// Re-runs a stored external-table or view definition when a database opens.
    pub(crate) async fn restore_definition(&self, sql: &str) -> Result<()> {
        for statement in parse_sql(sql)? {
            self.run(statement, false).await?;
        }
        Ok(())
    }

    /// Runs one statement within the session's statement timeout.
    async fn run(
        &self,
        statement: FirnStatement,
        persist_definitions: bool,
    ) -> Result<QueryOutput> {
        statement_timeout::limit(
            statement_timeout::of(&self.ctx),
            self.run_statement(statement, persist_definitions),
        )
        .await
        .map_err(|error| suggest::with_suggestion(&self.ctx, error))
    }

    async fn run_statement(
        &self,
        statement: FirnStatement,
        persist_definitions: bool,
    ) -> Result<QueryOutput> {
        match statement {
            FirnStatement::DataFusion(statement) => {
                self.run_datafusion(*statement, persist_definitions).await
            }
            FirnStatement::CreateModel(statement) => models::create_model(self, *statement).await,
            FirnStatement::AlterModel(statement) => models::alter_model(self, &statement).await,
            FirnStatement::DropModel(statement) => models::drop_model(self, &statement).await,
            FirnStatement::Show(statement) => {
                if let crate::sql::Show::Versions { model } = &statement {
                    // An unknown or damaged model is an error, not an empty listing.
                    self.services.registry.list_versions(model).await?;
                }
                self.query(&statement.query()).await
            }
            FirnStatement::CreateEntity(statement) => {
                feature_store::create_entity(self, statement).await
            }
            FirnStatement::DropEntity(statement) => {
                feature_store::drop_entity(self, &statement).await
            }
            FirnStatement::CreateFeatureView(statement) => {
                feature_store::create_feature_view(self, *statement).await
            }
            FirnStatement::DropFeatureView(statement) => {
                feature_store::drop_feature_view(self, &statement).await
            }
            FirnStatement::DescribeFeatureView(statement) => {
                feature_store::describe_feature_view(self, &statement).await
            }
            FirnStatement::DescribeModel(statement) => self.query(&statement.query()).await,
            FirnStatement::VerifyModel(statement) => self.query(&statement.query()).await,
            FirnStatement::CreateMonitor(statement) => {
                monitors::create_monitor(self, *statement).await
            }
            FirnStatement::RunMonitor(statement) => self.query(&statement.query()).await,
            FirnStatement::DropMonitor(statement) => monitors::drop_monitor(self, &statement).await,
            FirnStatement::CreateTrainingSet(statement) => self.query(&statement.table_sql()).await,
        }
    }

    /// Runs a query Firn wrote itself (the meaning of a `SHOW` statement).
    async fn query(&self, sql: &str) -> Result<QueryOutput> {
        let mut statements = parse_sql(sql)?;
        match (statements.pop(), statements.is_empty()) {
            (Some(FirnStatement::DataFusion(statement)), true) => {
                self.run_datafusion(*statement, false).await
            }
            _ => Err(Error::DataFusion(
                datafusion::error::DataFusionError::Internal(format!("not one query: {sql}")),
            )),
        }
    }

    async fn run_datafusion(
        &self,
        statement: DFStatement,
        persist_definitions: bool,
    ) -> Result<QueryOutput> {
        file_access::check_statement(&self.ctx, &statement, &self.services.store)?;
        self.preload(&statement).await?;
        let definition = ddl::definition_sql(&statement)?;
        let plan = self.ctx.state().statement_to_plan(statement).await?;
        match plan {
            LogicalPlan::Ddl(DdlStatement::CreateMemoryTable(cmd))
                if ddl::is_default_schema(&cmd.name) =>
            {
                ddl::create_table_as(self, cmd).await
            }
            LogicalPlan::Ddl(DdlStatement::DropTable(cmd))
                if ddl::is_default_schema(&cmd.name)
                    && self.services.schema.is_stored_table(cmd.name.table()) =>
            {
                self.services.schema.drop_table(cmd.name.table()).await?;
                self.services
                    .feature_store
                    .forget_table(cmd.name.table())
                    .await?;
                Ok(QueryOutput::empty())
            }
            plan => {
                let persisted = if persist_definitions {
                    ddl::persisted_relation(&plan, definition)?
                } else {
                    ddl::PersistedRelation::None
                };
                let output =
                    QueryOutput::collect(self.ctx.execute_logical_plan(plan).await?).await?;
                persisted.apply(&self.services.store).await?;
                Ok(output)
            }
        }
    }
}
