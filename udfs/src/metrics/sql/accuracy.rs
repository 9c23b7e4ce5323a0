//! `accuracy_score(pred, label [, threshold])`: the share of rows classified correctly.

use std::sync::LazyLock;

use datafusion::logical_expr::Documentation;

use super::DOC_SECTION_METRICS;
use super::confusion_aggregate::ConfusionAggregate;
use super::confusion_metric::ConfusionScore;

static DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_METRICS,
        "The share of rows whose prediction matches their label, `(tp + tn) / n`. A row is predicted positive when `pred >= threshold`; \
         rows where `pred` or `label` is NULL are skipped; an empty group gives NULL.",
        "accuracy_score(pred, label [, threshold])",
    )
    .with_sql_example(
        "```sql
> SELECT accuracy_score(pred, label) FROM (VALUES (0.9, 1), (0.7, 0), (0.4, 1), (0.2, 0)) AS t(pred, label);
+--------------------------------+
| accuracy_score(t.pred,t.label) |
+--------------------------------+
| 0.5                            |
+--------------------------------+
```",
    )
    .with_argument("pred", "A 0/1 prediction or a score (numeric or boolean).")
    .with_argument("label", "The true class, 0 or 1 (numeric or boolean); any other value is an error.")
    .with_argument("threshold", "Optional constant; `pred >= threshold` is a positive prediction. Default 0.5.")
    .with_related_udf("precision_score")
    .with_related_udf("recall_score")
    .with_related_udf("f1_score")
    .build()
});

/// `accuracy_score(pred, label [, threshold])`: the share of rows classified correctly.
///
/// The share of rows whose prediction matches their label, `(tp + tn) / n`.
pub fn accuracy_score() -> ConfusionAggregate {
    ConfusionAggregate::new("accuracy_score", ConfusionScore::Accuracy, &DOC)
}
