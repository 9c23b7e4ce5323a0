//! The merge at the heart of [`FeatureJoinExec`](super::merge_exec::FeatureJoinExec):
//! state that lives across spine batches — the feature batches still needed, the
//! cursor, the candidate row — and the walk that pairs each spine row with its
//! feature row (see the `merge_exec` module docs for the rule).

use std::collections::VecDeque;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Int64Array, RecordBatch, Scalar, new_null_array,
};
use datafusion::arrow::compute::kernels::zip::zip;
use datafusion::arrow::compute::{interleave, is_not_null};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::row::{RowConverter, Rows, SortField};
use datafusion::common::{Result, ScalarValue, exec_err, internal_err};
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;

use super::merge_exec::JoinSpec;
use super::times::{cast_to, to_micros};

/// A batch of the feature input with its keys in comparable form.
struct FeatureBatch {
    batch: RecordBatch,
    keys: Rows,
    /// Any key NULL.
    null_key: Option<BooleanArray>,
    times: Option<Int64Array>,
}

/// A position among the held feature batches: batch `id` (counted from the
/// first batch read), row `row`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cursor {
    id: u64,
    row: usize,
}

/// The merge state that lives across spine batches.
pub(super) struct Merger {
    spec: Arc<JoinSpec>,
    schema: SchemaRef,
    right: SendableRecordBatchStream,
    right_schema: SchemaRef,
    right_done: bool,
    key_types: Vec<DataType>,
    converter: RowConverter,
    /// Feature batches from `first_id` on.
    batches: VecDeque<FeatureBatch>,
    first_id: u64,
    /// The next feature row not yet passed.
    cursor: Cursor,
    /// The last feature row passed whose key is ≤ the current spine key.
    candidate: Option<Cursor>,
    /// The key and time of the last feature row passed (duplicate detection).
    previous: Option<Cursor>,
}

fn any_null(columns: &[ArrayRef]) -> Option<BooleanArray> {
    let mut mask: Option<BooleanArray> = None;
    for column in columns.iter().filter(|c| c.null_count() > 0) {
        let nulls = datafusion::arrow::compute::is_null(column.as_ref()).ok()?;
        mask = Some(match mask {
            None => nulls,
            Some(m) => datafusion::arrow::compute::or(&m, &nulls).ok()?,
        });
    }
    mask
}

impl Merger {
    /// The merge of a spine with the rows of `right`, producing `schema`.
    pub(super) fn new(
        spec: Arc<JoinSpec>,
        schema: SchemaRef,
        right: SendableRecordBatchStream,
    ) -> Result<Self> {
        let right_schema = right.schema();
        let key_types: Vec<DataType> = spec
            .right_keys
            .iter()
            .map(|&i| right_schema.field(i).data_type().clone())
            .collect();
        let converter = RowConverter::new(key_types.iter().cloned().map(SortField::new).collect())?;
        Ok(Self {
            spec,
            schema,
            right,
            right_schema,
            right_done: false,
            key_types,
            converter,
            batches: VecDeque::new(),
            first_id: 0,
            cursor: Cursor { id: 0, row: 0 },
            candidate: None,
            previous: None,
        })
    }

    fn batch(&self, id: u64) -> Option<&FeatureBatch> {
        let index = usize::try_from(id.checked_sub(self.first_id)?).ok()?;
        self.batches.get(index)
    }

