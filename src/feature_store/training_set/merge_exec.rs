//! `FeatureJoinExec`: joins a spine to one feature view by merging two inputs
//! sorted on the join keys — the point-in-time (as-of) join of a training set.
//!
//! Both inputs arrive hash-partitioned on the keys (so a key's rows, spine and
//! features, are in the same partition) and, within a partition, ordered by key
//! (and time) ascending, NULLs first; DataFusion's distribution and sort
//! enforcement put the repartitions and (spilling) sorts below this node
//! because [`ExecutionPlan::input_distribution_requirements`] and
//! [`ExecutionPlan::required_input_ordering`] say so. Each partition is merged
//! on its own, in parallel. An entity of several keys, or key types that
//! differ between the sides (say `INT` against `BIGINT`, whose hashes differ),
//! merges in one partition instead.
//!
//! The merge reads each input once: for every spine row it moves
//! the feature cursor past rows with a smaller key, or the same key and a time
//! at or before the spine's time, remembering the last of them. That row — the
//! latest feature row with `feature_time <= spine_time` (within the lookback,
//! if one is set) — supplies the features; without times it is simply the row
//! with the same key. Only the feature batches between the oldest still-needed
//! row and the cursor are held, so memory does not grow with the feature side.
//!
//! Two feature rows with the same key (and time) are an error naming the key:
//! a feature view promises one row per key (per time).

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{
    EquivalenceProperties, LexOrdering, OrderingRequirements, PhysicalExpr, PhysicalSortExpr,
};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, Distribution, ExecutionPlan, ExecutionPlanProperties,
    InputDistributionRequirements, Partitioning, PlanProperties,
};
use futures::StreamExt;

use super::merger::Merger;

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
    /// Whether the join is point-in-time (both sides have a time).
    pub fn is_as_of(&self) -> bool {
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

/// Key columns as expressions.
type KeyExprs = Vec<Arc<dyn PhysicalExpr>>;

/// The key columns of `schema` at `columns`, as expressions.
fn key_exprs(columns: &[usize], schema: &Schema) -> KeyExprs {
    columns
        .iter()
        .map(|&i| Arc::new(Column::new(schema.field(i).name(), i)) as _)
        .collect()
}

/// The merge join of a spine and one feature view (see the module docs).
pub struct FeatureJoinExec {
    left: Arc<dyn ExecutionPlan>,
    right: Arc<dyn ExecutionPlan>,
    spec: Arc<JoinSpec>,
    schema: SchemaRef,
    left_order: Option<LexOrdering>,
    right_order: Option<LexOrdering>,
    /// The keys both sides are hash-partitioned on, when their types agree.
    partition_keys: Option<(KeyExprs, KeyExprs)>,
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
        // One key of one type on both sides: with several, a side already
        // hashed on some of them, or in another order, would satisfy the
        // requirement but place keys differently from the other side.
        let one_key_of_one_type = match (spec.left_keys.as_slice(), spec.right_keys.as_slice()) {
            ([l], [r]) => left_schema.field(*l).data_type() == right_schema.field(*r).data_type(),
            _ => false,
        };
        let partition_keys = one_key_of_one_type.then(|| {
            (
                key_exprs(&spec.left_keys, &left_schema),
                key_exprs(&spec.right_keys, &right_schema),
            )
        });
        // The output keeps the spine's partitions and their order; its columns
        // come first, so the same expressions describe the output.
        let partitioning = if partition_keys.is_some() {
            left.output_partitioning().clone()
        } else {
            Partitioning::UnknownPartitioning(1)
        };
        let properties = PlanProperties::new(
            EquivalenceProperties::new_with_orderings(
                Arc::clone(&schema),
                left_order.clone().into_iter().map(Vec::from),
            ),
            partitioning,
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
            partition_keys,
            properties: Arc::new(properties),
        })
    }

    /// How the view joins the spine.
    pub fn spec(&self) -> &JoinSpec {
        &self.spec
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
        InputDistributionRequirements::new(match &self.partition_keys {
            Some((left, right)) => vec![
                Distribution::KeyPartitioned(left.clone()),
                Distribution::KeyPartitioned(right.clone()),
            ],
            None => vec![Distribution::SinglePartition, Distribution::SinglePartition],
        })
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
        // A key's rows must be in the same partition on both sides: one
        // partition each, or both hashed (by the same function) into as many.
        let (left_parts, right_parts) = (
            self.left.output_partitioning(),
            self.right.output_partitioning(),
        );
        let partitions = left_parts.partition_count();
        let co_partitioned = match (left_parts, right_parts) {
            _ if partitions == 1 => right_parts.partition_count() == 1,
            (Partitioning::Hash(_, l), Partitioning::Hash(_, r)) => {
                self.partition_keys.is_some() && l == r
            }
            _ => false,
        };
        if !co_partitioned {
            return internal_err!(
                "FeatureJoinExec({}): the spine is partitioned as {left_parts} and the view as {right_parts}",
                self.spec.view
            );
        }
        if partition >= partitions {
            return internal_err!(
                "FeatureJoinExec({}) has {partitions} partitions, asked for partition {partition}",
                self.spec.view
            );
        }
        let left = self.left.execute(partition, Arc::clone(&context))?;
        let right = self.right.execute(partition, context)?;
        let merger = Merger::new(Arc::clone(&self.spec), Arc::clone(&self.schema), right)?;
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

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{
        Array, ArrayRef, AsArray, Date32Array, Float64Array, Int64Array, RecordBatch,
    };
    use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type, Int64Type};
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
