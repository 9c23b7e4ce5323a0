//! One row per key: the promise every feature view makes, checked three ways.
//!
//! - [`KeyHashes`] watches the rows of a new version go by (while its snapshot is
//!   written, or while a live view's query runs once at creation): NULL keys fail
//!   at once; keys are kept only as 64-bit hashes, so a repeated hash merely makes
//!   the version *suspect*, and [`check_unique_keys`] then decides exactly. When
//!   the query itself makes the keys unique ([`unique_by_plan`]: a `GROUP BY` of
//!   them, as in a monthly snapshot), no hash is kept: at 10M customers × 25
//!   months that set alone would hold 200M hashes (≈ 3.6 GiB while it grows).
//! - [`check_unique_keys`]: `GROUP BY` the keys, the exact answer with the count.
//! - [`KeyChecker`] keeps every key exactly and stops at the first repeat: what
//!   `training_set` puts over a live view it reads (see `KeyCheckExec`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::hash_utils::{RandomState, create_hashes};
use datafusion::common::{
    Column, DFSchema, Dependency, HashSet, Result, ScalarValue, exec_err, plan_err,
};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::session_state::SessionState;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::{Expr, LogicalPlan, lit};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::prelude::DataFrame;
use futures::StreamExt;

/// Checks that no key (with the timestamp, if any) is NULL or seen twice.
/// Shared by every partition of one pass over the rows.
#[derive(Debug)]
pub struct KeyChecker {
    /// What is checked, e.g. `feature view f:v1`, for messages.
    what: String,
    /// Key columns (then the timestamp) by index and name.
    columns: Vec<(usize, String)>,
    /// How many of `columns` are keys (the rest is the timestamp).
    keys: usize,
    converter: RowConverter,
    seen: Mutex<HashSet<Box<[u8]>>>,
}

fn quoted(array: &ArrayRef, row: usize) -> String {
    match ScalarValue::try_from_array(array, row) {
        Ok(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::Utf8View(Some(s))
            | ScalarValue::LargeUtf8(Some(s)),
        ) => format!("'{s}'"),
        Ok(other) => other.to_string(),
        Err(_) => "?".into(),
    }
}

impl KeyChecker {
    /// A checker of `keys` (and `timestamp`) in rows of `schema`.
    pub fn new(
        what: impl Into<String>,
        schema: &SchemaRef,
        keys: &[String],
        timestamp: Option<&str>,
    ) -> Result<Self> {
        let what = what.into();
        let mut columns = Vec::new();
        for name in keys.iter().map(String::as_str).chain(timestamp) {
            match schema.index_of(name) {
                Ok(i) => columns.push((i, name.to_string())),
                Err(_) => return plan_err!("{what}: no column '{name}' to check"),
            }
        }
        let fields = columns
            .iter()
            .map(|(i, _)| SortField::new(schema.field(*i).data_type().clone()))
            .collect();
        Ok(Self {
            what,
            columns,
            keys: keys.len(),
            converter: RowConverter::new(fields)?,
            seen: Mutex::new(HashSet::default()),
        })
    }

    /// Checks one batch against every row seen before.
    pub fn check(&self, batch: &RecordBatch) -> Result<()> {
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter()
            .map(|(i, _)| Arc::clone(batch.column(*i)))
            .collect();
        for (k, array) in arrays.iter().enumerate() {
            if array.null_count() > 0 {
                let role = if k < self.keys { "key" } else { "TIMESTAMP" };
                return exec_err!(
                    "{}: {role} column '{}' is NULL in some rows; keys and timestamps may not be NULL",
                    self.what,
                    self.columns[k].1
                );
            }
        }
        let rows = self.converter.convert_columns(&arrays)?;
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.reserve(rows.num_rows());
        for (row, key) in rows.iter().enumerate() {
            if !seen.insert(key.as_ref().into()) {
                let described: Vec<String> = self
                    .columns
                    .iter()
                    .zip(&arrays)
                    .map(|((_, name), array)| format!("{name} = {}", quoted(array, row)))
                    .collect();
                let unit = if self.columns.len() > self.keys {
                    "per key and timestamp"
                } else {
                    "per key"
                };
                let names: Vec<&str> = self.columns.iter().map(|(_, n)| n.as_str()).collect();
                return exec_err!(
                    "{}: duplicate key: {} occurs more than once; feature rows must be unique {unit} ({})",
                    self.what,
                    described.join(", "),
                    names.join(", ")
                );
            }
        }
        Ok(())
    }

    /// `stream`, checked batch by batch as it is read.
    pub fn watch(self: &Arc<Self>, stream: SendableRecordBatchStream) -> SendableRecordBatchStream {
        let schema = stream.schema();
        let checker = Arc::clone(self);
        let checked = stream.map(move |batch| {
            let batch = batch?;
            checker.check(&batch)?;
            Ok(batch)
        });
        Box::pin(RecordBatchStreamAdapter::new(schema, checked))
    }
}

