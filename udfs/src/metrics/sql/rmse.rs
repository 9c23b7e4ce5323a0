//! `rmse(pred, actual)`: root mean squared error.

use std::sync::LazyLock;

use datafusion::logical_expr::Documentation;

use super::DOC_SECTION_METRICS;
use super::regression_aggregate::RegressionAggregate;
use super::regression_metric::RegressionScore;

static DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_METRICS,
        "Root mean squared error, `sqrt(mean((pred - actual)²))`; NULL for an empty group; NaN or infinite inputs are errors. Rows where `pred` or `actual` is NULL are skipped.",
        "rmse(pred, actual)",
    )
    .with_sql_example(
        "```sql
> SELECT rmse(pred, actual) FROM (VALUES (2.5, 3.0), (0.0, -0.5), (2.0, 2.0), (8.0, 7.0)) AS t(pred, actual);
+-----------------------+
| rmse(t.pred,t.actual) |
+-----------------------+
| 0.6123724356957945    |
+-----------------------+
```",
    )
    .with_argument("pred", "The predicted value (numeric).")
    .with_argument("actual", "The actual value (numeric).")
    .with_related_udf("r2_score")
    .build()
});

/// `rmse(pred, actual)`: root mean squared error.
///
/// Root mean squared error, `sqrt(mean((pred - actual)²))`; NULL for an empty group; NaN or infinite inputs are errors.
pub fn rmse() -> RegressionAggregate {
    RegressionAggregate::new("rmse", RegressionScore::Rmse, &DOC)
}
