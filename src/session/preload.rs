//! What planning a statement needs from storage, loaded before it is planned:
//! DataFusion plans synchronously while storage is read asynchronously. The
//! function manifest says what each Firn function needs ([`Needs`]); this
//! module finds the calls in a statement — also inside queries passed to
//! table functions as text — and loads the models they name, the feature
//! store's catalog, or the tracking state.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    Expr as SqlExpr, FunctionArg, FunctionArgExpr, FunctionArguments, ObjectName, TableFactor,
    Value, Visit, Visitor,
};

use crate::error::Result;
use crate::functions::{Needs, lookup};
use crate::monitoring::monitors::data_query;
use crate::session::Session;
use crate::sql::{FirnStatement, parse_sql};

/// What a statement's function calls need loaded.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Preload {
    /// Model references (first arguments that are string literals), sorted, unique.
    pub models: Vec<String>,
    /// Whether a call reads the feature store.
    pub feature_store: bool,
    /// Whether a call reads the tracking state.
    pub tracking: bool,
    /// Monitors whose model and data a call needs, sorted, unique.
    pub monitors: Vec<String>,
}

impl Preload {
    /// What `statement`'s calls need.
    pub(crate) fn of(statement: &DFStatement) -> Self {
        let mut visitor = Calls::default();
        visitor.visit_statement(statement);
        let mut preload = visitor.preload;
        preload.models.sort();
        preload.models.dedup();
        preload.monitors.sort();
        preload.monitors.dedup();
        preload
    }
}

impl Session {
    /// Loads what planning `statement` needs (see the module docs).
    pub(super) async fn preload(&self, statement: &DFStatement) -> Result<()> {
        let mut preload = Preload::of(statement);
        // A monitor's run plans its data query and scores it with its model.
        for name in std::mem::take(&mut preload.monitors) {
            // An unknown monitor or model is reported by the run itself, in its words.
            if let Ok(monitor) = self.services.monitors.get(&name).await {
                let _ = self.services.resolver.preload(&monitor.reference()).await;
                if let Ok(statements) = parse_sql(&data_query(&monitor.data)) {
                    for statement in statements {
                        if let FirnStatement::DataFusion(statement) = statement {
                            let inner = Preload::of(&statement);
                            preload.models.extend(inner.models);
                            preload.feature_store |= inner.feature_store;
                            preload.tracking |= inner.tracking;
                        }
                    }
                }
            }
        }
        for reference in &preload.models {
            self.services.resolver.preload(reference).await?;
        }
        if preload.tracking {
            self.services.tracking.refresh().await?;
        }
        if preload.feature_store {
            self.services.feature_store.refresh().await?;
        }
        Ok(())
    }
}

fn string_literal(arg: &FunctionArg) -> Option<&str> {
    match arg {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(SqlExpr::Value(value))) => match &value.value {
            Value::SingleQuotedString(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

fn function_name(name: &ObjectName) -> Option<&str> {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .map(|ident| ident.value.as_str())
}

/// Collects what the calls of a statement need.
#[derive(Default)]
struct Calls {
    preload: Preload,
}

impl Calls {
    fn visit_statement(&mut self, statement: &DFStatement) {
        match statement {
            DFStatement::Statement(inner) => {
                let _ = inner.visit(self);
            }
            DFStatement::Explain(explain) => self.visit_statement(&explain.statement),
            _ => {}
        }
    }

    fn call(&mut self, name: &ObjectName, first_argument: Option<&str>) {
        let Some(entry) = function_name(name).and_then(lookup) else {
            return;
        };
        match entry.needs {
            Needs::Nothing => {}
            Needs::Model => {
                if let Some(reference) = first_argument {
                    self.preload.models.push(reference.to_string());
                }
            }
            Needs::FeatureStore => self.preload.feature_store = true,
            Needs::Tracking => self.preload.tracking = true,
            Needs::Monitor => {
                if let Some(name) = first_argument {
                    self.preload.monitors.push(name.to_string());
                }
            }
        }
    }
}

impl Visitor for Calls {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &SqlExpr) -> ControlFlow<()> {
        if let SqlExpr::Function(function) = expr {
            let first = match &function.args {
                FunctionArguments::List(list) => list.args.first().and_then(string_literal),
                _ => None,
            };
            self.call(&function.name, first);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            name,
            args: Some(args),
            ..
        } = factor
        {
            self.call(name, args.args.first().and_then(string_literal));
            // A query passed as text to a table function may call Firn's functions too.
            for text in args.args.iter().filter_map(string_literal) {
                if let Ok(statements) = parse_sql(text) {
                    for statement in statements {
                        if let FirnStatement::DataFusion(statement) = statement {
                            self.visit_statement(&statement);
                        }
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preload(sql: &str) -> Preload {
        let mut statements = parse_sql(sql).expect("parses");
        match statements.pop() {
            Some(FirnStatement::DataFusion(statement)) => Preload::of(&statement),
            _ => panic!("not a query: {sql}"),
        }
    }

    #[test]
    fn finds_models_in_scoring_calls_table_functions_and_nested_queries() {
        let found = preload(
            "SELECT PREDICT('b@v2', x), predict_proba('a', x) FROM evaluate('c', \
             'SELECT predict(''d'', x) FROM t') WHERE log_metric('e', 'r', 'm', 1) IS NULL",
        );
        assert_eq!(found.models, vec!["a", "b@v2", "c", "d"]);
        assert!(!found.feature_store && !found.tracking);
    }

    #[test]
    fn finds_feature_store_and_tracking_calls() {
        let found =
            preload("SELECT * FROM training_set('spine', 'v:v1') JOIN compare_runs('e') ON true");
        assert!(found.feature_store && found.tracking);
        assert!(found.models.is_empty());
        assert!(preload("EXPLAIN SELECT * FROM feature_view('v')").feature_store);
        assert_eq!(preload("SELECT 1").models.len(), 0);
    }
}
