//! `FeatureJoinExec`: joins a spine to one feature view by merging two inputs
//! sorted on the join keys — the point-in-time (as-of) join of a training set.
//!
//! Both inputs arrive as one partition, ordered by key (and time) ascending,
//! NULLs first; DataFusion's sort enforcement puts the (spilling, parallel)
//! sorts below this node because [`ExecutionPlan::required_input_ordering`]
//! says so. The merge then reads each input once: for every spine row it moves
//! the feature cursor past rows with a smaller key, or the same key and a time
//! at or before the spine's time, remembering the last of them. That row — the
//! latest feature row with `feature_time <= spine_time` (within the lookback,
//! if one is set) — supplies the features; without times it is simply the row
//! with the same key. Only the feature batches between the oldest still-needed
//! row and the cursor are held, so memory does not grow with the feature side.
//!
//! Two feature rows with the same key (and time) are an error naming the key:
//! a feature view promises one row per key (per time).

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Int64Array, RecordBatch, Scalar, new_null_array,
};
use datafusion::arrow::compute::kernels::zip::zip;
use datafusion::arrow::compute::{interleave, is_not_null};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::row::{RowConverter, Rows, SortField};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, ScalarValue, exec_err, internal_err};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{
    EquivalenceProperties, LexOrdering, OrderingRequirements, PhysicalExpr, PhysicalSortExpr,
};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, Distribution, ExecutionPlan, InputDistributionRequirements,
    Partitioning, PlanProperties,
};
use futures::StreamExt;

use super::times::{cast_to, to_micros};

/// A feature column the join adds.
#[derive(Debug, Clone)]
pub struct FeatureColumn {
    /// Its index in the feature input.
    pub index: usize,
    /// Its name and type in the output.
    pub field: Field,
    /// The value a missing or NULL feature takes, if any.
    pub fill: Option<ScalarValue>,
}

/// How one feature view joins the spine.
#[derive(Debug, Clone)]
pub struct JoinSpec {
    /// `view:version`, for messages.
    pub view: String,
    /// Key columns of the spine input.
    pub left_keys: Vec<usize>,
    /// Key columns of the feature input (same order).
    pub right_keys: Vec<usize>,
    /// The spine's time column (sorting and as-of).
    pub left_time: Option<usize>,
    /// The view's TIMESTAMP column: when set, the join is as-of.
    pub right_time: Option<usize>,
    /// Only feature rows at most this old (spine time − feature time, µs).
    pub lookback_micros: Option<i64>,
    /// The feature columns to add.
    pub features: Vec<FeatureColumn>,
    /// Also add the matched row's TIMESTAMP, under this field.
    pub feature_time: Option<Field>,
}

impl JoinSpec {
    fn is_as_of(&self) -> bool {
        self.right_time.is_some() && self.left_time.is_some()
    }
}

/// Ascending, NULLs first, on each column: the order both inputs must have.
fn ordering(columns: &[usize], schema: &Schema) -> Option<LexOrdering> {
    LexOrdering::new(columns.iter().map(|&i| {
        PhysicalSortExpr::new_default(Arc::new(Column::new(schema.field(i).name(), i)) as _)
            .asc()
            .nulls_first()
    }))
}

/// The merge join of a spine and one feature view (see the module docs).
pub struct FeatureJoinExec {
    left: Arc<dyn ExecutionPlan>,
    right: Arc<dyn ExecutionPlan>,
    spec: Arc<JoinSpec>,
    schema: SchemaRef,
    left_order: Option<LexOrdering>,
    right_order: Option<LexOrdering>,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for FeatureJoinExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FeatureJoinExec({})", self.spec.view)
    }
}

