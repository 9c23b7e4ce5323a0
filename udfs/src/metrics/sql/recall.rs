//! `recall_score(pred, label [, threshold])`: the share of positive labels that are found.

use std::sync::LazyLock;

use datafusion::logical_expr::Documentation;

use super::DOC_SECTION_METRICS;
use super::confusion_aggregate::ConfusionAggregate;
use super::confusion_metric::ConfusionScore;

static DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_METRICS,
        "Recall (true-positive rate), `tp / (tp + fn)`; 0 when the group has no positive label (scikit-learn's `zero_division=0`). A row is predicted positive when `pred >= threshold`; \
         rows where `pred` or `label` is NULL are skipped; an empty group gives NULL.",
        "recall_score(pred, label [, threshold])",
    )
    .with_sql_example(
        "```sql
> SELECT recall_score(pred, label) FROM (VALUES (0.9, 1), (0.7, 0), (0.4, 1), (0.2, 0)) AS t(pred, label);
+------------------------------+
| recall_score(t.pred,t.label) |
+------------------------------+
| 0.5                          |
+------------------------------+
```",
    )
    .with_argument("pred", "A 0/1 prediction or a score (numeric or boolean).")
    .with_argument("label", "The true class, 0 or 1 (numeric or boolean); any other value is an error.")
    .with_argument("threshold", "Optional constant; `pred >= threshold` is a positive prediction. Default 0.5.")
    .with_related_udf("precision_score")
    .with_related_udf("f1_score")
    .build()
});

/// `recall_score(pred, label [, threshold])`: the share of positive labels that are found.
///
/// Recall (true-positive rate), `tp / (tp + fn)`; 0 when the group has no positive label (scikit-learn's `zero_division=0`).
pub fn recall_score() -> ConfusionAggregate {
    ConfusionAggregate::new("recall_score", ConfusionScore::Recall, &DOC)
}
