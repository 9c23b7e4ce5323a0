//! Scoring functions find models in the database's registry through this
//! resolver. Loading is async (object store) while DataFusion's function hooks
//! are not, so a session preloads every model a statement names before
//! planning it (see [`model_references`]); the functions then read the cache.
//! Versions are immutable, so a loaded version is never stale; a reference
//! without a version is re-resolved on every statement, so a new default
//! version is picked up by the next query.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::{Arc, RwLock};

use datafusion::common::{Result as DfResult, plan_err};
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    Expr as SqlExpr, FunctionArg, FunctionArgExpr, FunctionArguments, ObjectName, TableFactor,
    Value, Visit, Visitor,
};
use firnml_udfs::model::{ModelResolver, ScoringModel};

use crate::error::Result;
use crate::registry::{Manifest, ModelRef, Registry};

/// The names of Firn's scoring functions, whose first argument names a model.
pub const SCORING_FUNCTIONS: &[&str] = &["predict", "predict_proba", "predict_label"];

/// The table functions whose first argument names a model.
pub const MODEL_TABLE_FUNCTIONS: &[&str] = &[
    "evaluate",
    "confusion_matrix",
    "roc_curve",
    "explain_predict",
    "feature_importance",
    "model_nodes",
    "cross_validate",
];

/// A model loaded for one reference: what scoring needs and what the registry says of it.
#[derive(Debug, Clone)]
pub struct ResolvedModel {
    /// The loaded model and its predictor.
    pub model: Arc<ScoringModel>,
    /// Its manifest (label, split, params, metrics …).
    pub manifest: Arc<Manifest>,
}

/// Resolves model references against a registry, caching loaded versions.
#[derive(Debug)]
pub struct RegistryResolver {
    registry: Registry,
    /// Reference as written → the model it resolved to at its last preload.
    resolved: RwLock<HashMap<String, ResolvedModel>>,
    /// `name@version` → loaded model.
    loaded: RwLock<HashMap<String, ResolvedModel>>,
}

impl RegistryResolver {
    /// A resolver over `registry`.
    pub fn new(registry: Registry) -> Self {
        Self {
            registry,
            resolved: RwLock::new(HashMap::new()),
            loaded: RwLock::new(HashMap::new()),
        }
    }

    /// Resolves `reference` now (reading the registry's pointers) and loads the
    /// version it names unless it is cached.
    pub async fn preload(&self, reference: &str) -> Result<ResolvedModel> {
        let model_ref = ModelRef::parse(reference)?;
        let (manifest, version) = self.registry.resolve(&model_ref).await?;
        let key = format!("{}@{version}", manifest.name);
        let cached = self
            .loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        let resolved = match cached {
            // Comments are mutable: keep the loaded model, take the fresh manifest.
            Some(cached) => ResolvedModel {
                model: cached.model,
                manifest: Arc::new(manifest),
            },
            None => {
                let (manifest, ensemble) = self
                    .registry
                    .load(&ModelRef::at(&manifest.name, &version)?)
                    .await?;
                let resolved = ResolvedModel {
                    model: Arc::new(ScoringModel::new(key.clone(), ensemble)),
                    manifest: Arc::new(manifest),
                };
                self.loaded
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, resolved.clone());
                resolved
            }
        };
        self.resolved
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(reference.to_string(), resolved.clone());
        Ok(resolved)
    }

    /// The model `reference` resolved to at its last preload.
    pub fn resolved(&self, reference: &str) -> DfResult<ResolvedModel> {
        match self
            .resolved
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(reference)
        {
            Some(resolved) => Ok(resolved.clone()),
            None => plan_err!(
                "model '{reference}' was not loaded for this statement; name the model with a string literal \
                 as the first argument"
            ),
        }
    }
}

impl ModelResolver for RegistryResolver {
    fn resolve(&self, reference: &str) -> DfResult<Arc<ScoringModel>> {
        Ok(self.resolved(reference)?.model)
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

fn is_one_of(name: &ObjectName, functions: &[&str]) -> bool {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .is_some_and(|ident| {
            functions
                .iter()
                .any(|f| ident.value.eq_ignore_ascii_case(f))
        })
}

/// Collects model references from expressions and table functions.
#[derive(Default)]
struct References {
    found: Vec<String>,
    table_functions: Vec<String>,
}

impl Visitor for References {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &SqlExpr) -> ControlFlow<()> {
        if let SqlExpr::Function(function) = expr
            && is_one_of(&function.name, SCORING_FUNCTIONS)
            && let FunctionArguments::List(list) = &function.args
            && let Some(reference) = list.args.first().and_then(string_literal)
        {
            self.found.push(reference.to_string());
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
            if let Some(ident) = name.0.last().and_then(|part| part.as_ident()) {
                self.table_functions.push(ident.value.to_ascii_lowercase());
            }
            if is_one_of(name, MODEL_TABLE_FUNCTIONS)
                && let Some(reference) = args.args.first().and_then(string_literal)
            {
                self.found.push(reference.to_string());
            }
            // A query passed as text to a table function may call predict(…) too.
            for text in args.args.iter().filter_map(string_literal) {
                if let Ok(statements) = crate::sql::parse_sql(text) {
                    for statement in statements {
                        if let crate::sql::FirnStatement::DataFusion(statement) = statement {
                            let (models, functions) = references(&statement);
                            self.found.extend(models);
                            self.table_functions.extend(functions);
                        }
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }
}

/// The model references (first arguments that are string literals) of every
/// scoring-function and model table-function call in `statement`.
pub fn model_references(statement: &DFStatement) -> Vec<String> {
    references(statement).0
}

/// The model references of `statement` (see [`model_references`]) and the
/// names of the table functions it calls (lower case), each sorted and unique.
pub fn references(statement: &DFStatement) -> (Vec<String>, Vec<String>) {
    let mut visitor = References::default();
    match statement {
        DFStatement::Statement(inner) => {
            let _ = inner.visit(&mut visitor);
        }
        DFStatement::Explain(explain) => return references(&explain.statement),
        _ => {}
    }
    let (mut models, mut functions) = (visitor.found, visitor.table_functions);
    models.sort();
    models.dedup();
    functions.sort();
    functions.dedup();
    (models, functions)
}
