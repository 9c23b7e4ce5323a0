//! `train_test_split(data, test_fraction, seed [, stratify_column])`: the rows
//! of a query (or table) with a `split` column, `'train'` or `'test'`.
//!
//! It is the split `CREATE MODEL` makes: with the same rows in the same order,
//! `test_fraction` and `seed` (and a classifier's label as `stratify_column`),
//! the rows marked `'test'` are exactly the rows `CREATE MODEL` holds out — so
//! a model's held-out metrics can be reproduced, or the test set kept apart,
//! in plain SQL. Stratifying keeps each class's share in both parts (the
//! column must be 0/1). Like `CREATE MODEL`, it puts the rows in a canonical
//! order first (see `ml::canonical`), so the split does not depend on the order
//! the query returns rows in; the result comes in that canonical order.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::TableProvider;
use firnml_udfs::model::Objective;

use crate::functions::args::{number_arg, string_arg};
use crate::functions::models::data::{column_index, labels, plan_data};
use crate::ml::canonical::canonical_rows;
use crate::ml::split::train_test_split;
use crate::query::deferred::DeferredTable;

const USAGE: &str =
    "train_test_split(data VARCHAR, test_fraction DOUBLE, seed BIGINT [, stratify_column VARCHAR])";

/// The `train_test_split` table function.
#[derive(Debug, Default)]
pub struct TrainTestSplit;

impl TableFunctionImpl for TrainTestSplit {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if exprs.len() < 3 || exprs.len() > 4 {
            return plan_err!(
                "train_test_split takes 3 or 4 arguments, got {}; expected {USAGE}",
                exprs.len()
            );
        }
        let Some(data) = string_arg(exprs, 0) else {
            return plan_err!(
                "argument 1 must be a query or table name as a string; expected {USAGE}"
            );
        };
        let fraction = match number_arg(exprs, 1) {
            Some(f) if f > 0.0 && f < 1.0 => f,
            _ => {
                return plan_err!(
                    "argument 2 (test_fraction) must be a number between 0 and 1; expected {USAGE}"
                );
            }
        };
        let seed = match number_arg(exprs, 2) {
            Some(s) if s >= 0.0 && s.fract() == 0.0 && s < 9.0e15 => s as u64,
            _ => {
                return plan_err!(
                    "argument 3 (seed) must be a non-negative integer; expected {USAGE}"
                );
            }
        };
        let stratify = match exprs.len() {
            4 => match string_arg(exprs, 3) {
                Some(column) => Some(column),
                None => {
                    return plan_err!(
                        "argument 4 must name the column to stratify by; expected {USAGE}"
                    );
                }
            },
            _ => None,
        };
        let (_, plan) = plan_data(args.session(), &data, "train_test_split")?;
        let input_schema: SchemaRef = Arc::clone(plan.schema().inner());
        if let Some(column) = &stratify
            && column_index(&input_schema, column).is_none()
        {
            return plan_err!("train_test_split: the data has no column '{column}' to stratify by");
        }
        if input_schema.fields().iter().any(|f| f.name() == "split") {
            return plan_err!("train_test_split: the data already has a column 'split'; rename it");
        }
        let mut fields: Vec<Field> = input_schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.push(Field::new("split", DataType::Utf8, false));
        let schema = Arc::new(Schema::new(fields));
        let out_schema = Arc::clone(&schema);
        let work = Arc::new(move |batches: Vec<RecordBatch>| {
            let (schema, input_schema, stratify) = (
                Arc::clone(&out_schema),
                Arc::clone(&input_schema),
                stratify.clone(),
            );
            Box::pin(async move {
                // CREATE MODEL's order: the split does not depend on how the query returns rows.
                let batch = canonical_rows(&input_schema, &batches)?;
                let rows = batch.num_rows();
                let classes = match &stratify {
                    Some(column) => labels(
                        &batch,
                        column,
                        Objective::BinaryLogistic,
                        "train_test_split",
                    )?,
                    None => vec![0.0; rows],
                };
                let (_, test) = train_test_split(&classes, fraction, seed, stratify.is_some())?;
                let mut split = vec!["train"; rows];
                for i in test {
                    split[i] = "test";
                }
                let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
                columns.push(Arc::new(StringArray::from(split)));
                Ok(vec![RecordBatch::try_new(schema, columns)?])
            }) as _
        });
        Ok(Arc::new(DeferredTable::new(
            "train_test_split",
            schema,
            Some(plan),
            work,
        )))
    }
}
