//! `pr_auc(score, label)`: average precision, the area under the precision-recall curve.

use std::sync::LazyLock;

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Signature, Volatility,
};

use super::ranking_acc::{RankingAccumulator, RankingScore, state_fields};
use super::{DOC_SECTION_METRICS, coerce_args};

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
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PrAuc {
    signature: Signature,
}

impl Default for PrAuc {
    fn default() -> Self {
        Self::new()
    }
}

impl PrAuc {
    /// The `pr_auc` aggregate.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for PrAuc {
    fn name(&self) -> &str {
        "pr_auc"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_args(self.name(), &["score", "label"], None, arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(RankingAccumulator::try_new(
            "pr_auc",
            RankingScore::AveragePrecision,
            &args,
        )?))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(state_fields(args.name))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOC)
    }
}