/// Checks that no key (with the timestamp) is NULL, and remembers the hashes of
/// the keys seen: a repeated hash makes the rows [suspect](KeyHashes::is_suspect).
/// Shared by every partition of one pass over the rows.
#[derive(Debug)]
pub struct KeyHashes {
    what: String,
    columns: Vec<(usize, String)>,
    keys: usize,
    state: RandomState,
    seen: Mutex<HashSet<u64>>,
    suspect: AtomicBool,
    /// The query makes the keys unique: only NULLs are looked for.
    unique_by_plan: bool,
}

/// Whether the rows of a plan with `schema` cannot repeat a combination of
/// `columns`: DataFusion derives that a `GROUP BY` (or a primary key) determines
/// its output row, and the determinant lies within `columns`. NULLs are not
/// excluded (a `GROUP BY` has a NULL group); they are checked apart.
pub fn unique_by_plan(schema: &DFSchema, columns: &[String]) -> bool {
    let positions: Option<Vec<usize>> = columns
        .iter()
        .map(|name| schema.fields().iter().position(|f| f.name() == name))
        .collect();
    let Some(positions) = positions else {
        return false;
    };
    schema.functional_dependencies().iter().any(|dependence| {
        dependence.mode == Dependency::Single
            && !dependence.source_indices.is_empty()
            && dependence
                .source_indices
                .iter()
                .all(|i| positions.contains(i))
    })
}

impl KeyHashes {
    /// A watcher of `keys` (and `timestamp`) in rows of `schema`; with
    /// `unique_by_plan` (see [`unique_by_plan`]) it looks for NULLs only.
    pub fn new(
        what: impl Into<String>,
        schema: &SchemaRef,
        keys: &[String],
        timestamp: Option<&str>,
        unique_by_plan: bool,
    ) -> Result<Self> {
        let what = what.into();
        let mut columns = Vec::new();
        for name in keys.iter().map(String::as_str).chain(timestamp) {
            match schema.index_of(name) {
                Ok(i) => columns.push((i, name.to_string())),
                Err(_) => return plan_err!("{what}: no column '{name}' to check"),
            }
        }
        Ok(Self {
            what,
            columns,
            keys: keys.len(),
            state: RandomState::default(),
            seen: Mutex::new(HashSet::default()),
            suspect: AtomicBool::new(false),
            unique_by_plan,
        })
    }

    /// Checks one batch: NULLs fail, a hash seen before makes the rows suspect.
    pub fn check(&self, batch: &RecordBatch) -> Result<()> {
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter()
            .map(|(i, _)| Arc::clone(batch.column(*i)))
            .collect();
        for (k, array) in arrays.iter().enumerate() {
            if array.null_count() > 0 {
                let role = if k < self.keys { "key" } else { "TIMESTAMP" };
                return exec_err!(
                    "{}: {role} column '{}' is NULL in some rows; keys and timestamps may not be NULL",
                    self.what,
                    self.columns[k].1
                );
            }
        }
        if self.unique_by_plan {
            return Ok(());
        }
        let mut hashes = vec![0u64; batch.num_rows()];
        create_hashes(&arrays, &self.state, &mut hashes)?;
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.reserve(hashes.len());
        let mut repeated = false;
        for hash in hashes {
            repeated |= !seen.insert(hash);
        }
        if repeated {
            self.suspect.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Whether two rows had keys with the same hash (a repeat, or a rare collision).
    pub fn is_suspect(&self) -> bool {
        self.suspect.load(Ordering::Relaxed)
    }

    /// `stream`, watched batch by batch as it is read.
    pub fn watch(self: &Arc<Self>, stream: SendableRecordBatchStream) -> SendableRecordBatchStream {
        let schema = stream.schema();
        let watcher = Arc::clone(self);
        let watched = stream.map(move |batch| {
            let batch = batch?;
            watcher.check(&batch)?;
            Ok(batch)
        });
        Box::pin(RecordBatchStreamAdapter::new(schema, watched))
    }
}

/// `a = 'x', b = 2` of row `row` of `batch` (whose first columns are `columns`).
fn key_values(batch: &RecordBatch, columns: &[String], row: usize) -> String {
    columns
        .iter()
        .enumerate()
        .map(|(i, name)| format!("{name} = {}", quoted(batch.column(i), row)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Fails when a key (or the timestamp) is NULL, or a key (per timestamp) occurs
/// more than once in the rows of `plan`, naming one offending key and its count.
pub async fn check_unique_keys(
    state: &SessionState,
    plan: LogicalPlan,
    keys: &[String],
    timestamp: Option<&str>,
    what: &str,
) -> Result<()> {
    let mut group: Vec<String> = keys.to_vec();
    group.extend(timestamp.map(str::to_string));
    let exprs: Vec<Expr> = group
        .iter()
        .map(|c| Expr::Column(Column::new_unqualified(c)))
        .collect();
    let rows = Expr::Column(Column::new_unqualified("__firn_rows"));
    let offending = exprs.iter().fold(rows.clone().gt(lit(1i64)), |acc, e| {
        acc.or(e.clone().is_null())
    });
    let found = DataFrame::new(state.clone(), plan)
        .aggregate(exprs, vec![count(lit(1i64)).alias("__firn_rows")])?
        .filter(offending)?
        .limit(0, Some(1))?
        .collect()
        .await?;
    let Some(batch) = found.into_iter().find(|b| b.num_rows() > 0) else {
        return Ok(());
    };
    for (i, name) in group.iter().enumerate() {
        if batch.column(i).is_null(0) {
            let role = if i < keys.len() { "key" } else { "TIMESTAMP" };
            return exec_err!(
                "{what}: {role} column '{name}' is NULL in some rows; keys and timestamps may not be NULL"
            );
        }
    }
    let times = ScalarValue::try_from_array(batch.column(group.len()), 0)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| "several".into());
    let unit = if timestamp.is_some() {
        format!("per key and timestamp ({})", group.join(", "))
    } else {
        format!("per key ({})", group.join(", "))
    };
    exec_err!(
        "{what}: duplicate key: {} occurs {times} times; feature rows must be unique {unit}",
        key_values(&batch, &group, 0)
    )
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Date32Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch(ids: Vec<Option<&str>>, days: Vec<i32>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, true),
            Field::new("day", DataType::Date32, false),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(ids)),
                Arc::new(Date32Array::from(days)),
            ],
        )
        .expect("batch")
    }

