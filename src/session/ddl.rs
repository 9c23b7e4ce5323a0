//! Firn's handling of DDL that DataFusion would otherwise keep in memory:
//! `CREATE TABLE … AS` becomes a persistent Parquet table, and the statements
//! of external tables and views are stored so a reopened database has them.

use std::collections::HashSet;
use std::path::Path as FsPath;
use std::sync::Arc;

use datafusion::common::{TableReference, plan_err};
use datafusion::logical_expr::{CreateMemoryTable, DdlStatement, LogicalPlan};
use datafusion::prelude::DataFrame;
use datafusion::sql::parser::Statement as DFStatement;

use crate::catalog::definitions::{self, RelationDefinition, RelationKind};
use crate::catalog::external_table;
use crate::catalog::schema::validate_table_name;
use crate::catalog::{DEFAULT_CATALOG, DEFAULT_SCHEMA};
use crate::error::Result;
use crate::session::{QueryOutput, Session};
use crate::storage::store::DatabaseStore;

/// Whether `name` resolves to Firn's default (persistent) schema.
pub(super) fn is_default_schema(name: &TableReference) -> bool {
    name.catalog().is_none_or(|c| c == DEFAULT_CATALOG)
        && name.schema().is_none_or(|s| s == DEFAULT_SCHEMA)
}

/// `CREATE [OR REPLACE] TABLE name AS query` into a persistent table.
pub(super) async fn create_table_as(
    session: &Session,
    cmd: CreateMemoryTable,
) -> Result<QueryOutput> {
    let name = cmd.name.table().to_string();
    let schema = Arc::clone(&session.services.schema);
    if cmd.temporary {
        return plan_err!("temporary tables are not supported; use CREATE TABLE")
            .map_err(Into::into);
    }
    if cmd.if_not_exists && cmd.or_replace {
        return plan_err!("'IF NOT EXISTS' cannot be combined with 'OR REPLACE'")
            .map_err(Into::into);
    }
    let exists = datafusion::catalog::SchemaProvider::table_exist(schema.as_ref(), &name);
    if exists && cmd.if_not_exists {
        return Ok(QueryOutput::empty());
    }
    if exists && !cmd.or_replace {
        return plan_err!(
            "table '{name}' already exists; use CREATE OR REPLACE TABLE to replace it"
        )
        .map_err(Into::into);
    }
    let input = Arc::unwrap_or_clone(cmd.input);
    ensure_unique_column_names(&input)?;
    let frame = DataFrame::new(session.context().state(), input.clone());
    let arrow_schema = Arc::clone(frame.schema().inner());
    let columns: Vec<String> = arrow_schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let stream = frame.execute_stream().await?;
    schema
        .create_table(&name, arrow_schema, stream, cmd.or_replace)
        .await?;
    let features = Arc::clone(&session.services.feature_store);
    features.record_table(&name, &input, &columns).await?;
    Ok(QueryOutput::empty())
}

fn ensure_unique_column_names(plan: &LogicalPlan) -> Result<()> {
    let mut seen = HashSet::new();
    for field in plan.schema().fields() {
        if !seen.insert(field.name()) {
            return plan_err!(
                "column '{}' appears more than once in the query; give each column a distinct name with AS",
                field.name()
            )
            .map_err(Into::into);
        }
    }
    Ok(())
}

/// The statement to store for an external table, with local paths made absolute
/// so the database can be reopened from any working directory.
pub(super) fn definition_sql(statement: &DFStatement) -> Result<Option<String>> {
    let DFStatement::CreateExternalTable(create) = statement else {
        return Ok(None);
    };
    let mut create = create.clone();
    create.if_not_exists = false;
    create.or_replace = false;
    for location in &mut create.locations {
        if !location.contains("://") {
            let absolute = std::path::absolute(FsPath::new(location.as_str()))
                .map_err(|e| crate::Error::io(format!("cannot resolve path '{location}'"), e))?;
            let mut absolute = absolute.to_string_lossy().into_owned();
            if location.ends_with('/') && !absolute.ends_with('/') {
                absolute.push('/');
            }
            *location = absolute;
        }
    }
    Ok(Some(external_table::definition_text(&create)))
}

/// What to record in the catalog once a statement has succeeded.
pub(super) enum PersistedRelation {
    None,
    Save(RelationDefinition),
    Remove(String),
}

impl PersistedRelation {
    /// Carries out the change in the database's storage.
    pub(super) async fn apply(self, store: &DatabaseStore) -> Result<()> {
        match self {
            PersistedRelation::None => Ok(()),
            PersistedRelation::Save(definition) => definitions::save(store, &definition).await,
            PersistedRelation::Remove(name) => definitions::remove(store, &name).await,
        }
    }
}

/// Decides what a DDL plan changes among the stored definitions.
pub(super) fn persisted_relation(
    plan: &LogicalPlan,
    external_sql: Option<String>,
) -> Result<PersistedRelation> {
    let LogicalPlan::Ddl(ddl) = plan else {
        return Ok(PersistedRelation::None);
    };
    // A stored relation's name names its definition file: the rule of every stored object.
    match ddl {
        DdlStatement::CreateExternalTable(cmd) if is_default_schema(&cmd.name) => {
            validate_table_name(cmd.name.table())?;
        }
        DdlStatement::CreateView(cmd) if is_default_schema(&cmd.name) && !cmd.temporary => {
            validate_table_name(cmd.name.table())?;
        }
        _ => {}
    }
    Ok(match ddl {
        DdlStatement::CreateExternalTable(cmd) if is_default_schema(&cmd.name) => {
            match external_sql {
                Some(sql) => PersistedRelation::Save(RelationDefinition::new(
                    cmd.name.table(),
                    RelationKind::ExternalTable,
                    sql,
                )),
                None => PersistedRelation::None,
            }
        }
        DdlStatement::CreateView(cmd) if is_default_schema(&cmd.name) && !cmd.temporary => {
            match &cmd.definition {
                Some(sql) => PersistedRelation::Save(RelationDefinition::new(
                    cmd.name.table(),
                    RelationKind::View,
                    sql.clone(),
                )),
                None => PersistedRelation::None,
            }
        }
        DdlStatement::DropTable(cmd) if is_default_schema(&cmd.name) => {
            PersistedRelation::Remove(cmd.name.table().into())
        }
        DdlStatement::DropView(cmd) if is_default_schema(&cmd.name) => {
            PersistedRelation::Remove(cmd.name.table().into())
        }
        _ => PersistedRelation::None,
    })
}
