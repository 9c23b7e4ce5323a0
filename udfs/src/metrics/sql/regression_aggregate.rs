//! The one `AggregateUDFImpl` behind the regression functions (`rmse`,
//! `r2_score`): they differ only in name, the number they read from the
//! summary, and their documentation, which each keeps in its own file.

use std::sync::LazyLock;

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, GroupsAccumulator, Signature, Volatility,
};

use super::coerce_args;
use super::pairwise::{PairAccumulator, PairGroupsAccumulator, PairMetric};
use super::regression_metric::{RegressionMetric, RegressionScore};

/// A regression metric aggregate: `f(pred, actual)`.
#[derive(Debug)]
pub struct RegressionAggregate {
    name: &'static str,
    score: RegressionScore,
    doc: &'static LazyLock<Documentation>,
    signature: Signature,
}

impl PartialEq for RegressionAggregate {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for RegressionAggregate {}

impl std::hash::Hash for RegressionAggregate {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl RegressionAggregate {
    pub(crate) fn new(
        name: &'static str,
        score: RegressionScore,
        doc: &'static LazyLock<Documentation>,
    ) -> Self {
        Self {
            name,
            score,
            doc,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    fn metric(&self) -> RegressionMetric {
        RegressionMetric {
            name: self.name,
            score: self.score,
        }
    }
}

impl AggregateUDFImpl for RegressionAggregate {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_args(self.name, &["pred", "actual"], None, arg_types)
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
        Some(self.doc)
    }
}
