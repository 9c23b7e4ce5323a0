//! Runs the feature store's statements: `CREATE/DROP ENTITY`,
//! `CREATE/DROP FEATURE VIEW` and `DESCRIBE FEATURE VIEW`. Each hands its
//! arguments to the `FeatureStore` method of the same meaning.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::error::DataFusionError;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::Statement as SQLStatement;

use crate::error::Result;
use crate::feature_store::names::{self, ViewRef};
use crate::feature_store::{NewEntity, NewFeatureView, unknown_view};
use crate::session::{QueryOutput, Session};
use crate::sql::{
    CreateEntity, CreateFeatureView, DescribeFeatureView, DropEntity, DropFeatureView,
};

/// `CREATE ENTITY`.
pub(super) async fn create_entity(
    session: &Session,
    statement: CreateEntity,
) -> Result<QueryOutput> {
    session
        .db
        .feature_store()
        .create_entity(NewEntity {
            name: statement.name,
            keys: statement.keys,
            comment: statement.comment,
            if_not_exists: statement.if_not_exists,
            or_replace: statement.or_replace,
        })
        .await?;
    Ok(QueryOutput::empty())
}

/// `DROP ENTITY`.
pub(super) async fn drop_entity(session: &Session, statement: &DropEntity) -> Result<QueryOutput> {
    session
        .db
        .feature_store()
        .drop_entity(&statement.name, statement.if_exists)
        .await?;
    Ok(QueryOutput::empty())
}

/// `CREATE FEATURE VIEW`: plans the query, then creates the version. Returns one
/// row: the view, the version, what happened, the snapshot's rows (materialized
/// only) and the number of features.
pub(super) async fn create_feature_view(
    session: &Session,
    statement: CreateFeatureView,
) -> Result<QueryOutput> {
    let store = session.db.feature_store();
    // The query may read other views (`feature_view(…)`): see their latest state.
    store.refresh().await?;
    let new = NewFeatureView {
        name: statement.name,
        version: statement.version,
        entity: statement.entity,
        timestamp: statement.timestamp,
        comment: statement.comment,
        materialized: statement.materialized,
        descriptions: statement.descriptions,
        query: statement.query.to_string(),
        if_not_exists: statement.if_not_exists,
        or_replace: statement.or_replace,
    };
    let query = DFStatement::Statement(Box::new(SQLStatement::Query(statement.query)));
    session.preload_models(&query).await?;
    let state = session.ctx.state();
    let plan = state.statement_to_plan(query).await?;
    let (outcome, version) = store.create_view(&state, new, plan).await?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("feature_view", DataType::Utf8, false),
        Field::new("version", DataType::Utf8, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("rows", DataType::Int64, true),
        Field::new("features", DataType::Int64, false),
    ]));
    let rows = version
        .snapshot
        .as_ref()
        .map(|s| i64::try_from(s.rows).unwrap_or(i64::MAX));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![version.name.clone()])),
        Arc::new(StringArray::from(vec![version.version.clone()])),
        Arc::new(StringArray::from(vec![outcome.name()])),
        Arc::new(Int64Array::from(vec![rows])),
        Arc::new(Int64Array::from(vec![version.features().count() as i64])),
    ];
    let batch =
        RecordBatch::try_new(Arc::clone(&schema), columns).map_err(DataFusionError::from)?;
    Ok(QueryOutput {
        schema,
        batches: vec![batch],
    })
}

/// `DROP FEATURE VIEW`.
pub(super) async fn drop_feature_view(
    session: &Session,
    statement: &DropFeatureView,
) -> Result<QueryOutput> {
    session
        .db
        .feature_store()
        .drop_view(
            &statement.name,
            statement.version.as_deref(),
            statement.if_exists,
        )
        .await?;
    Ok(QueryOutput::empty())
}

/// `DESCRIBE FEATURE VIEW`: the version's columns (as `firn.feature_view_columns`
/// has them), then a `source` row per table or view its query reads.
pub(super) async fn describe_feature_view(
    session: &Session,
    statement: &DescribeFeatureView,
) -> Result<QueryOutput> {
    let name = names::feature_view(&statement.name)?;
    let catalog = session.db.feature_store().refresh().await?;
    let version = match &statement.version {
        Some(version) => {
            let reference = ViewRef::new(&name, version)?;
            catalog.view(&reference).cloned()
        }
        None => catalog.versions_of(&name).last().map(|v| Arc::clone(v)),
    }
    .ok_or_else(|| unknown_view(&catalog, &name, statement.version.as_deref()))?;
    let mut column_names: Vec<String> = Vec::new();
    let mut types: Vec<Option<String>> = Vec::new();
    let mut roles: Vec<&str> = Vec::new();
    let mut descriptions: Vec<Option<String>> = Vec::new();
    for column in &version.columns {
        column_names.push(column.name.clone());
        types.push(Some(column.data_type.clone()));
        roles.push(column.role.name());
        descriptions.push(column.description.clone());
    }
    for source in &version.lineage {
        column_names.push(source.clone());
        types.push(None);
        roles.push("source");
        descriptions.push(None);
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("column_name", DataType::Utf8, false),
        Field::new("data_type", DataType::Utf8, true),
        Field::new("role", DataType::Utf8, false),
        Field::new("description", DataType::Utf8, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(column_names)),
        Arc::new(StringArray::from(types)),
        Arc::new(StringArray::from(roles)),
        Arc::new(StringArray::from(descriptions)),
    ];
    let batch =
        RecordBatch::try_new(Arc::clone(&schema), columns).map_err(DataFusionError::from)?;
    Ok(QueryOutput {
        schema,
        batches: vec![batch],
    })
}
