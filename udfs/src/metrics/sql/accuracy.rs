//! `accuracy_score(pred, label [, threshold])`: the share of rows classified correctly.

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
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AccuracyScore {
    signature: Signature,
}

impl Default for AccuracyScore {
    fn default() -> Self {
        Self::new()
    }
}

impl AccuracyScore {
    /// The `accuracy_score` aggregate.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    fn metric(&self, args: &AccumulatorArgs) -> Result<ConfusionMetric> {
        ConfusionMetric::new("accuracy_score", ConfusionScore::Accuracy, args)
    }
}

impl AggregateUDFImpl for AccuracyScore {
    fn name(&self) -> &str {
        "accuracy_score"
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
