//! `churn_labels(orders, entity_col, ts_col, window_start, cutoff, horizon_end)`:
//! the churn label of every entity active in the observation window.
//!
//! An entity with at least one event in `[window_start, cutoff]` is in the
//! population; it is churned (1) when it has no event in `(cutoff, horizon_end]`,
//! active (0) otherwise. Entities with no event in the window get no label.
//! Timestamps are compared as dates. Output: the entity column and `is_churned`
//! (INT), in no particular order (as with any table, add ORDER BY).

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::catalog::view::ViewTable;
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Column, Result, ScalarValue, plan_err};
use datafusion::datasource::{TableProvider, provider_as_source};
use datafusion::functions_aggregate::expr_fn::sum;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, cast, lit, when};

use crate::functions::args::Signature;
use crate::query::lookup::{find_column, resolve_table};

const SIGNATURE: Signature = Signature {
    name: "churn_labels",
    params: &[
        "orders_table VARCHAR",
        "entity_column VARCHAR",
        "timestamp_column VARCHAR",
        "window_start DATE",
        "cutoff DATE",
        "horizon_end DATE",
    ],
};

/// The `churn_labels` table function.
#[derive(Debug, Default)]
pub struct ChurnLabels;

impl ChurnLabels {
    /// The function.
    pub fn new() -> Self {
        Self
    }
}

fn date(days: i32) -> Expr {
    lit(ScalarValue::Date32(Some(days)))
}

impl TableFunctionImpl for ChurnLabels {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        SIGNATURE.check_count(exprs)?;
        let table_name = SIGNATURE.string(exprs, 0)?;
        let entity_name = SIGNATURE.string(exprs, 1)?;
        let ts_name = SIGNATURE.string(exprs, 2)?;
        let window_start = SIGNATURE.date(exprs, 3)?;
        let cutoff = SIGNATURE.date(exprs, 4)?;
        let horizon_end = SIGNATURE.date(exprs, 5)?;
        if !(window_start <= cutoff && cutoff < horizon_end) {
            return plan_err!(
                "churn_labels needs window_start <= cutoff < horizon_end, got {}, {}, {}",
                ScalarValue::Date32(Some(window_start)),
                ScalarValue::Date32(Some(cutoff)),
                ScalarValue::Date32(Some(horizon_end))
            );
        }

        let (reference, table) = resolve_table(args.session(), &table_name, SIGNATURE.name)?;
        let schema = table.schema();
        let entity = find_column(&schema, &entity_name, &table_name, SIGNATURE.name)?;
        let ts_field = find_column(&schema, &ts_name, &table_name, SIGNATURE.name)?;
        let ts_column = Expr::Column(Column::new_unqualified(ts_field.name()));
        let ts = match ts_field.data_type() {
            DataType::Date32 => ts_column,
            DataType::Date64
            | DataType::Timestamp(_, _)
            | DataType::Utf8
            | DataType::Utf8View
            | DataType::LargeUtf8 => cast(ts_column, DataType::Date32),
            other => {
                return plan_err!(
                    "churn_labels: timestamp column '{}' of '{table_name}' is {other}; expected a DATE, TIMESTAMP or ISO-date string",
                    ts_field.name()
                );
            }
        };
        let entity_column = Expr::Column(Column::new_unqualified(entity.name()));
        let in_window = ts
            .clone()
            .gt_eq(date(window_start))
            .and(ts.clone().lt_eq(date(cutoff)));
        let in_horizon = ts
            .clone()
            .gt(date(cutoff))
            .and(ts.clone().lt_eq(date(horizon_end)));
        let window_orders = Expr::Column(Column::new_unqualified("window_events"));
        let horizon_orders = Expr::Column(Column::new_unqualified("horizon_events"));

        let plan = LogicalPlanBuilder::scan(reference, provider_as_source(table), None)?
            .filter(
                ts.clone()
                    .gt_eq(date(window_start))
                    .and(ts.lt_eq(date(horizon_end))),
            )?
            .aggregate(
                vec![entity_column.clone()],
                vec![
                    sum(when(in_window, lit(1i64)).otherwise(lit(0i64))?).alias("window_events"),
                    sum(when(in_horizon, lit(1i64)).otherwise(lit(0i64))?).alias("horizon_events"),
                ],
            )?
            .filter(window_orders.gt(lit(0i64)))?
            .project(vec![
                entity_column,
                when(horizon_orders.eq(lit(0i64)), lit(1i32))
                    .otherwise(lit(0i32))?
                    .alias("is_churned"),
            ])?
            .build()?;
        Ok(Arc::new(ViewTable::new(plan, None)))
    }
}
