//! The one `AggregateUDFImpl` behind the ranking functions (`auc`, `pr_auc`):
//! they differ only in name, the curve they integrate, and their
//! documentation, which each keeps in its own file.

use std::sync::LazyLock;

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Signature, Volatility,
};

use super::coerce_args;
use super::ranking_acc::{RankingAccumulator, RankingScore, state_fields};

/// A ranking metric aggregate: `f(score, label)`.
#[derive(Debug)]
pub struct RankingAggregate {
    name: &'static str,
    score: RankingScore,
    doc: &'static LazyLock<Documentation>,
    signature: Signature,
}

impl PartialEq for RankingAggregate {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for RankingAggregate {}

impl std::hash::Hash for RankingAggregate {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl RankingAggregate {
    pub(crate) fn new(
        name: &'static str,
        score: RankingScore,
        doc: &'static LazyLock<Documentation>,
    ) -> Self {
        Self {
            name,
            score,
            doc,
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for RankingAggregate {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_args(self.name, &["score", "label"], None, arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(RankingAccumulator::try_new(
            self.name, self.score, &args,
        )?))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(state_fields(args.name))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(self.doc)
    }
}
