//! Planning from inside planning: a table function looks up a table by name,
//! finds a column, or plans a query given as text while DataFusion plans the
//! statement that calls it. Firn's schemas resolve tables without awaiting, so
//! these complete at once.

use std::sync::Arc;

use datafusion::arrow::datatypes::{FieldRef, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::{Result, TableReference, plan_datafusion_err, plan_err};
use datafusion::datasource::TableProvider;
use datafusion::execution::session_state::SessionState;
use futures::FutureExt;

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
    crate::query::shape::check_shape(sql)?;
    state
        .create_logical_plan(sql)
        .now_or_never()
        .ok_or_else(|| {
            plan_datafusion_err!("{function}: '{sql}' cannot be planned while planning")
        })?
}
