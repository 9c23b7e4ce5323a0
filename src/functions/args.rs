//! Reading the arguments of table functions: constant strings and dates, tables
//! looked up by name, columns looked up case-insensitively.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, FieldRef, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::{Result, ScalarValue, TableReference, plan_datafusion_err, plan_err};
use datafusion::datasource::TableProvider;
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::Expr;
use futures::FutureExt;

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
        match &args[index] {
            Expr::Literal(
                ScalarValue::Utf8(Some(s))
                | ScalarValue::Utf8View(Some(s))
                | ScalarValue::LargeUtf8(Some(s)),
                _,
            ) => Ok(s.clone()),
            other => self.bad_arg(index, other, "a string literal"),
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

/// Looks up a table by (possibly qualified) name in the calling session.
pub fn resolve_table(
    session: &dyn Session,
    name: &str,
    function: &str,
) -> Result<(TableReference, Arc<dyn TableProvider>)> {
    let Some(state) = session.as_any().downcast_ref::<SessionState>() else {
        return plan_err!("{function} can only be called from a Firn/DataFusion session");
    };
    let reference = TableReference::parse_str(name);
    let schema = state.schema_for_ref(reference.clone())?;
    // Firn's schemas resolve tables without awaiting; a provider that would block is refused.
    let table = schema
        .table(reference.table())
        .now_or_never()
        .ok_or_else(|| {
            plan_datafusion_err!("{function}: table '{name}' cannot be resolved while planning")
        })??;
    match table {
        Some(table) => Ok((reference, table)),
        None => plan_err!("{function}: table '{name}' does not exist"),
    }
}

/// Finds column `name` in `schema`: an exact match, else the one match ignoring case.
pub fn find_column(
    schema: &SchemaRef,
    name: &str,
    table: &str,
    function: &str,
) -> Result<FieldRef> {
    if let Ok(field) = schema.field_with_name(name) {
        return Ok(Arc::new(field.clone()));
    }
    let matches: Vec<_> = schema
        .fields()
        .iter()
        .filter(|f| f.name().eq_ignore_ascii_case(name))
        .collect();
    match matches.as_slice() {
        [field] => Ok(Arc::clone(field)),
        _ => {
            let columns: Vec<_> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            plan_err!(
                "{function}: table '{table}' has no column '{name}'; its columns are: {}",
                columns.join(", ")
            )
        }
    }
}

/// Plans `sql` (one query) in the calling session, without awaiting: Firn's
/// schemas resolve tables synchronously, so planning completes at once.
pub fn plan_query_now(
    session: &dyn Session,
    sql: &str,
    function: &str,
) -> Result<datafusion::logical_expr::LogicalPlan> {
    let Some(state) = session.as_any().downcast_ref::<SessionState>() else {
        return plan_err!("{function} can only be called from a Firn/DataFusion session");
    };
    state
        .create_logical_plan(sql)
        .now_or_never()
        .ok_or_else(|| {
            plan_datafusion_err!("{function}: '{sql}' cannot be planned while planning")
        })?
}
