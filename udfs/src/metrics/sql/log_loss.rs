//! `log_loss(prob, label)`: mean binary cross-entropy.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, Float64Array, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::cast::{as_float64_array, as_uint64_array};
use datafusion::common::{Result, internal_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, GroupsAccumulator, Signature, Volatility,
};

use super::pairwise::{PairAccumulator, PairGroupsAccumulator, PairMetric};
use super::{DOC_SECTION_METRICS, coerce_args};
use crate::metrics::logloss::row_log_loss;

static DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_METRICS,
        "Mean binary log loss, `-mean(label·ln(prob) + (1 - label)·ln(1 - prob))`, with `prob` \
         clipped to [1e-15, 1 - 1e-15]. Rows where `prob` or `label` is NULL are skipped; \
         an empty group gives NULL.",
        "log_loss(prob, label)",
    )
    .with_sql_example(
        "```sql
> SELECT log_loss(prob, label) FROM (VALUES (0.5, 1), (0.5, 0)) AS t(prob, label);
+------------------------------+
| log_loss(t.prob,t.label)     |
+------------------------------+
| 0.6931471805599453           |
+------------------------------+
```",
    )
    .with_argument(
        "prob",
        "The predicted probability of the positive class, between 0 and 1; anything else is an error.",
    )
    .with_argument(
        "label",
        "The true class, 0 or 1 (numeric or boolean); any other value is an error.",
    )
    .with_related_udf("auc")
    .build()
});

/// `log_loss(prob, label)`: mean binary cross-entropy.
///
/// Probabilities are clipped to `[1e-15, 1 - 1e-15]` (see
/// [`LOG_LOSS_EPS`](crate::metrics::LOG_LOSS_EPS)); a probability outside
/// `[0, 1]` or a label other than 0/1 is an error; an empty group gives NULL.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct LogLoss {
    signature: Signature,
}

impl Default for LogLoss {
    fn default() -> Self {
        Self::new()
    }
}

impl LogLoss {
    /// The `log_loss` aggregate.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for LogLoss {
    fn name(&self) -> &str {
        "log_loss"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_args(self.name(), &["prob", "label"], None, arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(PairAccumulator::try_new(LogLossMetric, &args)?))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(LogLossMetric::state_fields(args.name))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(PairGroupsAccumulator::try_new(
            LogLossMetric,
            &args,
        )?))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOC)
    }
}

/// The state of `log_loss`: row count and summed per-row loss.
#[derive(Debug, Clone, Copy)]
struct LogLossMetric;

impl PairMetric for LogLossMetric {
    type State = (u64, f64);

    fn name(&self) -> &'static str {
        "log_loss"
    }

    fn update(&self, (count, sum): &mut (u64, f64), prob: f64, label: f64) -> Result<()> {
        *sum += row_log_loss(self.name(), prob, label)?;
        *count += 1;
        Ok(())
    }

    fn merge((count, sum): &mut (u64, f64), other: &(u64, f64)) {
        *count += other.0;
        *sum += other.1;
    }

    fn evaluate(&self, &(count, sum): &(u64, f64)) -> Option<f64> {
        (count > 0).then(|| sum / count as f64)
    }

    fn state_fields(name: &str) -> Vec<FieldRef> {
        vec![
            Arc::new(Field::new(
                format_state_name(name, "count"),
                DataType::UInt64,
                false,
            )),
            Arc::new(Field::new(
                format_state_name(name, "sum"),
                DataType::Float64,
                false,
            )),
        ]
    }

    fn to_arrays(states: &[(u64, f64)]) -> Vec<ArrayRef> {
        vec![
            Arc::new(UInt64Array::from_iter_values(states.iter().map(|s| s.0))),
            Arc::new(Float64Array::from_iter_values(states.iter().map(|s| s.1))),
        ]
    }

    fn from_arrays(arrays: &[ArrayRef]) -> Result<Vec<(u64, f64)>> {
        let [count, sum] = arrays else {
            return internal_err!("log_loss state has {} columns, expected 2", arrays.len());
        };
        let (count, sum) = (
            as_uint64_array(count)?.values(),
            as_float64_array(sum)?.values(),
        );
        if count.len() != sum.len() {
            return internal_err!("log_loss state columns differ in length");
        }
        Ok(count.iter().copied().zip(sum.iter().copied()).collect())
    }
}