impl FeatureJoinExec {
    /// Joins `left` (the spine, possibly with earlier views' features) and `right`
    /// (one view's keys, time and features) as `spec` says.
    pub fn try_new(
        left: Arc<dyn ExecutionPlan>,
        right: Arc<dyn ExecutionPlan>,
        spec: JoinSpec,
    ) -> Result<Self> {
        let left_schema = left.schema();
        let right_schema = right.schema();
        if spec.left_keys.len() != spec.right_keys.len() || spec.left_keys.is_empty() {
            return internal_err!("{}: key lists differ in length", spec.view);
        }
        if spec.right_time.is_some() && spec.left_time.is_none() {
            return internal_err!("{}: an as-of join needs the spine's time", spec.view);
        }
        let mut fields: Vec<Field> = left_schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.extend(spec.features.iter().map(|c| c.field.clone()));
        fields.extend(spec.feature_time.clone());
        let schema = Arc::new(Schema::new(fields));
        let mut left_columns = spec.left_keys.clone();
        left_columns.extend(spec.left_time);
        let mut right_columns = spec.right_keys.clone();
        right_columns.extend(spec.right_time);
        let left_order = ordering(&left_columns, &left_schema);
        let right_order = ordering(&right_columns, &right_schema);
        // The output keeps the spine's order; its columns come first, so the
        // same sort expressions describe the output.
        let properties = PlanProperties::new(
            EquivalenceProperties::new_with_orderings(
                Arc::clone(&schema),
                left_order.clone().into_iter().map(Vec::from),
            ),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Ok(Self {
            left,
            right,
            spec: Arc::new(spec),
            schema,
            left_order,
            right_order,
            properties: Arc::new(properties),
        })
    }
}

impl DisplayAs for FeatureJoinExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.spec.is_as_of() { "as-of" } else { "key" };
        write!(f, "FeatureJoinExec: view={}, join={kind}", self.spec.view)?;
        if let (Some(lookback), true) = (self.spec.lookback_micros, self.spec.is_as_of()) {
            write!(f, ", lookback_us={lookback}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for FeatureJoinExec {
    fn name(&self) -> &str {
        "FeatureJoinExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.left, &self.right]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn input_distribution_requirements(&self) -> InputDistributionRequirements {
        InputDistributionRequirements::new(vec![
            Distribution::SinglePartition,
            Distribution::SinglePartition,
        ])
    }

    fn required_input_ordering(&self) -> Vec<Option<OrderingRequirements>> {
        vec![
            self.left_order.clone().map(OrderingRequirements::from),
            self.right_order.clone().map(OrderingRequirements::from),
        ]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true, false]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false, false]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match children.as_slice() {
            [left, right] => Ok(Arc::new(FeatureJoinExec::try_new(
                Arc::clone(left),
                Arc::clone(right),
                (*self.spec).clone(),
            )?)),
            _ => internal_err!("FeatureJoinExec takes two inputs"),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return internal_err!("FeatureJoinExec has one partition, asked for {partition}");
        }
        let left = self.left.execute(0, Arc::clone(&context))?;
        let right = self.right.execute(0, context)?;
        let right_schema = self.right.schema();
        let key_types: Vec<DataType> = self
            .spec
            .right_keys
            .iter()
            .map(|&i| right_schema.field(i).data_type().clone())
            .collect();
        let converter = RowConverter::new(key_types.iter().cloned().map(SortField::new).collect())?;
        let merger = Merger {
            spec: Arc::clone(&self.spec),
            schema: Arc::clone(&self.schema),
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
        };
        let stream = futures::stream::unfold(Some((left, merger)), |state| async move {
            let (mut left, mut merger) = state?;
            match left.next().await {
                None => None,
                Some(Err(e)) => Some((Err(e), None)),
                Some(Ok(batch)) => match merger.join(&batch).await {
                    Ok(output) => Some((Ok(output), Some((left, merger)))),
                    Err(e) => Some((Err(e), None)),
                },
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            stream,
        )))
    }
}

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
struct Cursor {
    id: u64,
    row: usize,
}

