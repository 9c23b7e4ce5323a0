//! The metadata calls clients make on connect and while browsing: server
//! information (`GetSqlInfo`), catalogs, schemas, tables (with their Arrow
//! schemas on request) and table types, read from the client's session so
//! they list exactly what its queries can see.

use std::sync::Arc;

use arrow_flight::sql::metadata::{SqlInfoData, SqlInfoDataBuilder};
use arrow_flight::sql::{
    CommandGetCatalogs, CommandGetDbSchemas, CommandGetTableTypes, CommandGetTables, SqlInfo,
    SqlNullOrdering, SqlSupportedCaseSensitivity, SqlSupportedTransaction,
};
use datafusion::arrow::array::RecordBatch;
use datafusion::catalog::information_schema::InformationSchemaProvider;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::datasource::TableType;
use tonic::Status;

use crate::session::Session;

/// The schema DataFusion shows its catalog views in.
const INFORMATION_SCHEMA: &str = "information_schema";

/// The table types Firn has, as Flight SQL (and JDBC) name them.
const TABLE_TYPES: [&str; 3] = ["TABLE", "VIEW", "LOCAL TEMPORARY"];

fn table_type_name(table_type: TableType) -> &'static str {
    match table_type {
        TableType::Base => TABLE_TYPES[0],
        TableType::View => TABLE_TYPES[1],
        TableType::Temporary => TABLE_TYPES[2],
    }
}

fn arrow_status(e: impl std::fmt::Display) -> Status {
    Status::internal(format!("cannot build the metadata result: {e}"))
}

/// What `GetSqlInfo` reports about the server.
pub(crate) fn sql_info() -> Result<SqlInfoData, Status> {
    let mut info = SqlInfoDataBuilder::new();
    info.append(SqlInfo::FlightSqlServerName, "Firn");
    info.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
    info.append(
        SqlInfo::FlightSqlServerArrowVersion,
        datafusion::arrow::ARROW_VERSION,
    );
    info.append(SqlInfo::FlightSqlServerReadOnly, false);
    info.append(SqlInfo::FlightSqlServerSql, true);
    info.append(SqlInfo::FlightSqlServerSubstrait, false);
    info.append(
        SqlInfo::FlightSqlServerTransaction,
        SqlSupportedTransaction::None as i32,
    );
    info.append(SqlInfo::FlightSqlServerCancel, false);
    info.append(SqlInfo::FlightSqlServerBulkIngestion, false);
    info.append(SqlInfo::FlightSqlServerStatementTimeout, 0i32);
    info.append(SqlInfo::FlightSqlServerTransactionTimeout, 0i32);
    info.append(SqlInfo::SqlDdlCatalog, false);
    info.append(SqlInfo::SqlDdlSchema, false);
    info.append(SqlInfo::SqlDdlTable, true);
    // Unquoted identifiers fold to lower case; quoted ones are exact.
    info.append(
        SqlInfo::SqlIdentifierCase,
        SqlSupportedCaseSensitivity::SqlCaseSensitivityLowercase as i32,
    );
    info.append(SqlInfo::SqlIdentifierQuoteChar, "\"");
    // Quoted identifiers keep their case (mixed), which the enum cannot say.
    info.append(
        SqlInfo::SqlQuotedIdentifierCase,
        SqlSupportedCaseSensitivity::SqlCaseSensitivityUnknown as i32,
    );
    info.append(SqlInfo::SqlAllTablesAreSelectable, true);
    info.append(
        SqlInfo::SqlNullOrdering,
        SqlNullOrdering::SqlNullsSortedHigh as i32,
    );
    info.append(SqlInfo::SqlTransactionsSupported, false);
    info.build().map_err(arrow_status)
}

/// `GetCatalogs`.
pub(crate) fn catalogs(
    session: &Session,
    query: CommandGetCatalogs,
) -> Result<RecordBatch, Status> {
    let mut builder = query.into_builder();
    let mut names = session.context().catalog_names();
    names.sort();
    for name in names {
        builder.append(name);
    }
    builder.build().map_err(arrow_status)
}

/// The schemas of every catalog, `information_schema` included.
fn schemas_of(session: &Session) -> Vec<(String, String, Arc<dyn SchemaProvider>)> {
    let ctx = session.context();
    let mut names = ctx.catalog_names();
    names.sort();
    let mut out = Vec::new();
    for catalog_name in names {
        let Some(catalog) = ctx.catalog(&catalog_name) else {
            continue;
        };
        let mut schema_names = catalog.schema_names();
        schema_names.sort();
        for schema_name in schema_names {
            if let Some(schema) = catalog.schema(&schema_name) {
                out.push((catalog_name.clone(), schema_name, schema));
            }
        }
        let information: Arc<dyn SchemaProvider> = Arc::new(InformationSchemaProvider::new(
            ctx.state().catalog_list().clone(),
        ));
        out.push((catalog_name, INFORMATION_SCHEMA.to_string(), information));
    }
    out
}

/// `GetDbSchemas` (the builder applies the catalog and pattern filters).
pub(crate) fn schemas(
    session: &Session,
    query: CommandGetDbSchemas,
) -> Result<RecordBatch, Status> {
    let mut builder = query.into_builder();
    for (catalog, schema, _) in schemas_of(session) {
        builder.append(catalog, schema);
    }
    builder.build().map_err(arrow_status)
}

/// `GetTables` (the builder applies the filters and table types).
pub(crate) async fn tables(
    session: &Session,
    query: CommandGetTables,
) -> Result<RecordBatch, Status> {
    let catalog_filter = query.catalog.clone();
    let mut builder = query.into_builder();
    for (catalog, schema_name, schema) in schemas_of(session) {
        if catalog_filter.as_ref().is_some_and(|c| c != &catalog) {
            continue;
        }
        let mut names = schema.table_names();
        names.sort();
        for name in names {
            let table: Arc<dyn TableProvider> = match schema.table(&name).await {
                Ok(Some(table)) => table,
                // A table dropped meanwhile, or one that cannot be opened, is not listed.
                Ok(None) | Err(_) => continue,
            };
            builder
                .append(
                    &catalog,
                    &schema_name,
                    &name,
                    table_type_name(table.table_type()),
                    table.schema().as_ref(),
                )
                .map_err(arrow_status)?;
        }
    }
    builder.build().map_err(arrow_status)
}

/// `GetTableTypes`.
pub(crate) fn table_types(query: CommandGetTableTypes) -> Result<RecordBatch, Status> {
    let mut builder = query.into_builder();
    for table_type in TABLE_TYPES {
        builder.append(table_type);
    }
    builder.build().map_err(arrow_status)
}
