//! Table functions whose rows come from work done when the query runs, not
//! when it is planned: training a model, changing the registry, logging a run,
//! evaluating a model over a query's rows.
//!
//! A [`DeferredTable`] has a fixed schema and an optional input query. Its scan
//! plans the input and returns a [`DeferredExec`], which — on execution —
//! collects the input's rows and hands them to the function's work. So `EXPLAIN`
//! shows the plan without doing anything, and the work runs exactly once per
//! execution.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, internal_err, project_schema};
use datafusion::datasource::TableProvider;
use datafusion::execution::session_state::SessionState;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, LogicalPlan, TableType};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties, collect,
};
use futures::StreamExt;
use futures::future::BoxFuture;

/// The work of a deferred table function: the input's rows in, the result's rows out.
pub type Work =
    Arc<dyn Fn(Vec<RecordBatch>) -> BoxFuture<'static, Result<Vec<RecordBatch>>> + Send + Sync>;

/// A table whose rows are computed by [`Work`] when a query using it runs.
pub struct DeferredTable {
    name: &'static str,
    schema: SchemaRef,
    input: Option<LogicalPlan>,
    work: Work,
}

impl fmt::Debug for DeferredTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeferredTable")
            .field("name", &self.name)
            .finish()
    }
}

impl DeferredTable {
    /// A table named `name` (for plans) with `schema`, computed by `work` from
    /// the rows of `input` (no rows when there is no input).
    pub fn new(
        name: &'static str,
        schema: SchemaRef,
        input: Option<LogicalPlan>,
        work: Work,
    ) -> Self {
        Self {
            name,
            schema,
            input,
            work,
        }
    }
}

#[async_trait]
impl TableProvider for DeferredTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = match &self.input {
            Some(plan) => {
                let Some(state) = state.as_any().downcast_ref::<SessionState>() else {
                    return internal_err!(
                        "{} needs a DataFusion session to plan its input",
                        self.name
                    );
                };
                Some(state.create_physical_plan(plan).await?)
            }
            None => None,
        };
        Ok(Arc::new(DeferredExec::new(
            self.name,
            Arc::clone(&self.schema),
            projection.cloned(),
            input,
            Arc::clone(&self.work),
        )?))
    }
}

/// Runs a deferred table function's work when executed (one partition).
pub struct DeferredExec {
    name: &'static str,
    schema: SchemaRef,
    projection: Option<Vec<usize>>,
    input: Option<Arc<dyn ExecutionPlan>>,
    work: Work,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for DeferredExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeferredExec({})", self.name)
    }
}

impl DeferredExec {
    fn new(
        name: &'static str,
        schema: SchemaRef,
        projection: Option<Vec<usize>>,
        input: Option<Arc<dyn ExecutionPlan>>,
        work: Work,
    ) -> Result<Self> {
        let projected = project_schema(&schema, projection.as_ref())?;
        let properties = PlanProperties::new(
            EquivalenceProperties::new(projected),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        );
        Ok(Self {
            name,
            schema,
            projection,
            input,
            work,
            properties: Arc::new(properties),
        })
    }
}

impl DisplayAs for DeferredExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeferredExec: function={}", self.name)
    }
}

impl ExecutionPlan for DeferredExec {
    fn name(&self) -> &str {
        "DeferredExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        self.input.iter().collect()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false; self.input.iter().count()]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = match (self.input.is_some(), children.as_slice()) {
            (false, []) => None,
            (true, [child]) => Some(Arc::clone(child)),
            _ => return internal_err!("{} takes one input plan at most", self.name),
        };
        Ok(Arc::new(DeferredExec::new(
            self.name,
            Arc::clone(&self.schema),
            self.projection.clone(),
            input,
            Arc::clone(&self.work),
        )?))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return internal_err!("{} has one partition, asked for {partition}", self.name);
        }
        let input = self.input.clone();
        let work = Arc::clone(&self.work);
        let projection = self.projection.clone();
        let output = async move {
            let rows = match input {
                Some(plan) => collect(plan, context).await?,
                None => vec![],
            };
            let batches = work(rows).await?;
            match projection {
                Some(indices) => batches
                    .iter()
                    .map(|b| b.project(&indices).map_err(Into::into))
                    .collect::<Result<Vec<_>>>(),
                None => Ok(batches),
            }
        };
        let stream = futures::stream::once(output)
            .map(|result| match result {
                Ok(batches) => futures::stream::iter(batches.into_iter().map(Ok)).left_stream(),
                Err(e) => futures::stream::iter(vec![Err(e)]).right_stream(),
            })
            .flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(self.properties.eq_properties.schema()),
            stream,
        )))
    }
}
