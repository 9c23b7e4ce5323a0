//! The one list of Firn's SQL functions. Each row names a function, says what
//! it needs loaded before a statement calling it is planned, and makes it.
//! Registration reads this list (every session gets every function), and so
//! does the per-statement preload (`crate::session`), so a function cannot be
//! registered without saying what it needs. Adding a table function is its
//! file, one row in its family's list, and its `.slt` cases.
//!
//! Families (each exposes `functions()`, as DataFusion's function crates do):
//! [`super::data`], [`super::models`], [`super::feature_store`],
//! [`super::tracking`], and [`super::kernels`] (the `firnml-udfs` crate's
//! scalar and aggregate functions).

use std::sync::Arc;

use datafusion::catalog::TableFunctionImpl;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion::prelude::SessionContext;
use firnml_udfs::model::ModelResolver;

use crate::services::Services;

/// What a function needs loaded before a statement calling it is planned.
/// DataFusion plans synchronously while storage is read asynchronously, so the
/// session loads these first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    /// Nothing beyond its arguments.
    Nothing,
    /// The model its first argument names (a string literal: `'m'`, `'m@v2'`).
    Model,
    /// The feature store's current catalog (entities, feature views).
    FeatureStore,
    /// The tracking log's current state (experiments, runs).
    Tracking,
    /// What the monitor its first argument names needs: its model and what its
    /// data query's calls need.
    Monitor,
}

/// How a function is made.
#[derive(Clone, Copy)]
pub(crate) enum Make {
    /// A table function over the database's services.
    Table(fn(&Services) -> Arc<dyn TableFunctionImpl>),
    /// A scalar function; model-scoring functions find models through the resolver.
    Scalar(fn(Arc<dyn ModelResolver>) -> ScalarUDF),
    /// An aggregate function (pure Arrow compute).
    Aggregate(fn() -> AggregateUDF),
}

/// One row of the manifest.
#[derive(Clone, Copy)]
pub(crate) struct FunctionEntry {
    /// The SQL name (lower case).
    pub name: &'static str,
    /// What planning a call needs loaded.
    pub needs: Needs,
    /// The function itself.
    pub make: Make,
}

impl FunctionEntry {
    /// A table function row.
    pub(crate) const fn table(
        name: &'static str,
        needs: Needs,
        make: fn(&Services) -> Arc<dyn TableFunctionImpl>,
    ) -> Self {
        Self {
            name,
            needs,
            make: Make::Table(make),
        }
    }

    /// A scalar function row.
    pub(crate) const fn scalar(
        name: &'static str,
        needs: Needs,
        make: fn(Arc<dyn ModelResolver>) -> ScalarUDF,
    ) -> Self {
        Self {
            name,
            needs,
            make: Make::Scalar(make),
        }
    }

    /// An aggregate function row.
    pub(crate) const fn aggregate(name: &'static str, make: fn() -> AggregateUDF) -> Self {
        Self {
            name,
            needs: Needs::Nothing,
            make: Make::Aggregate(make),
        }
    }
}

/// Every Firn function, family by family.
pub(crate) fn manifest() -> impl Iterator<Item = &'static FunctionEntry> {
    [
        super::data::functions(),
        super::models::functions(),
        super::feature_store::functions(),
        super::tracking::functions(),
        super::kernels::functions(),
    ]
    .into_iter()
    .flatten()
}

/// The manifest row of the function called `name` (any case), if it is Firn's.
pub(crate) fn lookup(name: &str) -> Option<&'static FunctionEntry> {
    manifest().find(|entry| entry.name.eq_ignore_ascii_case(name))
}

/// The scalar and aggregate functions of the manifest, scoring through
/// `resolver`: what a cluster's scheduler and executors need to run the parts
/// of a plan they receive (table functions are planned on the client only).
pub(crate) fn row_functions(
    resolver: &Arc<dyn ModelResolver>,
) -> (Vec<Arc<ScalarUDF>>, Vec<Arc<AggregateUDF>>) {
    let (mut scalars, mut aggregates) = (Vec::new(), Vec::new());
    for entry in manifest() {
        match entry.make {
            Make::Table(_) => {}
            Make::Scalar(make) => scalars.push(Arc::new(make(Arc::clone(resolver)))),
            Make::Aggregate(make) => aggregates.push(Arc::new(make())),
        }
    }
    (scalars, aggregates)
}

