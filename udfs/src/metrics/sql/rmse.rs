//! `rmse(pred, actual)`: root mean squared error.

use std::sync::LazyLock;

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, GroupsAccumulator, Signature, Volatility,
};

use super::pairwise::{PairAccumulator, PairGroupsAccumulator, PairMetric};
use super::regression_metric::{RegressionMetric, RegressionScore};
use super::{DOC_SECTION_METRICS, coerce_args};

static DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_METRICS,
        "Root mean squared error, `sqrt(mean((pred - actual)²))`; NULL for an empty group; NaN or infinite inputs are errors. Rows where `pred` or `actual` is NULL are skipped.",
        "rmse(pred, actual)",
    )
    .with_sql_example(
        "```sql
> SELECT rmse(pred, actual) FROM (VALUES (2.5, 3.0), (0.0, -0.5), (2.0, 2.0), (8.0, 7.0)) AS t(pred, actual);
+-----------------------+
| rmse(t.pred,t.actual) |
+-----------------------+
| 0.6123724356957945    |
+-----------------------+
```",
    )
    .with_argument("pred", "The predicted value (numeric).")
    .with_argument("actual", "The actual value (numeric).")
    .with_related_udf("r2_score")
    .build()
});

/// `rmse(pred, actual)`: root mean squared error.
///
/// Root mean squared error, `sqrt(mean((pred - actual)²))`; NULL for an empty group; NaN or infinite inputs are errors.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Rmse {
    signature: Signature,
}

impl Default for Rmse {
    fn default() -> Self {
        Self::new()
    }
}

impl Rmse {
    /// The `rmse` aggregate.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    fn metric(&self) -> RegressionMetric {
        RegressionMetric {
            name: "rmse",
            score: RegressionScore::Rmse,
        }
    }
}

impl AggregateUDFImpl for Rmse {
    fn name(&self) -> &str {
        "rmse"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_args(self.name(), &["pred", "actual"], None, arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(PairAccumulator::try_new(self.metric(), &args)?))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(RegressionMetric::state_fields(args.name))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(PairGroupsAccumulator::try_new(
            self.metric(),
            &args,
        )?))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOC)
    }
}
