//! The state shared by `accuracy_score`, `precision_score`, `recall_score`
//! and `f1_score`: a [`ConfusionMatrix`] per group, stored as four counts.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::cast::as_uint64_array;
use datafusion::common::{Result, internal_err};
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::logical_expr::utils::format_state_name;

use super::pairwise::PairMetric;
use super::threshold_arg;
use crate::metrics::ConfusionMatrix;
use crate::metrics::input::{check_label, check_score};

/// Which number a confusion-based function reads from its matrix.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ConfusionScore {
    Accuracy,
    Precision,
    Recall,
    F1,
}

/// A confusion-based metric: `pred >= threshold` against a 0/1 label.
#[derive(Debug, Clone)]
pub(crate) struct ConfusionMetric {
    name: &'static str,
    score: ConfusionScore,
    threshold: f64,
}

impl ConfusionMetric {
    /// The metric of a call, reading its optional threshold argument.
    pub(crate) fn new(
        name: &'static str,
        score: ConfusionScore,
        args: &AccumulatorArgs,
    ) -> Result<Self> {
        Ok(Self {
            name,
            score,
            threshold: threshold_arg(name, args)?,
        })
    }
}

const STATE: [&str; 4] = ["tp", "fp", "tn", "fn"];

impl PairMetric for ConfusionMetric {
    type State = ConfusionMatrix;

    fn name(&self) -> &'static str {
        self.name
    }

    fn update(&self, state: &mut ConfusionMatrix, pred: f64, label: f64) -> Result<()> {
        let pred = check_score(self.name, "prediction", pred)?;
        state.add(pred >= self.threshold, check_label(self.name, label)?);
        Ok(())
    }

    fn merge(state: &mut ConfusionMatrix, other: &ConfusionMatrix) {
        state.merge(other);
    }

    fn evaluate(&self, m: &ConfusionMatrix) -> Option<f64> {
        if m.total() == 0 {
            return None;
        }
        match self.score {
            ConfusionScore::Accuracy => m.accuracy(),
            ConfusionScore::Precision => Some(m.precision()),
            ConfusionScore::Recall => Some(m.recall()),
            ConfusionScore::F1 => Some(m.f1()),
        }
    }

    fn state_fields(name: &str) -> Vec<FieldRef> {
        STATE
            .iter()
            .map(|s| {
                Arc::new(Field::new(
                    format_state_name(name, s),
                    DataType::UInt64,
                    false,
                ))
            })
            .collect()
    }

    fn to_arrays(states: &[ConfusionMatrix]) -> Vec<ArrayRef> {
        let column = |f: fn(&ConfusionMatrix) -> u64| -> ArrayRef {
            Arc::new(UInt64Array::from_iter_values(states.iter().map(f)))
        };
        vec![
            column(|m| m.tp),
            column(|m| m.fp),
            column(|m| m.tn),
            column(|m| m.fn_),
        ]
    }

    fn from_arrays(arrays: &[ArrayRef]) -> Result<Vec<ConfusionMatrix>> {
        let [tp, fp, tn, fn_] = arrays else {
            return internal_err!("confusion state has {} columns, expected 4", arrays.len());
        };
        let (tp, fp, tn, fn_) = (
            as_uint64_array(tp)?.values(),
            as_uint64_array(fp)?.values(),
            as_uint64_array(tn)?.values(),
            as_uint64_array(fn_)?.values(),
        );
        if [fp.len(), tn.len(), fn_.len()]
            .iter()
            .any(|&len| len != tp.len())
        {
            return internal_err!("confusion state columns differ in length");
        }
        Ok(tp
            .iter()
            .zip(fp.iter())
            .zip(tn.iter())
            .zip(fn_.iter())
            .map(|(((&tp, &fp), &tn), &fn_)| ConfusionMatrix { tp, fp, tn, fn_ })
            .collect())
    }
}
