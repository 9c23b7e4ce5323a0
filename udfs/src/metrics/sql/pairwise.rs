//! The machinery shared by every metric whose state is a fixed-size,
//! mergeable summary of `(a, b)` pairs (confusion counts, loss sums,
//! regression moments): one [`Accumulator`] and one [`GroupsAccumulator`]
//! generic over a [`PairMetric`].

use std::fmt::Debug;
use std::mem::{size_of, size_of_val};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, Float64Array};
use datafusion::arrow::datatypes::FieldRef;
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::logical_expr::{Accumulator, EmitTo, GroupsAccumulator};

use datafusion::logical_expr::function::AccumulatorArgs;

use super::{for_each_pair, reject_distinct};

/// A metric computed from a mergeable per-group state.
pub(crate) trait PairMetric: Debug + Send + Sync + 'static {
    /// The summary of one group's rows.
    type State: Default + Clone + Debug + Send + Sync + 'static;

    /// The function's name, for error messages.
    fn name(&self) -> &'static str;
    /// Adds one row whose two arguments are not NULL.
    fn update(&self, state: &mut Self::State, a: f64, b: f64) -> Result<()>;
    /// Adds another partition's state.
    fn merge(state: &mut Self::State, other: &Self::State);
    /// The metric of a group; `None` (SQL NULL) when undefined.
    fn evaluate(&self, state: &Self::State) -> Option<f64>;
    /// The state columns; [`Self::to_arrays`] writes them in this order.
    fn state_fields(name: &str) -> Vec<FieldRef>;
    /// One array per state column, one row per state.
    fn to_arrays(states: &[Self::State]) -> Vec<ArrayRef>;
    /// Reads the states written by [`Self::to_arrays`].
    fn from_arrays(arrays: &[ArrayRef]) -> Result<Vec<Self::State>>;
}

/// The [`Accumulator`] of one group.
#[derive(Debug)]
pub(crate) struct PairAccumulator<M: PairMetric> {
    metric: M,
    state: M::State,
}

impl<M: PairMetric> PairAccumulator<M> {
    /// The accumulator of a call to `metric`.
    pub(crate) fn try_new(metric: M, args: &AccumulatorArgs) -> Result<Self> {
        reject_distinct(metric.name(), args)?;
        Ok(Self {
            metric,
            state: M::State::default(),
        })
    }
}

impl<M: PairMetric> Accumulator for PairAccumulator<M> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Self { metric, state } = self;
        for_each_pair(metric.name(), values, None, |_, a, b| {
            metric.update(state, a, b)
        })
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(self.metric.evaluate(&self.state)))
    }

    fn size(&self) -> usize {
        size_of_val(self)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        M::to_arrays(std::slice::from_ref(&self.state))
            .iter()
            .map(|array| ScalarValue::try_from_array(array, 0))
            .collect()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for other in M::from_arrays(states)? {
            M::merge(&mut self.state, &other);
        }
        Ok(())
    }
}

/// The [`GroupsAccumulator`] holding every group's state in one vector.
#[derive(Debug)]
pub(crate) struct PairGroupsAccumulator<M: PairMetric> {
    metric: M,
    states: Vec<M::State>,
}

impl<M: PairMetric> PairGroupsAccumulator<M> {
    /// The groups accumulator of a call to `metric`.
    pub(crate) fn try_new(metric: M, args: &AccumulatorArgs) -> Result<Self> {
        reject_distinct(metric.name(), args)?;
        Ok(Self {
            metric,
            states: Vec::new(),
        })
    }
}

/// `states[group]`, or an internal error if DataFusion passed a group index
/// beyond `total_num_groups`.
fn group_state<'a, S>(name: &str, states: &'a mut [S], group: usize) -> Result<&'a mut S> {
    let len = states.len();
    match states.get_mut(group) {
        Some(state) => Ok(state),
        None => internal_err!("{name}: group index {group} out of range ({len} groups)"),
    }
}

impl<M: PairMetric> GroupsAccumulator for PairGroupsAccumulator<M> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.states.resize(total_num_groups, M::State::default());
        let Self { metric, states } = self;
        let name = metric.name();
        for_each_pair(name, values, opt_filter, |row, a, b| {
            let Some(&group) = group_indices.get(row) else {
                return internal_err!("{name}: no group index for row {row}");
            };
            metric.update(group_state(name, states, group)?, a, b)
        })
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let states = emit_to.take_needed(&mut self.states);
        let values: Float64Array = states.iter().map(|s| self.metric.evaluate(s)).collect();
        Ok(Arc::new(values))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(M::to_arrays(&emit_to.take_needed(&mut self.states)))
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.states.resize(total_num_groups, M::State::default());
        let name = self.metric.name();
        let others = M::from_arrays(values)?;
        if others.len() != group_indices.len() {
            return internal_err!(
                "{name}: {} states for {} groups",
                others.len(),
                group_indices.len()
            );
        }
        for (other, &group) in others.iter().zip(group_indices) {
            M::merge(group_state(name, &mut self.states, group)?, other);
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each row becomes a group of its own; NULL or filtered rows give empty states.
        let rows = values.first().map_or(0, |v| v.len());
        let mut states = vec![M::State::default(); rows];
        let name = self.metric.name();
        for_each_pair(name, values, opt_filter, |row, a, b| {
            self.metric
                .update(group_state(name, &mut states, row)?, a, b)
        })?;
        Ok(M::to_arrays(&states))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.states.capacity() * size_of::<M::State>()
    }
}
