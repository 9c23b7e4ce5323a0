//! The one `AggregateUDFImpl` behind the four confusion-based functions
//! (`accuracy_score`, `precision_score`, `recall_score`, `f1_score`): they
//! differ only in their name, the number they read from the confusion matrix,
//! and their documentation, which each keeps in its own file.

use std::sync::LazyLock;

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, GroupsAccumulator, Signature, Volatility,
};

use super::coerce_args;
use super::confusion_metric::{ConfusionMetric, ConfusionScore};
use super::pairwise::{PairAccumulator, PairGroupsAccumulator, PairMetric};

/// A confusion-based metric aggregate: `f(pred, label [, threshold])`.
#[derive(Debug)]
pub struct ConfusionAggregate {
    name: &'static str,
    score: ConfusionScore,
    doc: &'static LazyLock<Documentation>,
    signature: Signature,
}

impl PartialEq for ConfusionAggregate {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for ConfusionAggregate {}

impl std::hash::Hash for ConfusionAggregate {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ConfusionAggregate {
    pub(crate) fn new(
        name: &'static str,
        score: ConfusionScore,
        doc: &'static LazyLock<Documentation>,
    ) -> Self {
        Self {
            name,
            score,
            doc,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    fn metric(&self, args: &AccumulatorArgs) -> Result<ConfusionMetric> {
        ConfusionMetric::new(self.name, self.score, args)
    }
}

impl AggregateUDFImpl for ConfusionAggregate {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_args(self.name, &["pred", "label"], Some("threshold"), arg_types)
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
        Some(self.doc)
    }
}
