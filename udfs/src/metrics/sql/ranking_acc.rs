//! The accumulator shared by `auc` and `pr_auc`: ranking needs every score,
//! so the state is the list of positive-label scores and the list of
//! negative-label scores, sorted once when the group is evaluated.

use std::mem::size_of_val;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Float64Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::cast::{as_float64_array, as_list_array};
use datafusion::common::utils::SingleRowListArrayBuilder;
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::logical_expr::Accumulator;
use datafusion::logical_expr::utils::format_state_name;

use datafusion::logical_expr::function::AccumulatorArgs;

use super::{for_each_pair, reject_distinct};
use crate::metrics::input::{check_label, check_score};
use crate::metrics::ranking::Ranked;

/// Which ranking metric an accumulator computes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RankingScore {
    RocAuc,
    AveragePrecision,
}

/// The state columns: positive-label scores, then negative-label scores.
pub(crate) fn state_fields(name: &str) -> Vec<FieldRef> {
    let list = DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)));
    ["positive_scores", "negative_scores"]
        .iter()
        .map(|s| Arc::new(Field::new(format_state_name(name, s), list.clone(), true)))
        .collect()
}

/// Collects one group's scores split by label.
#[derive(Debug)]
pub(crate) struct RankingAccumulator {
    name: &'static str,
    score: RankingScore,
    positives: Vec<f64>,
    negatives: Vec<f64>,
}

impl RankingAccumulator {
    /// The accumulator of a call to `name`.
    pub(crate) fn try_new(
        name: &'static str,
        score: RankingScore,
        args: &AccumulatorArgs,
    ) -> Result<Self> {
        reject_distinct(name, args)?;
        Ok(Self {
            name,
            score,
            positives: Vec::new(),
            negatives: Vec::new(),
        })
    }
}

/// Appends every score held by the rows of a state list column.
fn extend_from_lists(name: &str, into: &mut Vec<f64>, lists: &ArrayRef) -> Result<()> {
    let lists = as_list_array(lists)?;
    for scores in lists.iter().flatten() {
        let scores = as_float64_array(&scores)?;
        if scores.null_count() > 0 {
            return internal_err!("{name}: NULL score in an intermediate state");
        }
        into.extend_from_slice(scores.values());
    }
    Ok(())
}

impl Accumulator for RankingAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Self {
            name,
            positives,
            negatives,
            ..
        } = self;
        for_each_pair(name, values, None, |_, score, label| {
            let score = check_score(name, "score", score)?;
            if check_label(name, label)? {
                positives.push(score);
            } else {
                negatives.push(score);
            }
            Ok(())
        })
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let pairs = self
            .positives
            .iter()
            .map(|&s| (s, true))
            .chain(self.negatives.iter().map(|&s| (s, false)))
            .collect();
        let ranked = Ranked::from_pairs(pairs);
        Ok(ScalarValue::Float64(match self.score {
            RankingScore::RocAuc => ranked.roc_auc(),
            RankingScore::AveragePrecision => ranked.average_precision(),
        }))
    }

    fn size(&self) -> usize {
        size_of_val(self)
            + (self.positives.capacity() + self.negatives.capacity()) * size_of::<f64>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let list = |scores: &[f64]| {
            let values: ArrayRef = Arc::new(Float64Array::from(scores.to_vec()));
            SingleRowListArrayBuilder::new(values).build_list_scalar()
        };
        Ok(vec![list(&self.positives), list(&self.negatives)])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [positives, negatives] = states else {
            return internal_err!(
                "{}: state has {} columns, expected 2",
                self.name,
                states.len()
            );
        };
        extend_from_lists(self.name, &mut self.positives, positives)?;
        extend_from_lists(self.name, &mut self.negatives, negatives)
    }
}
