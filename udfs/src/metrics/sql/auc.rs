//! `auc(score, label)`: area under the ROC curve.

use std::sync::LazyLock;

use datafusion::logical_expr::Documentation;

use super::DOC_SECTION_METRICS;
use super::ranking_acc::RankingScore;
use super::ranking_aggregate::RankingAggregate;

static DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_METRICS,
        "Area under the ROC curve (ROC-AUC), tie-aware (trapezoids over distinct scores, as scikit-learn's `roc_auc_score`); NULL when the group lacks either class. Rows where `score` or `label` is NULL are skipped. \
         The group's scores are collected and sorted, so memory grows with the group size.",
        "auc(score, label)",
    )
    .with_sql_example(
        "```sql
> SELECT auc(score, label) FROM (VALUES (0.1, 0), (0.4, 0), (0.35, 1), (0.8, 1)) AS t(score, label);
+----------------------+
| auc(t.score,t.label) |
+----------------------+
| 0.75                 |
+----------------------+
```",
    )
    .with_argument("score", "A score or probability where higher means more likely positive (numeric or boolean); NaN is an error.")
    .with_argument("label", "The true class, 0 or 1 (numeric or boolean); any other value is an error.")
    .with_related_udf("pr_auc")
    .build()
});

/// `auc(score, label)`: area under the ROC curve.
///
/// Area under the ROC curve (ROC-AUC), tie-aware (trapezoids over distinct scores, as scikit-learn's `roc_auc_score`); NULL when the group lacks either class.
pub fn auc() -> RankingAggregate {
    RankingAggregate::new("auc", RankingScore::RocAuc, &DOC)
}
