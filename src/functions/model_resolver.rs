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
    Expr as SqlExpr, FunctionArg, FunctionArgExpr, FunctionArguments, Value, visit_expressions,
};
use firnml_udfs::model::{ModelResolver, ScoringModel};

use crate::error::Result;
use crate::registry::{ModelRef, Registry};

/// The names of Firn's scoring functions, whose first argument names a model.
pub const SCORING_FUNCTIONS: &[&str] = &["predict", "predict_proba", "predict_label"];

/// Resolves model references against a registry, caching loaded versions.
#[derive(Debug)]
pub struct RegistryResolver {
    registry: Registry,
    /// Reference as written → the model it resolved to at its last preload.
    resolved: RwLock<HashMap<String, Arc<ScoringModel>>>,
    /// `name@version` → loaded model.
    loaded: RwLock<HashMap<String, Arc<ScoringModel>>>,
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
    pub async fn preload(&self, reference: &str) -> Result<()> {
        let model_ref = ModelRef::parse(reference)?;
        let (manifest, version) = self.registry.resolve(&model_ref).await?;
        let key = format!("{}@{version}", manifest.name);
        let cached = self
            .loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        let model = match cached {
            Some(model) => model,
            None => {
                let (_, ensemble) = self
                    .registry
                    .load(&ModelRef::at(&manifest.name, &version)?)
                    .await?;
                let model = Arc::new(ScoringModel::new(key.clone(), ensemble));
                self.loaded
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, Arc::clone(&model));
                model
            }
        };
        self.resolved
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(reference.to_string(), model);
        Ok(())
    }
}

impl ModelResolver for RegistryResolver {
    fn resolve(&self, reference: &str) -> DfResult<Arc<ScoringModel>> {
        match self
            .resolved
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(reference)
        {
            Some(model) => Ok(Arc::clone(model)),
            None => plan_err!(
                "model '{reference}' was not loaded for this statement; name the model with a string literal \
                 as the first argument of predict(…)"
            ),
        }
    }
}

/// The model references (first arguments that are string literals) of every
/// scoring-function call in `statement`.
pub fn model_references(statement: &DFStatement) -> Vec<String> {
    let mut references = Vec::new();
    let mut collect = |expr: &SqlExpr| {
        if let SqlExpr::Function(function) = expr
            && let Some(name) = function.name.0.last().and_then(|part| part.as_ident())
            && SCORING_FUNCTIONS
                .iter()
                .any(|f| name.value.eq_ignore_ascii_case(f))
            && let FunctionArguments::List(list) = &function.args
            && let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(SqlExpr::Value(value)))) =
                list.args.first()
            && let Value::SingleQuotedString(reference) = &value.value
        {
            references.push(reference.clone());
        }
        ControlFlow::<()>::Continue(())
    };
    match statement {
        DFStatement::Statement(inner) => {
            let _ = visit_expressions(inner.as_ref(), &mut collect);
        }
        DFStatement::Explain(explain) => return model_references(&explain.statement),
        _ => {}
    }
    references.sort();
    references.dedup();
    references
}
