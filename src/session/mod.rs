//! A session: runs Firn SQL (DataFusion's dialect plus Firn's statements).

mod builder;
mod create_model;
mod ddl;
mod feature_store;
pub mod file_access;
mod model_admin;
mod model_options;
mod model_run;
mod restricted_store;
mod submit;
mod training;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::logical_expr::{DdlStatement, LogicalPlan};
use datafusion::prelude::{DataFrame, SessionContext};
use datafusion::sql::parser::Statement as DFStatement;
use std::sync::Arc;

pub use builder::SessionBuilder;
pub(crate) use create_model::{ModelRequest, cv_metric, output_schema, train_and_register};
pub use file_access::FileAccess;
pub(crate) use model_admin::{alter_model, drop_model};
pub(crate) use model_options::ModelOptions;
pub use submit::{Submitted, is_query};

use crate::database::Database;
use crate::error::{Error, Result};
use crate::functions::model_resolver::references;
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

    async fn collect(frame: DataFrame) -> Result<Self> {
        let schema = Arc::clone(frame.schema().inner());
        let batches = frame.collect().await?;
        Ok(Self { schema, batches })
    }
}

/// A connection-like handle: its own settings, the database's tables.
#[derive(Clone)]
pub struct Session {
    ctx: SessionContext,
    db: Database,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.ctx.session_id())
            .field("database", &self.db.location())
            .finish()
    }
}

impl Session {
    pub(crate) fn new(ctx: SessionContext, db: Database) -> Self {
        Self { ctx, db }
    }

    /// The DataFusion context (for registering your own functions, or DataFrame work).
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The database this session belongs to.
    pub fn database(&self) -> &Database {
        &self.db
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
                self.preload_models(&statement).await?;
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

    async fn run(
        &self,
        statement: FirnStatement,
        persist_definitions: bool,
    ) -> Result<QueryOutput> {
        match statement {
            FirnStatement::DataFusion(statement) => {
                self.run_datafusion(*statement, persist_definitions).await
            }
            FirnStatement::CreateModel(statement) => {
                create_model::create_model(self, *statement).await
            }
            FirnStatement::AlterModel(statement) => {
                model_admin::alter_model(&self.db.registry(), &statement).await?;
                Ok(QueryOutput::empty())
            }
            FirnStatement::DropModel(statement) => {
                model_admin::drop_model(&self.db.registry(), &statement).await?;
                Ok(QueryOutput::empty())
            }
            FirnStatement::Show(statement) => self.query(&statement.query()).await,
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

    /// Loads what planning a statement needs from storage, which planning itself
    /// cannot wait for: the models its `predict(…)` calls and model table functions
    /// name, the tracking state when it compares runs, and the feature store's
    /// catalog when it reads feature views (also inside a query passed as text).
    async fn preload_models(&self, statement: &DFStatement) -> Result<()> {
        let (models, table_functions) = references(statement);
        for reference in models {
            self.db.model_resolver().preload(&reference).await?;
        }
        if table_functions.iter().any(|f| f == "compare_runs") {
            self.db.tracking().refresh().await?;
        }
        let feature_store_functions = crate::functions::FEATURE_STORE_FUNCTIONS;
        if crate::functions::uses_feature_store(statement)
            || table_functions
                .iter()
                .any(|f| feature_store_functions.contains(&f.as_str()))
        {
            self.db.feature_store().refresh().await?;
        }
        Ok(())
    }

    async fn run_datafusion(
        &self,
        statement: DFStatement,
        persist_definitions: bool,
    ) -> Result<QueryOutput> {
        file_access::check_statement(&self.ctx, &statement)?;
        self.preload_models(&statement).await?;
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
                    && self
                        .db
                        .schema()
                        .persistent_table(cmd.name.table())
                        .is_some() =>
            {
                self.db.schema().drop_table(cmd.name.table()).await?;
                self.db
                    .feature_store()
                    .forget_table(cmd.name.table())
                    .await?;
                Ok(QueryOutput::empty())
            }
            plan => {
                let persisted = if persist_definitions {
                    ddl::persisted_relation(&plan, definition)
                } else {
                    ddl::PersistedRelation::None
                };
                let output =
                    QueryOutput::collect(self.ctx.execute_logical_plan(plan).await?).await?;
                persisted.apply(self.db.store()).await?;
                Ok(output)
            }
        }
    }
}
