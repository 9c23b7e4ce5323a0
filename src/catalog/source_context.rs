//! An execution-plan wrapper that names the source of a scan in its errors, so a
//! malformed CSV row reports the file as well as the line and column.

use std::fmt;
use std::sync::Arc;

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result, internal_err};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::StreamExt;

/// Passes its input through unchanged, prefixing any error with where it came from.
#[derive(Debug)]
pub struct SourceContextExec {
    input: Arc<dyn ExecutionPlan>,
    context: String,
}

impl SourceContextExec {
    /// Wraps `input`; errors read "`context`: <error>".
    pub fn new(input: Arc<dyn ExecutionPlan>, context: String) -> Self {
        Self { input, context }
    }

    /// What errors are prefixed with.
    pub fn context(&self) -> &str {
        &self.context
    }
}

impl DisplayAs for SourceContextExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceContextExec: {}", self.context)
    }
}

impl ExecutionPlan for SourceContextExec {
    fn name(&self) -> &str {
        "SourceContextExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
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

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match <[_; 1]>::try_from(children) {
            Ok([input]) => Ok(Arc::new(Self::new(input, self.context.clone()))),
            Err(children) => {
                internal_err!("SourceContextExec takes one child, got {}", children.len())
            }
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let what = self.context.clone();
        let stream = self
            .input
            .execute(partition, context)
            .map_err(|e| DataFusionError::Context(what.clone(), Box::new(e)))?;
        let schema = stream.schema();
        let mapped = stream.map(move |batch| {
            batch.map_err(|e| DataFusionError::Context(what.clone(), Box::new(e)))
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, mapped)))
    }
}
