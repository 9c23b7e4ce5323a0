//! Case-insensitive column names for files whose headers are not lower case.
//!
//! Firn follows PostgreSQL: unquoted identifiers fold to lower case, quoted ones
//! are exact. A CSV header `CUSTOMER_ID` would then be reachable only as
//! `"CUSTOMER_ID"`, so when an external table is created its column names are
//! folded to lower case too (unless two would collide, in which case both keep
//! their spelling). `SELECT customer_id`, `SELECT CUSTOMER_ID` and
//! `SELECT "customer_id"` then all work.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProviderFactory};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, Result};
use datafusion::datasource::TableProvider;
use datafusion::logical_expr::{CreateExternalTable, Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_expr::expressions::Column as ColumnExpr;
use datafusion::physical_expr::projection::ProjectionExpr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::projection::ProjectionExec;

use crate::catalog::source_context::SourceContextExec;

/// Wraps a `TableProviderFactory` (e.g. DataFusion's listing factory for CSV)
/// so the tables it creates expose lower-case column names.
#[derive(Debug)]
pub struct CaseFoldingFactory {
    inner: Arc<dyn TableProviderFactory>,
}

impl CaseFoldingFactory {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn TableProviderFactory>) -> Self {
        Self { inner }
    }
}

#[async_trait]
impl TableProviderFactory for CaseFoldingFactory {
    async fn create(
        &self,
        state: &dyn Session,
        cmd: &CreateExternalTable,
    ) -> Result<Arc<dyn TableProvider>> {
        let table = self.inner.create(state, cmd).await?;
        let source = format!(
            "reading {} '{}'",
            cmd.file_type.to_uppercase(),
            cmd.locations.join("', '")
        );
        Ok(Arc::new(FoldedTable::new(table, source)))
    }
}

/// A table whose column names are folded to lower case; scans name their source in errors.
pub struct FoldedTable {
    inner: Arc<dyn TableProvider>,
    schema: SchemaRef,
    /// Folded name → the inner table's name, for columns whose name changed.
    original: HashMap<String, String>,
    source: String,
}

impl fmt::Debug for FoldedTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FoldedTable")
            .field("source", &self.source)
            .finish()
    }
}

impl FoldedTable {
    /// Wraps `inner`; `source` describes it in error messages.
    pub fn new(inner: Arc<dyn TableProvider>, source: String) -> Self {
        let inner_schema = inner.schema();
        let mut folded_counts: HashMap<String, usize> = HashMap::new();
        for field in inner_schema.fields() {
            *folded_counts
                .entry(field.name().to_lowercase())
                .or_default() += 1;
        }
        let mut original = HashMap::new();
        let fields: Vec<Field> = inner_schema
            .fields()
            .iter()
            .map(|field| {
                let folded = field.name().to_lowercase();
                if folded != *field.name() && folded_counts.get(&folded) == Some(&1) {
                    original.insert(folded.clone(), field.name().clone());
                    field.as_ref().clone().with_name(folded)
                } else {
                    field.as_ref().clone()
                }
            })
            .collect();
        let schema = Arc::new(Schema::new_with_metadata(
            fields,
            inner_schema.metadata().clone(),
        ));
        Self {
            inner,
            schema,
            original,
            source,
        }
    }

    /// Rewrites column references from folded to original names.
    fn unfold(&self, expr: &Expr) -> Result<Expr> {
        expr.clone()
            .transform(|e| match &e {
                Expr::Column(c) => match self.original.get(&c.name) {
                    Some(name) => Ok(Transformed::yes(Expr::Column(Column::new(
                        c.relation.clone(),
                        name,
                    )))),
                    None => Ok(Transformed::no(e)),
                },
                _ => Ok(Transformed::no(e)),
            })
            .map(|t| t.data)
    }
}

#[async_trait]
impl TableProvider for FoldedTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        let unfolded = filters
            .iter()
            .map(|f| self.unfold(f))
            .collect::<Result<Vec<_>>>()?;
        self.inner
            .supports_filters_pushdown(&unfolded.iter().collect::<Vec<_>>())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let filters = filters
            .iter()
            .map(|f| self.unfold(f))
            .collect::<Result<Vec<_>>>()?;
        let plan = self.inner.scan(state, projection, &filters, limit).await?;
        let plan: Arc<dyn ExecutionPlan> = if self.original.is_empty() {
            plan
        } else {
            let input_schema = plan.schema();
            let exprs = input_schema.fields().iter().enumerate().map(|(i, field)| {
                let name = field.name();
                let folded = if self.original.get(&name.to_lowercase()) == Some(name) {
                    name.to_lowercase()
                } else {
                    name.clone()
                };
                ProjectionExpr {
                    expr: Arc::new(ColumnExpr::new(name, i)),
                    alias: folded,
                }
            });
            Arc::new(ProjectionExec::try_new(exprs, plan)?)
        };
        Ok(Arc::new(SourceContextExec::new(plan, self.source.clone())))
    }
}
