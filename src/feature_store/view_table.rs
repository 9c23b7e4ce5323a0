//! One version of a feature view as a table (what `feature_view(…)` returns). A
//! `MATERIALIZED` version reads its Parquet snapshot; any other runs its query
//! now, over the current data, and must still produce the columns and types
//! recorded when it was created.

use std::borrow::Cow;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::{Column, Result, plan_err};
use datafusion::datasource::TableProvider;
use datafusion::datasource::listing::ListingTable;
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::{
    Expr, LogicalPlan, LogicalPlanBuilder, TableProviderFilterPushDown, TableType,
};
use datafusion::physical_plan::ExecutionPlan;

use crate::feature_store::key_check_exec::KeyCheckExec;
use crate::feature_store::names::ViewRef;
use crate::feature_store::{FeatureStore, ViewVersion, snapshot};
use crate::query::lookup::plan_query_now;

/// Where a version's rows come from.
#[derive(Debug)]
enum Rows {
    Snapshot(Arc<ListingTable>),
    Live(LogicalPlan),
}

/// One version of a feature view as a table.
#[derive(Debug)]
pub struct FeatureViewTable {
    version: Arc<ViewVersion>,
    reference: ViewRef,
    schema: SchemaRef,
    rows: Rows,
    /// Check the keys of the rows read, with this prefix for errors.
    key_check: Option<String>,
}

impl FeatureViewTable {
    /// The rows of `version`; a live version's query is planned in `session` now.
    pub fn open(
        store: &FeatureStore,
        version: Arc<ViewVersion>,
        session: &dyn Session,
    ) -> Result<Self> {
        let reference = version.reference();
        let schema = version.schema()?;
        let rows = if version.materialized {
            Rows::Snapshot(snapshot::listing_table(store.store(), &version)?)
        } else {
            let plan = plan_query_now(session, &version.query, "feature_view")?;
            let planned = plan.schema().as_arrow();
            let recorded: Vec<String> = schema
                .fields()
                .iter()
                .map(|f| format!("{} {}", f.name(), f.data_type()))
                .collect();
            let now: Vec<String> = planned
                .fields()
                .iter()
                .map(|f| format!("{} {}", f.name(), f.data_type()))
                .collect();
            if recorded != now {
                return plan_err!(
                    "feature view {reference} no longer produces the columns it was created with \
                     (its sources changed): recorded [{}], now [{}]; create a new version",
                    recorded.join(", "),
                    now.join(", ")
                );
            }
            Rows::Live(plan)
        };
        Ok(Self {
            version,
            reference,
            schema,
            rows,
            key_check: None,
        })
    }

    /// Fails a scan at the first NULL or repeated key (`what` starts the message).
    pub fn with_key_check(mut self, what: String) -> Self {
        self.key_check = Some(what);
        self
    }

    /// `name:version`.
    pub fn reference(&self) -> &ViewRef {
        &self.reference
    }

    /// The entity's key columns.
    pub fn keys(&self) -> &[String] {
        &self.version.keys
    }
}

#[async_trait]
impl TableProvider for FeatureViewTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    fn get_logical_plan(&'_ self) -> Option<Cow<'_, LogicalPlan>> {
        // Not inlined: the scan stays visible, so lineage can find this view.
        None
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        match &self.rows {
            Rows::Snapshot(listing) => listing.supports_filters_pushdown(filters),
            Rows::Live(_) => Ok(vec![
                TableProviderFilterPushDown::Unsupported;
                filters.len()
            ]),
        }
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let plan = match &self.rows {
            Rows::Snapshot(listing) => listing.scan(state, projection, filters, limit).await?,
            Rows::Live(plan) => {
                let Some(state) = state.as_any().downcast_ref::<SessionState>() else {
                    return plan_err!("feature_view needs a DataFusion session to run its query");
                };
                let mut builder = LogicalPlanBuilder::from(plan.clone());
                if let Some(indices) = projection {
                    let columns = indices
                        .iter()
                        .map(|&i| Expr::Column(Column::from(plan.schema().qualified_field(i))))
                        .collect::<Vec<_>>();
                    builder = builder.project(columns)?;
                }
                if let Some(limit) = limit {
                    builder = builder.limit(0, Some(limit))?;
                }
                state.create_physical_plan(&builder.build()?).await?
            }
        };
        match &self.key_check {
            Some(what)
                if self
                    .version
                    .keys
                    .iter()
                    .all(|k| plan.schema().index_of(k).is_ok()) =>
            {
                Ok(Arc::new(KeyCheckExec::new(
                    plan,
                    what.clone(),
                    self.version.keys.clone(),
                )))
            }
            _ => Ok(plan),
        }
    }
}
