//! Where a query is cut between this process and the cluster. Firn plans the
//! whole query here, with its own catalog, table functions and statements;
//! then every largest subtree that can travel becomes a [`RemoteExec`]:
//!
//! - it reads files every node can read (a `file://` or `s3://` scan — a
//!   scan of an in-memory database stays here, and a plan that reads no
//!   file has nothing to distribute);
//! - it holds no node with side effects or local state: training, registry
//!   and tracking calls (`DeferredExec`), table writes (`DataSinkExec`, whose
//!   commit stays here while its input runs remotely);
//! - the codec can encode it (so whatever Firn has not taught it stays here).
//!
//! `EXPLAIN` shows the `RemoteExec` nodes, i.e. exactly what runs where.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::Result;
use datafusion::common::format::ExplainFormat;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::sink::DataSinkExec;
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::context::QueryPlanner;
use datafusion::logical_expr::{LogicalPlan, PlanType, StringifiedPlan, ToStringifiedPlan};
use datafusion::optimizer::OptimizerRule;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::displayable;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::explain::ExplainExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::{Distribution, ExecutionPlan, ExecutionPlanProperties};
use datafusion::physical_planner::{DefaultPhysicalPlanner, PhysicalPlanner};
use datafusion_proto::physical_plan::AsExecutionPlan;
use datafusion_proto::protobuf::PhysicalPlanNode;

use crate::cluster::codec::FirnPhysicalCodec;
use crate::cluster::remote_exec::RemoteExec;
use crate::cluster::target::ClusterTarget;
use crate::query::deferred::DeferredExec;

/// DataFusion's logical optimizer rules with Ballista's in front: it rewrites
/// `x NOT IN (subquery)` before DataFusion turns it into a null-aware anti
/// join, which Ballista can only run as a single task.
pub(crate) fn logical_rules() -> Vec<Arc<dyn OptimizerRule + Send + Sync>> {
    ballista_core::optimizer::ballista_default_optimizer_rules()
}

/// Plans as DataFusion does, then cuts the plan for the cluster (see the module docs).
#[derive(Debug)]
pub(crate) struct ClusterQueryPlanner {
    target: Arc<ClusterTarget>,
}

impl ClusterQueryPlanner {
    /// A planner sending work to `target`.
    pub(crate) fn new(target: Arc<ClusterTarget>) -> Self {
        Self { target }
    }
}

#[async_trait]
impl QueryPlanner for ClusterQueryPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session_state: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if let LogicalPlan::Explain(explain) = logical_plan
            && !explain.verbose
            && explain.logical_optimization_succeeded
            && matches!(explain.explain_format, ExplainFormat::Indent)
        {
            // DataFusion plans an EXPLAIN's query itself; plan it here so the
            // output shows the cut.
            let plan = self
                .create_physical_plan(&explain.plan, session_state)
                .await?;
            let mut plans = explain.stringified_plans.clone();
            plans.push(explain.plan.to_stringified(PlanType::FinalLogicalPlan));
            plans.push(StringifiedPlan::new(
                PlanType::FinalPhysicalPlan,
                displayable(plan.as_ref()).indent(false).to_string(),
            ));
            return Ok(Arc::new(ExplainExec::new(
                Arc::clone(explain.schema.inner()),
                plans,
                false,
            )));
        }
        let plan = DefaultPhysicalPlanner::default()
            .create_physical_plan(logical_plan, session_state)
            .await?;
        cut(plan, &self.target)
    }
}

