//! The metrics as SQL aggregate functions: one function per file, each
//! documenting itself through [`AggregateUDFImpl::documentation`].
//!
//! | function | returns |
//! |----------|---------|
//! | `auc(score, label)` | ROC-AUC; NULL when a group has only one class |
//! | `pr_auc(score, label)` | average precision; NULL when a group has no positive label |
//! | `log_loss(prob, label)` | mean log loss, probabilities clipped at 1e-15 |
//! | `accuracy_score(pred, label [, threshold])` | accuracy |
//! | `precision_score(pred, label [, threshold])` | precision, 0 when nothing is predicted positive |
//! | `recall_score(pred, label [, threshold])` | recall, 0 when there is no positive label |
//! | `f1_score(pred, label [, threshold])` | F1, 0 when there is no positive label and no positive prediction |
//! | `rmse(pred, actual)` | root mean squared error |
//! | `r2_score(pred, actual)` | R², NULL for fewer than two rows |
//!
//! Every function returns DOUBLE, accepts numeric or boolean arguments (cast
//! to DOUBLE), skips rows where any argument is NULL, returns NULL for a group
//! with no rows left, and works with `GROUP BY` and `FILTER (WHERE ...)`.
//! Labels must be 0 or 1 (a query error names any other value); NaN inputs
//! are errors.
//!
//! In the confusion-based functions `pred` is predicted positive when
//! `pred >= threshold`; the threshold is an optional constant third argument
//! that defaults to 0.5, so 0/1 predictions and probabilities both work.
//!
//! [`AggregateUDFImpl::documentation`]: datafusion::logical_expr::AggregateUDFImpl::documentation

mod accuracy;
mod auc;
mod confusion_aggregate;
mod confusion_metric;
mod f1;
mod log_loss;
mod pairwise;
mod pr_auc;
mod precision;
mod r2;
mod ranking_acc;
mod ranking_aggregate;
mod recall;
mod regression_aggregate;
mod regression_metric;
mod rmse;

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::cast::as_float64_array;
use datafusion::common::{Result, ScalarValue, internal_err, plan_err};
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::logical_expr::{AggregateUDF, ColumnarValue, DocSection};
use datafusion::prelude::SessionContext;

pub use accuracy::accuracy_score;
pub use auc::auc;
pub use confusion_aggregate::ConfusionAggregate;
pub use f1::f1_score;
pub use log_loss::LogLoss;
pub use pr_auc::pr_auc;
pub use precision::precision_score;
pub use r2::r2_score;
pub use ranking_aggregate::RankingAggregate;
pub use recall::recall_score;
pub use regression_aggregate::RegressionAggregate;
pub use rmse::rmse;

/// Every metric aggregate of this module.
pub fn functions() -> Vec<Arc<AggregateUDF>> {
    vec![
        Arc::new(AggregateUDF::from(auc())),
        Arc::new(AggregateUDF::from(pr_auc())),
        Arc::new(AggregateUDF::from(LogLoss::new())),
        Arc::new(AggregateUDF::from(accuracy_score())),
        Arc::new(AggregateUDF::from(precision_score())),
        Arc::new(AggregateUDF::from(recall_score())),
        Arc::new(AggregateUDF::from(f1_score())),
        Arc::new(AggregateUDF::from(rmse())),
        Arc::new(AggregateUDF::from(r2_score())),
    ]
}

/// Registers every function of [`functions`] on `ctx`.
pub fn register_all(ctx: &SessionContext) {
    for udaf in functions() {
        ctx.register_udaf(udaf.as_ref().clone());
    }
}

/// The documentation section the metric aggregates are listed under.
pub(crate) const DOC_SECTION_METRICS: DocSection = DocSection {
    include: true,
    label: "Model Evaluation Functions",
    description: Some("Aggregates that score predictions against labels or actual values."),
};

/// The threshold the confusion-based functions use when none is given.
pub(crate) const DEFAULT_THRESHOLD: f64 = 0.5;

/// Checks the number and types of a metric's arguments and casts them all to
/// DOUBLE. `params` are the required argument names, `optional` an optional
/// trailing one.
pub(crate) fn coerce_args(
    name: &str,
    params: &[&str],
    optional: Option<&str>,
    arg_types: &[DataType],
) -> Result<Vec<DataType>> {
    let (min, max) = (params.len(), params.len() + usize::from(optional.is_some()));
    if arg_types.len() < min || arg_types.len() > max {
        let expected = if min == max {
            min.to_string()
        } else {
            format!("{min} or {max}")
        };
        let usage = match optional {
            Some(opt) => format!("{name}({} [, {opt}])", params.join(", ")),
            None => format!("{name}({})", params.join(", ")),
        };
        return plan_err!(
            "{name} takes {expected} arguments, got {}; usage: {usage}",
            arg_types.len()
        );
    }
    let names = params.iter().copied().chain(optional);
    arg_types
        .iter()
        .zip(names)
        .enumerate()
        .map(|(i, (data_type, param))| {
            if data_type.is_numeric() || matches!(data_type, DataType::Boolean | DataType::Null) {
                Ok(DataType::Float64)
            } else {
                plan_err!(
                    "argument {} of {name} ({param}) must be numeric or boolean, got {data_type}",
                    i + 1
                )
            }
        })
        .collect()
}

