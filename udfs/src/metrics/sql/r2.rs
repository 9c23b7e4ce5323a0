//! `r2_score(pred, actual)`: the coefficient of determination R².

use std::sync::LazyLock;

use datafusion::logical_expr::Documentation;

use super::DOC_SECTION_METRICS;
use super::regression_aggregate::RegressionAggregate;
use super::regression_metric::RegressionScore;

static DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_METRICS,
        "R², `1 - SS_res / SS_tot`, as scikit-learn's `r2_score`: NULL for fewer than two rows; when every actual value is equal, 1 for perfect predictions and 0 otherwise. NaN or infinite inputs are errors. Rows where `pred` or `actual` is NULL are skipped.",
        "r2_score(pred, actual)",
    )
    .with_sql_example(
        "```sql
> SELECT r2_score(pred, actual) FROM (VALUES (2.5, 3.0), (0.0, -0.5), (2.0, 2.0), (8.0, 7.0)) AS t(pred, actual);
+---------------------------+
| r2_score(t.pred,t.actual) |
+---------------------------+
| 0.9486081370449679        |
+---------------------------+
```",
    )
    .with_argument("pred", "The predicted value (numeric).")
    .with_argument("actual", "The actual value (numeric).")
    .with_related_udf("rmse")
    .build()
});

/// `r2_score(pred, actual)`: the coefficient of determination R².
///
/// R², `1 - SS_res / SS_tot`, as scikit-learn's `r2_score`: NULL for fewer than two rows; when every actual value is equal, 1 for perfect predictions and 0 otherwise. NaN or infinite inputs are errors.
pub fn r2_score() -> RegressionAggregate {
    RegressionAggregate::new("r2_score", RegressionScore::R2, &DOC)
}