    /// Makes the cursor point at an existing row, reading feature batches as
    /// needed. False when the feature input is exhausted.
    async fn settle(&mut self) -> Result<bool> {
        loop {
            if let Some(batch) = self.batch(self.cursor.id) {
                if self.cursor.row < batch.batch.num_rows() {
                    return Ok(true);
                }
                self.cursor = Cursor {
                    id: self.cursor.id + 1,
                    row: 0,
                };
                continue;
            }
            if self.right_done {
                return Ok(false);
            }
            match self.right.next().await {
                None => self.right_done = true,
                Some(batch) => {
                    let batch = batch?;
                    // An empty batch still takes its place, keeping batch ids dense.
                    let key_columns = self
                        .spec
                        .right_keys
                        .iter()
                        .map(|&i| Arc::clone(batch.column(i)))
                        .collect::<Vec<_>>();
                    let keys = self.converter.convert_columns(&key_columns)?;
                    let times = match self.spec.right_time {
                        Some(i) if self.spec.is_as_of() => Some(to_micros(batch.column(i))?),
                        _ => None,
                    };
                    self.batches.push_back(FeatureBatch {
                        null_key: any_null(&key_columns),
                        batch,
                        keys,
                        times,
                    });
                }
            }
        }
    }

    fn is_null_row(&self, at: Cursor) -> bool {
        self.batch(at.id).is_some_and(|b| {
            b.null_key.as_ref().is_some_and(|m| m.value(at.row))
                || b.times.as_ref().is_some_and(|t| t.is_null(at.row))
        })
    }

    fn time(&self, at: Cursor) -> Option<i64> {
        let times = self.batch(at.id)?.times.as_ref()?;
        (!times.is_null(at.row)).then(|| times.value(at.row))
    }

    /// Passes the cursor's row: it becomes `previous`, after the duplicate check.
    fn pass(&mut self) -> Result<()> {
        let at = self.cursor;
        if !self.is_null_row(at) {
            if let Some(previous) = self.previous
                && let (Some(a), Some(b)) = (self.batch(previous.id), self.batch(at.id))
                && a.keys.row(previous.row) == b.keys.row(at.row)
                && (!self.spec.is_as_of() || self.time(previous) == self.time(at))
            {
                return self.duplicate(at);
            }
            self.previous = Some(at);
        }
        self.cursor.row += 1;
        Ok(())
    }

    fn duplicate(&self, at: Cursor) -> Result<()> {
        let Some(batch) = self.batch(at.id) else {
            return internal_err!("duplicate check lost its batch");
        };
        let schema = batch.batch.schema();
        let mut described: Vec<String> = Vec::new();
        let mut columns = self.spec.right_keys.clone();
        if self.spec.is_as_of() {
            columns.extend(self.spec.right_time);
        }
        for i in columns {
            let value = ScalarValue::try_from_array(batch.batch.column(i), at.row)
                .map(|v| match v {
                    ScalarValue::Utf8(Some(s))
                    | ScalarValue::Utf8View(Some(s))
                    | ScalarValue::LargeUtf8(Some(s)) => format!("'{s}'"),
                    other => other.to_string(),
                })
                .unwrap_or_else(|_| "?".into());
            described.push(format!("{} = {value}", schema.field(i).name()));
        }
        let unit = if self.spec.is_as_of() {
            "key and timestamp"
        } else {
            "key"
        };
        exec_err!(
            "training_set: feature view {} has more than one row for {}; a feature view must have one row per {unit}",
            self.spec.view,
            described.join(", ")
        )
    }

