//! Reading the arguments of SQL functions: constant strings, numbers and dates,
//! and the model a string literal names — the one place every function reads
//! its arguments through.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::Expr;

use crate::scoring::resolver::{RegistryResolver, ResolvedModel};

/// The signature of a table function, shown in every argument error.
pub struct Signature {
    /// Function name.
    pub name: &'static str,
    /// Parameters as `name TYPE` strings.
    pub params: &'static [&'static str],
}

impl Signature {
    /// `name(p1 T1, p2 T2, …)`.
    pub fn display(&self) -> String {
        format!("{}({})", self.name, self.params.join(", "))
    }

    /// Checks the argument count.
    pub fn check_count(&self, args: &[Expr]) -> Result<()> {
        if args.len() != self.params.len() {
            return plan_err!(
                "{} takes {} arguments, got {}; expected {}",
                self.name,
                self.params.len(),
                args.len(),
                self.display()
            );
        }
        Ok(())
    }

    fn bad_arg<T>(&self, index: usize, got: &Expr, wanted: &str) -> Result<T> {
        plan_err!(
            "argument {} of {} ({}) must be {wanted}, got {got}; expected {}",
            index + 1,
            self.name,
            self.params[index],
            self.display()
        )
    }

    /// A constant string argument.
    pub fn string(&self, args: &[Expr], index: usize) -> Result<String> {
        match string_arg(args, index) {
            Some(text) => Ok(text),
            None => self.bad_arg(index, &args[index], "a string literal"),
        }
    }

    /// A constant date argument, as days since the Unix epoch: `DATE '2024-06-30'`
    /// or the string `'2024-06-30'`.
    pub fn date(&self, args: &[Expr], index: usize) -> Result<i32> {
        let value = match &args[index] {
            Expr::Literal(value, _) => value.clone(),
            Expr::Cast(cast) => match cast.expr.as_ref() {
                Expr::Literal(value, _) => value.cast_to(cast.field.data_type())?,
                other => return self.bad_arg(index, other, "a constant date"),
            },
            other => return self.bad_arg(index, other, "a constant date"),
        };
        let as_date = match value {
            ScalarValue::Date32(Some(_)) => value,
            ScalarValue::Utf8(Some(_))
            | ScalarValue::Utf8View(Some(_))
            | ScalarValue::LargeUtf8(Some(_)) => {
                value.cast_to(&DataType::Date32).or_else(|_| {
                    self.bad_arg(index, &args[index], "a date such as DATE '2024-06-30'")
                })?
            }
            _ => return self.bad_arg(index, &args[index], "a date such as DATE '2024-06-30'"),
        };
        match as_date {
            ScalarValue::Date32(Some(days)) => Ok(days),
            _ => self.bad_arg(index, &args[index], "a date such as DATE '2024-06-30'"),
        }
    }
}

/// The model named by argument `index` (a string literal), as preloaded for this statement.
pub(crate) fn model_arg(
    resolver: &RegistryResolver,
    args: &[Expr],
    index: usize,
    usage: &str,
) -> Result<ResolvedModel> {
    match args.get(index) {
        Some(Expr::Literal(
            ScalarValue::Utf8(Some(reference))
            | ScalarValue::Utf8View(Some(reference))
            | ScalarValue::LargeUtf8(Some(reference)),
            _,
        )) => resolver.resolved(reference),
        _ => plan_err!(
            "argument {} must name a model as a string literal such as 'churn@v2'; expected {usage}",
            index + 1
        ),
    }
}

/// A constant string argument, if argument `index` is one.
pub(crate) fn string_arg(args: &[Expr], index: usize) -> Option<String> {
    match args.get(index) {
        Some(Expr::Literal(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::Utf8View(Some(s))
            | ScalarValue::LargeUtf8(Some(s)),
            _,
        )) => Some(s.clone()),
        _ => None,
    }
}

/// A constant number argument, if argument `index` is one.
pub(crate) fn number_arg(args: &[Expr], index: usize) -> Option<f64> {
    match args.get(index) {
        Some(Expr::Literal(value, _))
            if !matches!(
                value,
                ScalarValue::Utf8(_) | ScalarValue::Utf8View(_) | ScalarValue::LargeUtf8(_)
            ) =>
        {
            match value.cast_to(&DataType::Float64) {
                Ok(ScalarValue::Float64(Some(v))) => Some(v),
                _ => None,
            }
        }
        _ => None,
    }
}
