//! Which feature rows a point-in-time join can use: none later than the
//! spine's latest event time, and, with a lookback, none older than the
//! spine's earliest event time less the lookback. The view's side is filtered
//! to that window before it is sorted for the merge.
//!
//! Monthly snapshots of two years joined to a spine of two dates with a
//! 92-day lookback: seven of the 25 snapshots can be picked, so the sort
//! works on under a third of the rows. The rows left out could never be
//! picked (see the rule in the `merge_exec` module docs), so the training set
//! is the same; only the merge's duplicate check no longer looks at them.
//!
//! The window costs one aggregate over the spine (`min` and `max` of its event
//! times), which DataFusion often answers from a table's statistics. Bounds
//! that cannot be told exactly in the view's time type are left out (see
//! [`first_at_or_after`]), so a filter only ever drops rows.

use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::common::{Column, Result};
use datafusion::execution::session_state::SessionState;
use datafusion::functions_aggregate::expr_fn::{max, min};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, lit};
use datafusion::physical_plan::collect;

use super::merge_exec::JoinSpec;
use super::times::{first_at_or_after, last_at_or_before, to_micros};

/// The earliest and latest event time of the spine, in µs (NULL times aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SpineTimes {
    first: i64,
    last: i64,
}

/// Each as-of join's view side, filtered to the rows it can use; other joins' as given.
pub(super) async fn restrict_to_spine_times(
    state: &SessionState,
    spine: &LogicalPlan,
    joins: &[(LogicalPlan, JoinSpec)],
) -> Result<Vec<LogicalPlan>> {
    let mut columns: Vec<usize> = joins
        .iter()
        .filter(|(_, spec)| spec.is_as_of())
        .filter_map(|(_, spec)| spec.left_time)
        .collect();
    columns.sort_unstable();
    columns.dedup();
    if columns.is_empty() {
        return Ok(joins.iter().map(|(right, _)| right.clone()).collect());
    }
    let times = spine_times(state, spine, &columns).await?;
    joins
        .iter()
        .map(|(right, spec)| {
            let window = spec
                .left_time
                .filter(|_| spec.is_as_of())
                .and_then(|i| columns.iter().position(|&c| c == i))
                .and_then(|k| times[k]);
            match (window, spec.right_time) {
                (Some(window), Some(right_time)) => {
                    restrict(right, right_time, window, spec.lookback_micros)
                }
                _ => Ok(right.clone()),
            }
        })
        .collect()
}

/// `min` and `max` of each of the spine's `columns`, `None` where every value is NULL.
async fn spine_times(
    state: &SessionState,
    spine: &LogicalPlan,
    columns: &[usize],
) -> Result<Vec<Option<SpineTimes>>> {
    let schema = spine.schema();
    let mut aggregates = Vec::with_capacity(columns.len() * 2);
    for (k, &i) in columns.iter().enumerate() {
        let column = Expr::Column(Column::from(schema.qualified_field(i)));
        aggregates.push(min(column.clone()).alias(format!("__firn_first{k}")));
        aggregates.push(max(column).alias(format!("__firn_last{k}")));
    }
    let plan = LogicalPlanBuilder::from(spine.clone())
        .aggregate(Vec::<Expr>::new(), aggregates)?
        .build()?;
    let physical = state.create_physical_plan(&plan).await?;
    let batches = collect(physical, state.task_ctx()).await?;
    Ok((0..columns.len())
        .map(|k| read_times(&batches, 2 * k))
        .collect())
}

/// The first and last time in columns `at` and `at + 1` of the aggregate's one row.
fn read_times(batches: &[RecordBatch], at: usize) -> Option<SpineTimes> {
    let batch = batches.iter().find(|b| b.num_rows() > 0)?;
    let first = to_micros(batch.column(at)).ok()?;
    let last = to_micros(batch.column(at + 1)).ok()?;
    (!first.is_null(0) && !last.is_null(0)).then(|| SpineTimes {
        first: first.value(0),
        last: last.value(0),
    })
}

/// `right` with only the rows whose time (column `right_time`) falls in the window.
fn restrict(
    right: &LogicalPlan,
    right_time: usize,
    times: SpineTimes,
    lookback_micros: Option<i64>,
) -> Result<LogicalPlan> {
    let (qualifier, field) = right.schema().qualified_field(right_time);
    let column = Expr::Column(Column::from((qualifier, field)));
    let data_type = field.data_type();
    let lower = lookback_micros
        .and_then(|lookback| times.first.checked_sub(lookback))
        .and_then(|oldest| first_at_or_after(oldest, data_type))
        .map(|bound| column.clone().gt_eq(lit(bound)));
    let upper = last_at_or_before(times.last, data_type).map(|bound| column.lt_eq(lit(bound)));
    let Some(filter) = [lower, upper].into_iter().flatten().reduce(Expr::and) else {
        return Ok(right.clone());
    };
    LogicalPlanBuilder::from(right.clone())
        .filter(filter)?
        .build()
}