/// Registers every function of the manifest on `ctx`.
pub(crate) fn register_all(ctx: &SessionContext, services: &Services) {
    let resolver: Arc<dyn ModelResolver> = Arc::clone(&services.resolver) as _;
    for entry in manifest() {
        match entry.make {
            Make::Table(make) => ctx.register_udtf(entry.name, make(services)),
            Make::Scalar(make) => ctx.register_udf(make(Arc::clone(&resolver))),
            Make::Aggregate(make) => ctx.register_udaf(make()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;

    use super::*;

    /// A name is listed once per kind. `predict` is both a scalar and a table
    /// function (DataFusion keeps the two apart); the preload looks rows up by
    /// name, so the two must need the same.
    #[test]
    fn names_are_unique_per_kind_and_lower_case() {
        let mut seen = HashSet::new();
        for entry in manifest() {
            let table = matches!(entry.make, Make::Table(_));
            assert!(
                seen.insert((entry.name, table)),
                "{} is listed twice",
                entry.name
            );
            assert_eq!(entry.name, entry.name.to_ascii_lowercase());
            assert_eq!(
                lookup(entry.name).map(|e| e.needs),
                Some(entry.needs),
                "{}",
                entry.name
            );
        }
    }

    /// A scalar or aggregate function's own name is the manifest's name, so
    /// the preload finds the row of every call DataFusion resolves.
    #[test]
    fn scalar_and_aggregate_names_match_their_functions() {
        #[derive(Debug)]
        struct NoModels;
        impl ModelResolver for NoModels {
            fn resolve(
                &self,
                reference: &str,
            ) -> datafusion::common::Result<Arc<firnml_udfs::model::ScoringModel>> {
                datafusion::common::plan_err!("no model {reference}")
            }
        }
        for entry in manifest() {
            let name = match entry.make {
                Make::Table(_) => continue,
                Make::Scalar(make) => make(Arc::new(NoModels)).name().to_string(),
                Make::Aggregate(make) => make().name().to_string(),
            };
            assert_eq!(name, entry.name);
        }
    }

    #[tokio::test]
    async fn every_function_is_registered_in_a_session() {
        let db = crate::Database::in_memory().await.expect("db");
        let ctx = db.session().context().clone();
        for entry in manifest() {
            let state = ctx.state();
            let found = match entry.make {
                Make::Table(_) => state.table_functions().contains_key(entry.name),
                Make::Scalar(_) => state.scalar_functions().contains_key(entry.name),
                Make::Aggregate(_) => state.aggregate_functions().contains_key(entry.name),
            };
            assert!(found, "{} is not registered", entry.name);
        }
    }

    /// The reference inside the product (`SHOW FUNCTIONS`, `\h`) documents
    /// every function of the manifest, and documents nothing else as a function.
    #[test]
    fn every_function_has_its_reference_entry() {
        use crate::sql::reference::{Kind, REFERENCE};
        let kind_of = |entry: &FunctionEntry| match entry.make {
            Make::Table(_) => Kind::Table,
            Make::Scalar(_) => Kind::Scalar,
            Make::Aggregate(_) => Kind::Aggregate,
        };
        for entry in manifest() {
            assert!(
                REFERENCE
                    .iter()
                    .any(|e| e.name == entry.name && e.kind == kind_of(entry)),
                "{} ({}) has no entry in src/sql/reference.rs",
                entry.name,
                kind_of(entry).name()
            );
        }
        for documented in REFERENCE.iter().filter(|e| e.kind != Kind::Statement) {
            assert!(
                manifest().any(|e| e.name == documented.name && kind_of(e) == documented.kind),
                "src/sql/reference.rs documents {} ({}), which is not in the manifest",
                documented.name,
                documented.kind.name()
            );
        }
    }
}
