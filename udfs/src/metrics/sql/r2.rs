//! `r2_score(pred, actual)`: the coefficient of determination R².

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
        "R², `1 - SS_res / SS_tot`, as scikit-learn's `r2_score`: NULL for fewer than two rows; when every actual value is equal, 1 for perfect predictions and 0 otherwise. NaN or infinite inputs are errors. Rows where `pred` or `actual` is NULL are skipped.",
        "r2_score(pred, actual)",
    )
    .with_sql_example(
        "```sql
> SELECT r2_score(pred, actual) FROM (VALUES (2.5, 3.0), (0.0, -0.5), (2.0, 2.0), (8.0, 7.0)) AS t(pred, actual);
+---------------------------+
| r2_score(t.pred,t.actual) |
+---------------------------+
| 0.9486081370449679        |
+---------------------------+
```",
    )
    .with_argument("pred", "The predicted value (numeric).")
    .with_argument("actual", "The actual value (numeric).")
    .with_related_udf("rmse")
    .build()
});

/// `r2_score(pred, actual)`: the coefficient of determination R².
///
/// R², `1 - SS_res / SS_tot`, as scikit-learn's `r2_score`: NULL for fewer than two rows; when every actual value is equal, 1 for perfect predictions and 0 otherwise. NaN or infinite inputs are errors.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct R2Score {
    signature: Signature,
}

impl Default for R2Score {
    fn default() -> Self {
        Self::new()
    }
}

impl R2Score {
    /// The `r2_score` aggregate.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    fn metric(&self) -> RegressionMetric {
        RegressionMetric {
            name: "r2_score",
            score: RegressionScore::R2,
        }
    }
}

impl AggregateUDFImpl for R2Score {
    fn name(&self) -> &str {
        "r2_score"
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