    /// The features of every row of spine batch `left`, appended to it.
    pub(super) async fn join(&mut self, left: &RecordBatch) -> Result<RecordBatch> {
        let key_columns = self
            .spec
            .left_keys
            .iter()
            .zip(&self.key_types)
            .map(|(&i, data_type)| cast_to(left.column(i), data_type))
            .collect::<Result<Vec<_>>>()?;
        let keys = self.converter.convert_columns(&key_columns)?;
        let null_keys = any_null(&key_columns);
        let times = match self.spec.left_time {
            Some(i) if self.spec.is_as_of() => Some(to_micros(left.column(i))?),
            _ => None,
        };
        let mut picks: Vec<Option<Cursor>> = Vec::with_capacity(left.num_rows());
        for row in 0..left.num_rows() {
            let time = times
                .as_ref()
                .and_then(|t| (!t.is_null(row)).then(|| t.value(row)));
            if null_keys.as_ref().is_some_and(|m| m.value(row))
                || (times.is_some() && time.is_none())
            {
                picks.push(None);
                continue;
            }
            let key = keys.row(row);
            while self.settle().await? {
                let at = self.cursor;
                let Some(batch) = self.batch(at.id) else {
                    break;
                };
                if self.is_null_row(at) {
                    self.pass()?;
                    continue;
                }
                match batch.keys.row(at.row).cmp(&key) {
                    std::cmp::Ordering::Less => {
                        self.candidate = None;
                        self.pass()?;
                    }
                    std::cmp::Ordering::Equal => match (time, self.time(at)) {
                        (Some(spine_time), Some(feature_time)) if feature_time > spine_time => {
                            break;
                        }
                        _ => {
                            self.candidate = Some(at);
                            self.pass()?;
                        }
                    },
                    std::cmp::Ordering::Greater => break,
                }
            }
            let pick = self.candidate.filter(|c| {
                self.batch(c.id).is_some_and(|b| b.keys.row(c.row) == key)
                    && match (self.spec.lookback_micros, time, self.time(*c)) {
                        (Some(lookback), Some(spine_time), Some(feature_time)) => {
                            spine_time.saturating_sub(feature_time) <= lookback
                        }
                        _ => true,
                    }
            });
            picks.push(pick);
        }
        let output = self.assemble(left, &picks)?;
        self.forget_passed_batches();
        Ok(output)
    }

    /// Drops feature batches that neither the candidate nor the cursor can reach.
    fn forget_passed_batches(&mut self) {
        let keep_from = [
            Some(self.cursor.id),
            self.candidate.map(|c| c.id),
            self.previous.map(|c| c.id),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(self.cursor.id);
        while self.first_id < keep_from && !self.batches.is_empty() {
            self.batches.pop_front();
            self.first_id += 1;
        }
    }

    /// `left` plus the picked feature rows' columns (NULL or the fill where none).
    fn assemble(&self, left: &RecordBatch, picks: &[Option<Cursor>]) -> Result<RecordBatch> {
        let mut columns: Vec<ArrayRef> = left.columns().to_vec();
        let lowest = picks.iter().flatten().map(|c| c.id).min();
        let highest = picks.iter().flatten().map(|c| c.id).max();
        // Source 0 is a one-row NULL array; source 1 + k is held batch `lowest + k`.
        let indices: Vec<(usize, usize)> = picks
            .iter()
            .map(|pick| match (pick, lowest) {
                (Some(c), Some(low)) => ((c.id - low) as usize + 1, c.row),
                _ => (0, 0),
            })
            .collect();
        let sources: Vec<&RecordBatch> = match (lowest, highest) {
            (Some(low), Some(high)) => (low..=high)
                .map(|id| {
                    self.batch(id).map(|b| &b.batch).ok_or_else(|| {
                        datafusion::error::DataFusionError::Internal(format!(
                            "feature batch {id} was released too early"
                        ))
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            _ => vec![],
        };
        let gather = |index: usize| -> Result<ArrayRef> {
            let null = new_null_array(self.right_schema.field(index).data_type(), 1);
            let mut arrays: Vec<&dyn Array> = vec![null.as_ref()];
            arrays.extend(sources.iter().map(|b| b.column(index).as_ref()));
            Ok(interleave(&arrays, &indices)?)
        };
        for feature in &self.spec.features {
            let values = gather(feature.index)?;
            let values = cast_to(&values, feature.field.data_type())?;
            columns.push(match &feature.fill {
                Some(fill) if values.null_count() > 0 => {
                    let fill = Scalar::new(fill.to_array()?);
                    zip(&is_not_null(values.as_ref())?, &values, &fill)?
                }
                _ => values,
            });
        }
        if let (Some(field), Some(time)) = (&self.spec.feature_time, self.spec.right_time) {
            let values = gather(time)?;
            columns.push(cast_to(&values, field.data_type())?);
        }
        Ok(RecordBatch::try_new(Arc::clone(&self.schema), columns)?)
    }
}
