//! A [`SystemTable`] as a DataFusion table: rows are computed when the scan is planned.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::Result;
use datafusion::datasource::TableProvider;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::ExecutionPlan;

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
}
