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
        .services
        .feature_store
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
        .services
        .feature_store
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
    let store = Arc::clone(&session.services.feature_store);
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
    session.preload(&query).await?;
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
        .services
        .feature_store
        .drop_view(
            &statement.name,
            statement.version.as_deref(),
            statement.if_exists,
        )
        .await?;
    Ok(QueryOutput::empty())
}

/// `DESCRIBE FEATURE VIEW`: the version's columns, read from
/// `firn.feature_view_columns`, then a `source` row per table or view its query reads.
pub(super) async fn describe_feature_view(
    session: &Session,
    statement: &DescribeFeatureView,
) -> Result<QueryOutput> {
    let name = names::feature_view(&statement.name)?;
    let catalog = Arc::clone(&session.services.feature_store)
        .refresh()
        .await?;
    let version = match &statement.version {
        Some(version) => {
            let reference = ViewRef::new(&name, version)?;
            catalog.view(&reference).cloned()
        }
        None => catalog.versions_of(&name).last().map(|v| Arc::clone(v)),
    }
    .ok_or_else(|| unknown_view(&catalog, &name, statement.version.as_deref()))?;
    let literal = |text: &str| format!("'{}'", text.replace('\'', "''"));
    let sources: Vec<String> = version
        .lineage
        .iter()
        .enumerate()
        .map(|(i, source)| {
            format!(
                "SELECT {} AS column_name, arrow_cast(NULL, 'Utf8') AS data_type, 'source' AS role, \
                 arrow_cast(NULL, 'Utf8') AS description, {} AS ordinal",
                literal(source),
                version.columns.len() + i + 1
            )
        })
        .collect();
    let mut query = format!(
        "SELECT column_name, data_type, role, description, ordinal FROM firn.feature_view_columns \
         WHERE feature_view = {} AND version = {}",
        literal(&version.name),
        literal(&version.version)
    );
    for source in sources {
        query.push_str(" UNION ALL ");
        query.push_str(&source);
    }
    session
        .query(&format!(
            "SELECT column_name, data_type, role, description FROM ({query}) ORDER BY ordinal"
        ))
        .await
}
