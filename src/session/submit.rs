//! Running one statement for a front end that streams results (the Flight SQL
//! server): a query is planned but not run, so its rows can be streamed as they
//! are computed; every other statement — DDL, DML, `SHOW`, Firn's own statements
//! such as `CREATE MODEL` — runs now, exactly as [`Session::execute`] runs it, and
//! its (small) result is returned whole. Nothing runs twice.

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::source_as_provider;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::DataFrame;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;

use crate::error::{Error, Result};
use crate::query::deferred::DeferredTable;
use crate::session::{QueryOutput, Session};
use crate::sql::{FirnStatement, parse_sql};

/// A statement handed to [`Session::submit`].
#[derive(Debug)]
pub enum Submitted {
    /// A query, planned: run it with `execute_stream()` to stream its rows.
    Query(DataFrame),
    /// A statement that has run, with its result.
    Done(QueryOutput),
}

impl Session {
    /// Plans a query without running it, or runs any other statement now.
    /// `sql` must hold exactly one statement.
    pub async fn submit(&self, sql: &str) -> Result<Submitted> {
        let mut statements = parse_sql(sql)?;
        if statements.len() != 1 {
            return Err(Error::DataFusion(datafusion::error::DataFusionError::Plan(
                format!("expected exactly one statement, found {}", statements.len()),
            )));
        }
        let statement = statements.remove(0);
        match statement {
            FirnStatement::DataFusion(statement) if is_query(&statement) => {
                self.preload(&statement).await?;
                let plan = self.ctx.state().statement_to_plan(*statement).await?;
                let run_now = matches!(
                    plan,
                    LogicalPlan::Dml(_)
                        | LogicalPlan::Ddl(_)
                        | LogicalPlan::Copy(_)
                        | LogicalPlan::Statement(_)
                ) || has_deferred_work(&plan);
                let frame = self.ctx.execute_logical_plan(plan).await?;
                if run_now {
                    // A query that writes (`WITH … INSERT`) or calls a function whose work
                    // happens when it runs (training, logging a run, changing the registry)
                    // runs now, exactly once, as in the shell — not only if its rows are fetched.
                    let limit = crate::session::statement_timeout::of(&self.ctx);
                    let output = crate::session::statement_timeout::limit(
                        limit,
                        QueryOutput::collect(frame),
                    )
                    .await?;
                    return Ok(Submitted::Done(output));
                }
                Ok(Submitted::Query(frame))
            }
            statement => Ok(Submitted::Done(self.run(statement, true).await?)),
        }
    }
}

/// Whether a plan (subqueries included) scans one of Firn's deferred table
/// functions (`train_model`, `log_metric`, `set_default_version`, `evaluate`, …).
fn has_deferred_work(plan: &LogicalPlan) -> bool {
    let mut found = false;
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && source_as_provider(&scan.source).is_ok_and(|p| p.is::<DeferredTable>())
        {
            found = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}

/// Whether a statement only reads (`SELECT`, `VALUES`, `WITH …`): those are
/// planned and streamed; everything else runs at once.
pub(crate) fn is_query(statement: &DFStatement) -> bool {
    matches!(statement, DFStatement::Statement(inner) if matches!(inner.as_ref(), SqlStatement::Query(_)))
}

/// Whether `sql` is exactly one query (`SELECT …`, `WITH …`, `VALUES …`), the
/// kind of statement [`Session::dataframe`](crate::Session::dataframe) plans and
/// a front door may stream; `false` for anything else or anything that does not parse.
pub fn is_single_query(sql: &str) -> bool {
    matches!(
        crate::sql::parse_sql(sql).as_deref(),
        Ok([crate::sql::FirnStatement::DataFusion(statement)]) if is_query(statement)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Database;
    use datafusion::arrow::array::AsArray;

    #[tokio::test]
    async fn queries_are_planned_and_other_statements_run_once() {
        let db = Database::in_memory().await.expect("db");
        let session = db.session();
        match session.submit("CREATE TABLE t AS SELECT 1 AS x").await {
            Ok(Submitted::Done(output)) => assert_eq!(output.num_rows(), 0),
            other => panic!("expected a finished statement, got {other:?}"),
        }
        match session.submit("INSERT INTO t VALUES (2)").await {
            Ok(Submitted::Done(output)) => assert_eq!(output.num_rows(), 1),
            other => panic!("expected a finished statement, got {other:?}"),
        }
        let Ok(Submitted::Query(frame)) = session.submit("SELECT x FROM t ORDER BY x").await else {
            panic!("expected a planned query");
        };
        // Planned, not run: a row inserted now is seen when the query runs.
        session
            .sql("INSERT INTO t VALUES (3)")
            .await
            .expect("insert");
        let batches = frame.collect().await.expect("run");
        assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 3);
        // A function whose work happens when it runs is run at once, not when fetched.
        match session
            .submit("SELECT * FROM log_metric('e', 'r', 'f1', 0.5)")
            .await
        {
            Ok(Submitted::Done(output)) => assert_eq!(output.num_rows(), 1),
            other => panic!("expected a finished statement, got {other:?}"),
        }
        let runs = session
            .sql("SELECT count(*) FROM firn.run_metrics")
            .await
            .expect("metrics");
        assert_eq!(
            runs[0]
                .column(0)
                .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
                .value(0),
            1
        );
        let err = session.submit("SELECT 1; SELECT 2").await.unwrap_err();
        assert!(err.to_string().contains("exactly one statement"), "{err}");
    }
}
