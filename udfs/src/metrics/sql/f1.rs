//! `f1_score(pred, label [, threshold])`: the harmonic mean of precision and recall.

use std::sync::LazyLock;

use datafusion::logical_expr::Documentation;

use super::DOC_SECTION_METRICS;
use super::confusion_aggregate::ConfusionAggregate;
use super::confusion_metric::ConfusionScore;

static DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_METRICS,
        "F1, `2·tp / (2·tp + fp + fn)`; 0 when there is no positive label and no positive prediction (scikit-learn's `zero_division=0`). A row is predicted positive when `pred >= threshold`; \
         rows where `pred` or `label` is NULL are skipped; an empty group gives NULL.",
        "f1_score(pred, label [, threshold])",
    )
    .with_sql_example(
        "```sql
> SELECT f1_score(pred, label) FROM (VALUES (0.9, 1), (0.7, 0), (0.4, 1), (0.2, 0)) AS t(pred, label);
+--------------------------+
| f1_score(t.pred,t.label) |
+--------------------------+
| 0.5                      |
+--------------------------+
```",
    )
    .with_argument("pred", "A 0/1 prediction or a score (numeric or boolean).")
    .with_argument("label", "The true class, 0 or 1 (numeric or boolean); any other value is an error.")
    .with_argument("threshold", "Optional constant; `pred >= threshold` is a positive prediction. Default 0.5.")
    .with_related_udf("precision_score")
    .with_related_udf("recall_score")
    .build()
});

/// `f1_score(pred, label [, threshold])`: the harmonic mean of precision and recall.
///
/// F1, `2·tp / (2·tp + fp + fn)`; 0 when there is no positive label and no positive prediction (scikit-learn's `zero_division=0`).
pub fn f1_score() -> ConfusionAggregate {
    ConfusionAggregate::new("f1_score", ConfusionScore::F1, &DOC)
}