/// The merge state that lives across spine batches.
struct Merger {
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
    async fn join(&mut self, left: &RecordBatch) -> Result<RecordBatch> {
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

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{AsArray, Date32Array, Float64Array, Int64Array};
    use datafusion::arrow::datatypes::{Date32Type, Float64Type, Int64Type};
    use datafusion::datasource::memory::MemorySourceConfig;
    use datafusion::physical_plan::collect;
    use datafusion::prelude::SessionContext;

    use super::*;

    /// A small deterministic generator (no dependency, stable across platforms).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, below: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % below
        }
    }

    /// Rows cut into batches of 1–7 rows, one partition.
    fn source(schema: &SchemaRef, columns: Vec<ArrayRef>, rng: &mut Lcg) -> Arc<dyn ExecutionPlan> {
        let all = RecordBatch::try_new(Arc::clone(schema), columns).expect("batch");
        let mut batches = Vec::new();
        let mut offset = 0;
        while offset < all.num_rows() {
            let len = (1 + rng.next(7) as usize).min(all.num_rows() - offset);
            batches.push(all.slice(offset, len));
            offset += len;
        }
        MemorySourceConfig::try_new_exec(&[batches], Arc::clone(schema), None).expect("source")
    }

    fn spec(as_of: bool, lookback: Option<i64>) -> JoinSpec {
        JoinSpec {
            view: "f:v1".into(),
            left_keys: vec![0],
            right_keys: vec![0],
            left_time: Some(1),
            right_time: as_of.then_some(1),
            lookback_micros: lookback.map(|days| days * 86_400_000_000),
            features: vec![FeatureColumn {
                index: 2,
                field: Field::new("value", DataType::Float64, true),
                fill: None,
            }],
            feature_time: as_of.then(|| Field::new("value_time", DataType::Date32, true)),
        }
    }

    /// The merge join against a brute-force search over random inputs cut at random places.
    #[tokio::test]
    async fn merge_equals_brute_force_across_batch_boundaries() {
        let ctx = SessionContext::new();
        for seed in 0..40u64 {
            let mut rng = Lcg(seed);
            // Feature rows: per key, distinct days, sorted by (key, day).
            let mut right: Vec<(i64, i32, f64)> = Vec::new();
            for key in 0..8i64 {
                let mut day = rng.next(5) as i32;
                for _ in 0..rng.next(6) {
                    right.push((key, day, (key * 1000 + i64::from(day)) as f64));
                    day += 1 + rng.next(9) as i32;
                }
            }
            // Spine rows: random keys (some unknown) and days, sorted, with repeats.
            let mut left: Vec<(i64, i32)> = (0..rng.next(40))
                .map(|_| (rng.next(10) as i64, rng.next(60) as i32))
                .collect();
            left.sort_unstable();
            let schema_l = Arc::new(Schema::new(vec![
                Field::new("k", DataType::Int64, false),
                Field::new("t", DataType::Date32, false),
            ]));
            let schema_r = Arc::new(Schema::new(vec![
                Field::new("k", DataType::Int64, false),
                Field::new("t", DataType::Date32, false),
                Field::new("v", DataType::Float64, false),
            ]));
            for (as_of, lookback) in [(true, None), (true, Some(7)), (false, None)] {
                let right_rows: Vec<(i64, i32, f64)> = if as_of {
                    right.clone()
                } else {
                    // A key join needs one row per key: keep each key's first row.
                    let mut firsts = right.clone();
                    firsts.dedup_by_key(|r| r.0);
                    firsts
                };
                let l = source(
                    &schema_l,
                    vec![
                        Arc::new(Int64Array::from_iter_values(left.iter().map(|r| r.0))),
                        Arc::new(Date32Array::from_iter_values(left.iter().map(|r| r.1))),
                    ],
                    &mut rng,
                );
                let r = source(
                    &schema_r,
                    vec![
                        Arc::new(Int64Array::from_iter_values(right_rows.iter().map(|r| r.0))),
                        Arc::new(Date32Array::from_iter_values(
                            right_rows.iter().map(|r| r.1),
                        )),
                        Arc::new(Float64Array::from_iter_values(
                            right_rows.iter().map(|r| r.2),
                        )),
                    ],
                    &mut rng,
                );
                let join =
                    Arc::new(FeatureJoinExec::try_new(l, r, spec(as_of, lookback)).expect("join"));
                let batches = collect(join, ctx.task_ctx()).await.expect("runs");
                let mut got: Vec<(i64, i32, Option<f64>)> = Vec::new();
                for batch in &batches {
                    let k = batch.column(0).as_primitive::<Int64Type>();
                    let t = batch.column(1).as_primitive::<Date32Type>();
                    let v = batch.column(2).as_primitive::<Float64Type>();
                    for i in 0..batch.num_rows() {
                        got.push((k.value(i), t.value(i), (!v.is_null(i)).then(|| v.value(i))));
                    }
                }
                let want: Vec<(i64, i32, Option<f64>)> = left
                    .iter()
                    .map(|&(k, t)| {
                        let value = right_rows
                            .iter()
                            .filter(|r| r.0 == k)
                            .filter(|r| {
                                !as_of
                                    || (r.1 <= t
                                        && lookback.is_none_or(|days| t - r.1 <= days as i32))
                            })
                            .max_by_key(|r| r.1)
                            .map(|r| r.2);
                        (k, t, value)
                    })
                    .collect();
                assert_eq!(
                    got, want,
                    "seed {seed}, as_of {as_of}, lookback {lookback:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn duplicate_feature_rows_are_an_error_even_across_batches() {
        let ctx = SessionContext::new();
        let schema_l = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, false),
            Field::new("t", DataType::Date32, false),
        ]));
        let schema_r = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, false),
            Field::new("t", DataType::Date32, false),
            Field::new("v", DataType::Float64, false),
        ]));
        let left = RecordBatch::try_new(
            Arc::clone(&schema_l),
            vec![
                Arc::new(Int64Array::from(vec![1, 2])),
                Arc::new(Date32Array::from(vec![10, 10])),
            ],
        )
        .expect("left");
        let right = RecordBatch::try_new(
            Arc::clone(&schema_r),
            vec![
                Arc::new(Int64Array::from(vec![1, 1, 2])),
                Arc::new(Date32Array::from(vec![3, 3, 4])),
                Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0])),
            ],
        )
        .expect("right");
        // The two rows of key 1 at day 3 land in different batches.
        let l = MemorySourceConfig::try_new_exec(&[vec![left]], schema_l, None).expect("l");
        let r = MemorySourceConfig::try_new_exec(
            &[vec![right.slice(0, 1), right.slice(1, 2)]],
            schema_r,
            None,
        )
        .expect("r");
        let join = Arc::new(FeatureJoinExec::try_new(l, r, spec(true, None)).expect("join"));
        let error = collect(join, ctx.task_ctx()).await.expect_err("duplicate");
        assert!(
            error.to_string().contains(
                "feature view f:v1 has more than one row for k = 1, t = 1970-01-04; a feature view must have one row per key and timestamp"
            ),
            "{error}"
        );
    }
}
