//! `KeyCheckExec`: passes a feature view's rows through unchanged, failing at
//! the first NULL or repeated key (see [`KeyChecker`]). `training_set` puts it
//! over a live view it joins by key, whose rows were unique when the view was
//! created but need not be now.

use std::fmt;
use std::sync::Arc;

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, internal_err};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, Distribution, ExecutionPlan, ExecutionPlanProperties,
    InputDistributionRequirements, Partitioning, PlanProperties,
};

use crate::feature_store::unique::KeyChecker;

/// Checks the keys of the rows going through (one partition).
pub struct KeyCheckExec {
    input: Arc<dyn ExecutionPlan>,
    what: String,
    keys: Vec<String>,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for KeyCheckExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyCheckExec({})", self.what)
    }
}

impl KeyCheckExec {
    /// Checks columns `keys` of `input`'s rows; errors start with `what`.
    pub fn new(input: Arc<dyn ExecutionPlan>, what: String, keys: Vec<String>) -> Self {
        let properties = PlanProperties::new(
            input.equivalence_properties().clone(),
            Partitioning::UnknownPartitioning(1),
            input.pipeline_behavior(),
            input.boundedness(),
        );
        Self {
            input,
            what,
            keys,
            properties: Arc::new(properties),
        }
    }

    /// What errors start with.
    pub fn what(&self) -> &str {
        &self.what
    }

    /// The key columns checked.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }
}

impl DisplayAs for KeyCheckExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyCheckExec: keys=[{}]", self.keys.join(", "))
    }
}

impl ExecutionPlan for KeyCheckExec {
    fn name(&self) -> &str {
        "KeyCheckExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn input_distribution_requirements(&self) -> InputDistributionRequirements {
        // One set of seen keys: all rows through one partition.
        InputDistributionRequirements::new(vec![Distribution::SinglePartition])
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match children.as_slice() {
            [input] => Ok(Arc::new(KeyCheckExec::new(
                Arc::clone(input),
                self.what.clone(),
                self.keys.clone(),
            ))),
            _ => internal_err!("KeyCheckExec takes one input"),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return internal_err!("KeyCheckExec has one partition, asked for {partition}");
        }
        let checker = Arc::new(KeyChecker::new(
            self.what.clone(),
            &self.input.schema(),
            &self.keys,
            None,
        )?);
        Ok(checker.watch(self.input.execute(0, context)?))
    }
}
