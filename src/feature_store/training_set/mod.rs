//! Training sets — what `training_set(spine, 'view:version', …, ['option=value', …])`
//! returns: the spine's rows, each with the features of one or more feature views.
//!
//! The spine is a table name or a query; it holds the entity keys, optionally
//! an event time, and the labels. A view without `TIMESTAMP` joins on the keys
//! alone. A view with one joins point-in-time: each spine row gets the latest
//! feature row whose timestamp is at or before the spine's event time (a
//! spine column named like the view's `TIMESTAMP`, or `spine_timestamp=col`),
//! no older than `lookback` if given. A spine row without a match keeps NULL
//! features unless `fill` (numbers) / `fill_text` (text) say otherwise.
//!
//! Columns: the keys, the spine's event time, the features (view by view; with
//! `prefix=true` named `<view>__<feature>`; with `feature_timestamps=true`
//! followed by `<view>__feature_timestamp`), then the rest of the spine (labels).
//! A name clash is an error. Rows come in no particular order (as from any
//! table; a point-in-time join sorts by key and time within each partition).
//!
//! Views without `TIMESTAMP` join by key as logical LEFT JOINs, which DataFusion
//! plans as parallel hash joins (a live view's keys are checked for repeats as
//! they are read). Views with one join point in time in Firn's own sort-merge
//! operator ([`merge_exec`]): DataFusion 55's SQL planner rejects `ASOF JOIN`,
//! and a merge over sorted inputs never holds a whole side in memory. Before it
//! sorts, a view's side is cut to the rows the spine's event times can pick
//! ([`time_window`]): those up to its latest time, and within the lookback of
//! its earliest.

pub mod merge_exec;
mod merger;
pub mod options;
pub mod resolve;
mod time_window;
pub mod times;

use std::borrow::Cow;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::{Result, plan_err};
use datafusion::datasource::TableProvider;
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::{Expr, LogicalPlan, TableType};
use datafusion::physical_expr::expressions::Column as ColumnExpr;
use datafusion::physical_expr::projection::ProjectionExpr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::projection::ProjectionExec;

use crate::feature_store::ViewRef;
use crate::feature_store::lineage::TrainingSetInfo;
use merge_exec::FeatureJoinExec;
use resolve::{FeatureGroup, JoinPlan};

/// A training set as a table: planned at call time, joined when scanned.
#[derive(Debug)]
pub struct TrainingSetTable {
    plan: JoinPlan,
}

impl TrainingSetTable {
    /// The table of a resolved call.
    pub fn new(plan: JoinPlan) -> Self {
        Self { plan }
    }

    /// The feature views it joins.
    pub fn views(&self) -> &[ViewRef] {
        &self.plan.views
    }

    /// Its keys, spine time and features.
    pub fn info(&self) -> TrainingSetInfo {
        self.plan.info.clone()
    }

    /// What each view adds.
    pub fn groups(&self) -> &[FeatureGroup] {
        &self.plan.groups
    }

    /// The physical plan of all rows and columns.
    pub async fn physical_plan(&self, state: &SessionState) -> Result<Arc<dyn ExecutionPlan>> {
        let rights =
            time_window::restrict_to_spine_times(state, &self.plan.spine, &self.plan.joins).await?;
        let mut left = state.create_physical_plan(&self.plan.base).await?;
        for (right, (_, spec)) in rights.iter().zip(&self.plan.joins) {
            let right = state.create_physical_plan(right).await?;
            left = Arc::new(FeatureJoinExec::try_new(left, right, spec.clone())?);
        }
        Ok(left)
    }
}

#[async_trait]
impl TableProvider for TrainingSetTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.plan.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    fn get_logical_plan(&'_ self) -> Option<Cow<'_, LogicalPlan>> {
        None
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(state) = state.as_any().downcast_ref::<SessionState>() else {
            return plan_err!("training_set needs a DataFusion session to plan its inputs");
        };
        let joined = self.physical_plan(state).await?;
        let joined_schema = joined.schema();
        let wanted: Vec<usize> = match projection {
            Some(indices) => indices.iter().map(|&i| self.plan.output[i]).collect(),
            None => self.plan.output.clone(),
        };
        let exprs = wanted.iter().map(|&i| {
            let name = joined_schema.field(i).name().clone();
            ProjectionExpr {
                expr: Arc::new(ColumnExpr::new(&name, i)),
                alias: name,
            }
        });
        Ok(Arc::new(ProjectionExec::try_new(exprs, joined)?))
    }
}