/// Reads the optional constant `threshold` (third argument) of a
/// confusion-based function; [`DEFAULT_THRESHOLD`] when it is absent.
pub(crate) fn threshold_arg(name: &str, args: &AccumulatorArgs) -> Result<f64> {
    let expr = match args.exprs {
        [_, _] => return Ok(DEFAULT_THRESHOLD),
        [_, _, expr] => expr,
        other => return internal_err!("{name} called with {} arguments", other.len()),
    };
    let empty = RecordBatch::new_empty(Arc::new(Schema::empty()));
    match expr.evaluate(&empty) {
        Ok(ColumnarValue::Scalar(ScalarValue::Float64(Some(t)))) if !t.is_nan() => Ok(t),
        Ok(ColumnarValue::Scalar(ScalarValue::Float64(None))) => {
            plan_err!("{name}: threshold must not be NULL")
        }
        Ok(ColumnarValue::Scalar(ScalarValue::Float64(Some(_)))) => {
            plan_err!("{name}: threshold must not be NaN")
        }
        _ => plan_err!("{name}: threshold (argument 3) must be a constant such as 0.5"),
    }
}

/// Fails for `DISTINCT` calls: removing duplicate rows would change what a
/// metric measures.
pub(crate) fn reject_distinct(name: &str, args: &AccumulatorArgs) -> Result<()> {
    if args.is_distinct {
        return plan_err!("{name} does not support DISTINCT");
    }
    Ok(())
}

/// Calls `f(row, a, b)` for every row of the first two arguments where
/// neither is NULL and `filter` (a `FILTER (WHERE ...)` clause) is true.
pub(crate) fn for_each_pair(
    name: &str,
    values: &[ArrayRef],
    filter: Option<&BooleanArray>,
    mut f: impl FnMut(usize, f64, f64) -> Result<()>,
) -> Result<()> {
    let (a, b) = match values {
        [a, b] | [a, b, _] => (as_float64_array(a)?, as_float64_array(b)?),
        other => return internal_err!("{name} called with {} arguments", other.len()),
    };
    if a.len() != b.len() {
        return internal_err!("{name}: argument arrays differ in length");
    }
    if a.null_count() == 0 && b.null_count() == 0 && filter.is_none() {
        for (row, (&x, &y)) in a.values().iter().zip(b.values().iter()).enumerate() {
            f(row, x, y)?;
        }
        return Ok(());
    }
    for (row, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        let selected = filter.is_none_or(|fl| fl.is_valid(row) && fl.value(row));
        if let (Some(x), Some(y), true) = (x, y, selected) {
            f(row, x, y)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use datafusion::execution::FunctionRegistry;

    use super::*;

    #[test]
    fn names_are_unique_and_new() {
        let builtin = SessionContext::new();
        let mut seen = HashSet::new();
        for udaf in functions() {
            assert!(
                seen.insert(udaf.name().to_string()),
                "duplicate {}",
                udaf.name()
            );
            assert!(
                builtin.udaf(udaf.name()).is_err(),
                "{} shadows a built-in aggregate",
                udaf.name()
            );
        }
    }

    #[test]
    fn every_function_documents_itself() {
        for udaf in functions() {
            let doc = udaf.documentation();
            assert!(doc.is_some(), "{} has no documentation", udaf.name());
            let doc = doc.map(|d| d.syntax_example.clone()).unwrap_or_default();
            assert!(doc.starts_with(udaf.name()), "{doc}");
        }
    }

    #[test]
    fn coercion_names_bad_arguments() {
        let ok = coerce_args(
            "m",
            &["a", "b"],
            Some("t"),
            &[DataType::Int32, DataType::Boolean],
        );
        assert_eq!(ok.unwrap(), vec![DataType::Float64; 2]);
        let err = coerce_args("m", &["a", "b"], None, &[DataType::Int32]).unwrap_err();
        assert!(
            err.strip_backtrace()
                .contains("m takes 2 arguments, got 1; usage: m(a, b)")
        );
        let err = coerce_args("m", &["a", "b"], Some("t"), &vec![DataType::Int32; 4]).unwrap_err();
        assert!(
            err.strip_backtrace()
                .contains("m takes 2 or 3 arguments, got 4")
        );
        let err = coerce_args("m", &["a", "b"], None, &[DataType::Utf8, DataType::Int8]);
        let err = err.unwrap_err().strip_backtrace();
        assert!(
            err.contains("argument 1 of m (a) must be numeric or boolean, got Utf8"),
            "{err}"
        );
    }
}
