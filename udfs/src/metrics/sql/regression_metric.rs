//! The state shared by `rmse` and `r2_score`: a [`RegressionStats`] per group.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::cast::{as_float64_array, as_uint64_array};
use datafusion::common::{Result, internal_err};
use datafusion::logical_expr::utils::format_state_name;

use super::pairwise::PairMetric;
use crate::metrics::RegressionStats;

/// Which number a regression function reads from its summary.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RegressionScore {
    Rmse,
    R2,
}

/// A regression metric of `(pred, actual)` pairs.
#[derive(Debug, Clone)]
pub(crate) struct RegressionMetric {
    pub(crate) name: &'static str,
    pub(crate) score: RegressionScore,
}

const FLOAT_STATE: [&str; 4] = ["sum_abs_error", "sum_sq_error", "mean_actual", "m2_actual"];

impl PairMetric for RegressionMetric {
    type State = RegressionStats;

    fn name(&self) -> &'static str {
        self.name
    }

    fn update(&self, state: &mut RegressionStats, pred: f64, actual: f64) -> Result<()> {
        state.push_checked(self.name, pred, actual)
    }

    fn merge(state: &mut RegressionStats, other: &RegressionStats) {
        state.merge(other);
    }

    fn evaluate(&self, state: &RegressionStats) -> Option<f64> {
        match self.score {
            RegressionScore::Rmse => state.rmse(),
            RegressionScore::R2 => state.r2(),
        }
    }

    fn state_fields(name: &str) -> Vec<FieldRef> {
        let count = Field::new(format_state_name(name, "count"), DataType::UInt64, false);
        std::iter::once(Arc::new(count))
            .chain(FLOAT_STATE.iter().map(|s| {
                Arc::new(Field::new(
                    format_state_name(name, s),
                    DataType::Float64,
                    false,
                ))
            }))
            .collect()
    }

    fn to_arrays(states: &[RegressionStats]) -> Vec<ArrayRef> {
        let column = |f: fn(&RegressionStats) -> f64| -> ArrayRef {
            Arc::new(Float64Array::from_iter_values(states.iter().map(f)))
        };
        vec![
            Arc::new(UInt64Array::from_iter_values(
                states.iter().map(|s| s.count),
            )),
            column(|s| s.sum_abs_error),
            column(|s| s.sum_sq_error),
            column(|s| s.mean_actual),
            column(|s| s.m2_actual),
        ]
    }

    fn from_arrays(arrays: &[ArrayRef]) -> Result<Vec<RegressionStats>> {
        let [count, abs, sq, mean, m2] = arrays else {
            return internal_err!("regression state has {} columns, expected 5", arrays.len());
        };
        let count = as_uint64_array(count)?.values();
        let (abs, sq, mean, m2) = (
            as_float64_array(abs)?.values(),
            as_float64_array(sq)?.values(),
            as_float64_array(mean)?.values(),
            as_float64_array(m2)?.values(),
        );
        if [abs.len(), sq.len(), mean.len(), m2.len()]
            .iter()
            .any(|&len| len != count.len())
        {
            return internal_err!("regression state columns differ in length");
        }
        Ok((0..count.len())
            .map(|i| RegressionStats {
                count: count[i],
                sum_abs_error: abs[i],
                sum_sq_error: sq[i],
                mean_actual: mean[i],
                m2_actual: m2[i],
            })
            .collect())
    }
}
