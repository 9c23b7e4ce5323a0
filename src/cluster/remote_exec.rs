//! `RemoteExec`: the point where a Firn plan leaves the process. Its child is
//! a finished physical plan; executing it submits that plan to a Ballista
//! scheduler (`execute_physical_plan`), which splits it into stages for the
//! executors, and streams the result back. `EXPLAIN` shows it, so the cut
//! between what runs here and what runs on the cluster is visible.

use std::fmt;
use std::sync::Arc;

use ballista_core::execution_plans::execute_physical_plan;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result, internal_err};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::{LexOrdering, OrderingRequirements};
use datafusion::physical_plan::execution_plan::CardinalityEffect;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, Distribution, ExecutionPlan, ExecutionPlanProperties,
    InputDistributionRequirements, PlanProperties,
};
use datafusion_proto::protobuf::PhysicalPlanNode;
use futures::TryStreamExt;

use ballista_core::extension::SessionConfigExt;

use crate::cluster::codec::FirnPhysicalCodec;
use crate::cluster::target::ClusterTarget;

/// Runs its child on a cluster (one output partition; see the module docs).
#[derive(Debug)]
pub struct RemoteExec {
    plan: Arc<dyn ExecutionPlan>,
    target: Arc<ClusterTarget>,
    /// The order the plan's rows come in, which the node above may rely on.
    ordering: Option<LexOrdering>,
}

impl RemoteExec {
    /// Runs `plan` (which must have one output partition) on `target`.
    pub(crate) fn new(plan: Arc<dyn ExecutionPlan>, target: Arc<ClusterTarget>) -> Self {
        let ordering = plan.output_ordering().cloned();
        Self {
            plan,
            target,
            ordering,
        }
    }

    /// The plan it runs on the cluster.
    pub(crate) fn plan(&self) -> &Arc<dyn ExecutionPlan> {
        &self.plan
    }
}

impl DisplayAs for RemoteExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RemoteExec: cluster={}", self.target)
    }
}

impl ExecutionPlan for RemoteExec {
    fn name(&self) -> &str {
        "RemoteExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.plan.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.plan]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    // The plan is sent as one partition in its order; saying so keeps the
    // physical optimizer of an enclosing query from taking out the merge that
    // makes it one (a table function's input is planned before its caller).
    fn input_distribution_requirements(&self) -> InputDistributionRequirements {
        InputDistributionRequirements::new(vec![Distribution::SinglePartition])
    }

    fn required_input_ordering(&self) -> Vec<Option<OrderingRequirements>> {
        vec![self.ordering.clone().map(OrderingRequirements::from)]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn cardinality_effect(&self) -> CardinalityEffect {
        CardinalityEffect::Equal
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match <[_; 1]>::try_from(children) {
            Ok([plan]) => Ok(Arc::new(Self {
                plan,
                target: Arc::clone(&self.target),
                ordering: self.ordering.clone(),
            })),
            Err(children) => internal_err!("RemoteExec takes one child, got {}", children.len()),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return internal_err!("RemoteExec has one partition, asked for {partition}");
        }
        let plan = Arc::clone(&self.plan);
        let target = Arc::clone(&self.target);
        let schema = plan.schema();
        let submit = async move {
            let config = context.session_config().clone();
            execute_physical_plan::<PhysicalPlanNode>(
                target.scheduler_url(),
                &config.ballista_config(),
                plan,
                &FirnPhysicalCodec::default(),
                context.session_id(),
                config,
            )
            .await
            .map_err(|e| target.explain(e))
        };
        let target = Arc::clone(&self.target);
        let stream = futures::stream::once(submit)
            .try_flatten()
            .map_err(move |e| match e {
                DataFusionError::Context(..) => e,
                e => target.explain(e),
            });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}

impl ClusterTarget {
    /// An error from the cluster, saying which cluster.
    fn explain(&self, error: DataFusionError) -> DataFusionError {
        DataFusionError::Context(format!("on the cluster at {self}"), Box::new(error))
    }
}