    #[test]
    fn repeats_across_batches_and_nulls_are_named() {
        let first = batch(vec![Some("a"), Some("b")], vec![1, 1]);
        let schema = first.schema();
        let per_key = KeyChecker::new("view v", &schema, &["id".into()], None).expect("checker");
        per_key.check(&first).expect("distinct");
        let error = per_key
            .check(&batch(vec![Some("c"), Some("a")], vec![1, 2]))
            .expect_err("a again");
        assert!(
            error.to_string().contains(
                "view v: duplicate key: id = 'a' occurs more than once; feature rows must be unique per key (id)"
            ),
            "{error}"
        );
        let per_day =
            KeyChecker::new("view v", &schema, &["id".into()], Some("day")).expect("checker");
        per_day.check(&first).expect("distinct");
        per_day
            .check(&batch(vec![Some("a")], vec![2]))
            .expect("another day");
        let error = per_day
            .check(&batch(vec![Some("a")], vec![2]))
            .expect_err("same day");
        assert!(
            error
                .to_string()
                .contains("id = 'a', day = 1970-01-03 occurs more than once"),
            "{error}"
        );
        let error = per_key
            .check(&batch(vec![None], vec![1]))
            .expect_err("null");
        assert!(
            error.to_string().contains("key column 'id' is NULL"),
            "{error}"
        );
    }

    #[test]
    fn hashes_make_repeats_suspect_and_fail_nulls() {
        let first = batch(vec![Some("a"), Some("b")], vec![1, 1]);
        let schema = first.schema();
        let hashes =
            KeyHashes::new("view v", &schema, &["id".into()], Some("day"), false).expect("watcher");
        hashes.check(&first).expect("distinct");
        hashes
            .check(&batch(vec![Some("a")], vec![2]))
            .expect("another day");
        assert!(!hashes.is_suspect());
        hashes
            .check(&batch(vec![Some("b")], vec![1]))
            .expect("suspect, not failed");
        assert!(hashes.is_suspect());
        let error = hashes.check(&batch(vec![None], vec![1])).expect_err("null");
        assert!(
            error
                .to_string()
                .contains("view v: key column 'id' is NULL"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_group_by_of_the_keys_makes_them_unique_and_nothing_else_does() {
        let ctx = datafusion::prelude::SessionContext::new();
        ctx.sql("CREATE TABLE orders (id VARCHAR, day DATE, amount DOUBLE) AS VALUES ('a', DATE '2024-01-01', 1.0)")
            .await
            .expect("table");
        let unique = |sql: &'static str, columns: &'static [&'static str]| {
            let ctx = ctx.clone();
            async move {
                let plan = ctx.sql(sql).await.expect("plans").into_unoptimized_plan();
                let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
                unique_by_plan(plan.schema(), &columns)
            }
        };
        let by_both =
            "SELECT o.id, o.day, sum(o.amount) AS total FROM orders o GROUP BY o.id, o.day";
        assert!(unique(by_both, &["id", "day"]).await);
        assert!(unique(by_both, &["day", "id"]).await, "in any order");
        assert!(
            !unique(by_both, &["id"]).await,
            "one of the two is not enough"
        );
        let by_id = "SELECT id, max(day) AS day FROM orders GROUP BY id";
        assert!(
            unique(by_id, &["id", "day"]).await,
            "a key within the columns"
        );
        assert!(!unique("SELECT id, day FROM orders", &["id", "day"]).await);
        assert!(
            !unique(
                "SELECT id, day FROM orders UNION ALL SELECT id, day FROM orders GROUP BY id, day",
                &["id", "day"]
            )
            .await
        );
        assert!(
            !unique(
                "SELECT g.id, o.day FROM (SELECT id FROM orders GROUP BY id) g JOIN orders o ON o.id = g.id",
                &["id", "day"]
            )
            .await,
            "a join repeats the grouped side"
        );
        assert!(!unique(by_both, &["id", "nope"]).await);
    }
}