/// Replaces every largest subtree of `plan` that can run on the cluster by a [`RemoteExec`].
pub(crate) fn cut(
    plan: Arc<dyn ExecutionPlan>,
    target: &Arc<ClusterTarget>,
) -> Result<Arc<dyn ExecutionPlan>> {
    // Table functions (feature views, training sets, `evaluate`) plan their
    // inputs while the query is planned, and those plans were cut already.
    // Joined again into one plan, the query may travel as a whole: undo the
    // inner cuts (each keeps the one ordered partition it promised) and cut once.
    let whole = plan
        .transform_up(|node| match node.downcast_ref::<RemoteExec>() {
            Some(remote) => Ok(Transformed::yes(Arc::clone(remote.plan()))),
            None => Ok(Transformed::no(node)),
        })?
        .data;
    cut_below(whole, target, true)
}

/// [`cut`], where `one_partition_will_do` says whether the node above takes
/// `plan`'s rows in any number of partitions. A [`RemoteExec`] returns one
/// partition, so a subtree with several replaces only an input its consumer
/// reads as one (a sink, a deferred function, the query's result, a merge);
/// elsewhere the cut goes further down, to subtrees that have one already.
fn cut_below(
    plan: Arc<dyn ExecutionPlan>,
    target: &Arc<ClusterTarget>,
    one_partition_will_do: bool,
) -> Result<Arc<dyn ExecutionPlan>> {
    let single = plan.output_partitioning().partition_count() <= 1;
    if (single || one_partition_will_do) && can_travel(&plan) {
        return Ok(remote(plan, target));
    }
    let children: Vec<Arc<dyn ExecutionPlan>> = plan.children().into_iter().cloned().collect();
    if children.is_empty() {
        return Ok(plan);
    }
    let takes_any = plan.is::<DeferredExec>() || plan.is::<DataSinkExec>();
    let requirements = plan.input_distribution_requirements();
    let children = children
        .into_iter()
        .enumerate()
        .map(|(i, child)| {
            let one_will_do = takes_any
                || matches!(
                    requirements.child_distribution(i),
                    Some(Distribution::SinglePartition)
                );
            cut_below(child, target, one_will_do)
        })
        .collect::<Result<Vec<_>>>()?;
    replace_children_if_necessary(plan, children)
}

/// Whether the subtree `plan` may run on the cluster, and is worth sending.
fn can_travel(plan: &Arc<dyn ExecutionPlan>) -> bool {
    let mut reads_shared_files = false;
    if !all_nodes_may_travel(plan, &mut reads_shared_files) || !reads_shared_files {
        return false;
    }
    PhysicalPlanNode::try_from_physical_plan(Arc::clone(plan), &FirnPhysicalCodec::default())
        .is_ok()
}

/// Walks the subtree: `false` at the first node that must stay here; notes
/// whether any scan reads files every node can read.
fn all_nodes_may_travel(plan: &Arc<dyn ExecutionPlan>, reads_shared_files: &mut bool) -> bool {
    if plan.is::<DeferredExec>() || plan.is::<DataSinkExec>() || plan.is::<RemoteExec>() {
        return false;
    }
    if let Some(scan) = plan.downcast_ref::<DataSourceExec>()
        && let Some(files) = scan.data_source().downcast_ref::<FileScanConfig>()
    {
        let url = files.object_store_url.as_str();
        if url.starts_with("file://") || url.starts_with("s3://") {
            *reads_shared_files = true;
        } else {
            // An in-memory store exists in this process only.
            return false;
        }
    }
    plan.children()
        .into_iter()
        .all(|child| all_nodes_may_travel(child, reads_shared_files))
}

/// `plan` as one partition (merged in order if it is ordered), run on `target`.
fn remote(plan: Arc<dyn ExecutionPlan>, target: &Arc<ClusterTarget>) -> Arc<dyn ExecutionPlan> {
    let single: Arc<dyn ExecutionPlan> = if plan.output_partitioning().partition_count() <= 1 {
        plan
    } else if let Some(ordering) = plan.output_ordering().cloned() {
        Arc::new(SortPreservingMergeExec::new(ordering, plan))
    } else {
        Arc::new(CoalescePartitionsExec::new(plan))
    };
    Arc::new(RemoteExec::new(single, Arc::clone(target)))
}
