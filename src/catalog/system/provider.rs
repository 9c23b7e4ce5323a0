//! A [`SystemTable`] as a DataFusion table: rows are computed when the scan is planned.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::{Result, plan_err};
use datafusion::datasource::TableProvider;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::sink::{DataSink, DataSinkExec};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType};
use futures::StreamExt;

use super::SystemTable;

/// Serves one system table.
#[derive(Debug)]
pub struct SystemTableProvider {
    table: Arc<dyn SystemTable>,
}

impl SystemTableProvider {
    /// The provider of `table`.
    pub fn new(table: Arc<dyn SystemTable>) -> Self {
        Self { table }
    }
}

#[async_trait]
impl TableProvider for SystemTableProvider {
    fn schema(&self) -> SchemaRef {
        self.table.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let batches = self.table.batches().await?;
        Ok(MemorySourceConfig::try_new_exec(
            &[batches],
            self.table.schema(),
            projection.cloned(),
        )?)
    }

    async fn insert_into(
        &self,
        _state: &dyn Session,
        input: Arc<dyn ExecutionPlan>,
        insert_op: InsertOp,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if !self.table.accepts_inserts() || insert_op != InsertOp::Append {
            return plan_err!(
                "{}.{} does not take {insert_op}; it is a system table",
                super::SYSTEM_SCHEMA,
                self.table.name()
            );
        }
        let sink = SystemTableSink {
            table: Arc::clone(&self.table),
            schema: self.table.schema(),
        };
        Ok(Arc::new(DataSinkExec::new(input, Arc::new(sink), None)))
    }
}

/// Hands the rows of an `INSERT` to a system table that takes them.
struct SystemTableSink {
    table: Arc<dyn SystemTable>,
    schema: SchemaRef,
}

impl fmt::Debug for SystemTableSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SystemTableSink({})", self.table.name())
    }
}

impl DisplayAs for SystemTableSink {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SystemTableSink: table={}", self.table.name())
    }
}

#[async_trait]
impl DataSink for SystemTableSink {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    async fn write_all(
        &self,
        mut data: SendableRecordBatchStream,
        _context: &Arc<TaskContext>,
    ) -> Result<u64> {
        let mut batches = Vec::new();
        while let Some(batch) = data.next().await {
            batches.push(batch?);
        }
        self.table.insert(batches).await
    }
}
