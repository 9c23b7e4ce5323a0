//! `f1_score(pred, label [, threshold])`: the harmonic mean of precision and recall.

use std::sync::LazyLock;

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, GroupsAccumulator, Signature, Volatility,
};

use super::confusion_metric::{ConfusionMetric, ConfusionScore};
use super::pairwise::{PairAccumulator, PairGroupsAccumulator, PairMetric};
use super::{DOC_SECTION_METRICS, coerce_args};

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
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct F1Score {
    signature: Signature,
}

impl Default for F1Score {
    fn default() -> Self {
        Self::new()
    }
}

impl F1Score {
    /// The `f1_score` aggregate.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    fn metric(&self, args: &AccumulatorArgs) -> Result<ConfusionMetric> {
        ConfusionMetric::new("f1_score", ConfusionScore::F1, args)
    }
}

impl AggregateUDFImpl for F1Score {
    fn name(&self) -> &str {
        "f1_score"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_args(
            self.name(),
            &["pred", "label"],
            Some("threshold"),
            arg_types,
        )
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(PairAccumulator::try_new(
            self.metric(&args)?,
            &args,
        )?))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(ConfusionMetric::state_fields(args.name))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(PairGroupsAccumulator::try_new(
            self.metric(&args)?,
            &args,
        )?))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOC)
    }
}
