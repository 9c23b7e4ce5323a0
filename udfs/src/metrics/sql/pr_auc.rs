//! `pr_auc(score, label)`: average precision, the area under the precision-recall curve.

use std::sync::LazyLock;

use datafusion::logical_expr::Documentation;

use super::DOC_SECTION_METRICS;
use super::ranking_acc::RankingScore;
use super::ranking_aggregate::RankingAggregate;

static DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_METRICS,
        "Average precision, `Σ (Rₖ − Rₖ₋₁)·Pₖ` over distinct scores in descending order (scikit-learn's `average_precision_score`, no interpolation); NULL when the group has no positive label. Rows where `score` or `label` is NULL are skipped. \
         The group's scores are collected and sorted, so memory grows with the group size.",
        "pr_auc(score, label)",
    )
    .with_sql_example(
        "```sql
> SELECT pr_auc(score, label) FROM (VALUES (0.1, 0), (0.4, 0), (0.35, 1), (0.8, 1)) AS t(score, label);
+-------------------------+
| pr_auc(t.score,t.label) |
+-------------------------+
| 0.8333333333333333      |
+-------------------------+
```",
    )
    .with_argument("score", "A score or probability where higher means more likely positive (numeric or boolean); NaN is an error.")
    .with_argument("label", "The true class, 0 or 1 (numeric or boolean); any other value is an error.")
    .with_related_udf("auc")
    .build()
});

/// `pr_auc(score, label)`: average precision, the area under the precision-recall curve.
///
/// Average precision, `Σ (Rₖ − Rₖ₋₁)·Pₖ` over distinct scores in descending order (scikit-learn's `average_precision_score`, no interpolation); NULL when the group has no positive label.
pub fn pr_auc() -> RankingAggregate {
    RankingAggregate::new("pr_auc", RankingScore::AveragePrecision, &DOC)
}
