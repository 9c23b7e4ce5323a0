//! `\d`: what the database holds — tables, views, feature views and models in
//! one list (the `firn.*` system tables with `\dS`, as psql hides its catalogs)
//! — and `\d NAME`: a table's columns in SQL's type names, a feature view's
//! `DESCRIBE FEATURE VIEW`, a model's `DESCRIBE MODEL`.

use std::str::FromStr;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::error::DataFusionError;

use firnml::error::ObjectKind;
use firnml::{Error, QueryOutput, Result, Session};

/// `\d`: one row per object: name, kind, a short detail.
const LIST: &str = "SELECT name, kind, detail FROM (
  SELECT table_name AS name,
         CASE WHEN table_type = 'VIEW' THEN 'view' ELSE 'table' END AS kind,
         CAST(NULL AS VARCHAR) AS detail
  FROM information_schema.tables WHERE table_schema = 'public'
  UNION ALL
  SELECT feature_view, 'feature view',
         'versions ' || string_agg(version, ', ' ORDER BY created_at) || ' (entity ' || first_value(entity) || ')'
  FROM firn.feature_views GROUP BY feature_view
  UNION ALL
  SELECT model, 'model',
         CASE WHEN problem IS NOT NULL THEN 'damaged: ' || problem
              ELSE 'default ' || coalesce(default_version, 'none') || ', ' || versions || ' version(s)' END
  FROM firn.models
  SYSTEM
) ORDER BY name, kind";

/// The extra rows of `\dS`.
const SYSTEM: &str = "UNION ALL
  SELECT 'firn.' || table_name, 'system table', CAST(NULL AS VARCHAR)
  FROM information_schema.tables WHERE table_schema = 'firn'";

/// The `\d` (or `\dS`) listing.
pub async fn list(session: &Session, system: bool) -> Result<QueryOutput> {
    let sql = LIST.replace("SYSTEM", if system { SYSTEM } else { "" });
    session.execute(&sql).await
}

/// `\d NAME`: the first of table (or view), feature view and model that `name` names.
pub async fn describe(session: &Session, name: &str) -> Result<QueryOutput> {
    let key = folded(name);
    match session
        .execute(&format!("SELECT * FROM {name} LIMIT 0"))
        .await
    {
        Ok(output) => return columns(&output.schema),
        Err(error) if !is_unknown_table(&error) => return Err(error),
        Err(_) => {}
    }
    let literal = key.replace('\'', "''");
    let exists = |sql: String| async move {
        let output = session.execute(&sql).await?;
        Ok::<bool, Error>(output.batches.iter().any(|b| b.num_rows() > 0))
    };
    if exists(format!(
        "SELECT 1 FROM firn.feature_views WHERE feature_view = '{literal}'"
    ))
    .await?
    {
        let output = session
            .execute(&format!("DESCRIBE FEATURE VIEW {name}"))
            .await?;
        return sql_type_names(output);
    }
    if exists(format!(
        "SELECT 1 FROM firn.models WHERE model = '{literal}'"
    ))
    .await?
    {
        return session.execute(&format!("DESCRIBE MODEL {name}")).await;
    }
    Err(Error::not_found(
        ObjectKind::Table,
        &key,
        format!("no table, view, feature view or model named '{key}' (\\d lists them)"),
    ))
}

/// How SQL folds an identifier: lower case unless double-quoted.
fn folded(name: &str) -> String {
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => name.to_lowercase(),
    }
}

fn is_unknown_table(error: &Error) -> bool {
    let text = error.to_string();
    text.contains("not found") || text.contains("does not exist") || text.contains("syntax error")
}

/// `output` with its `data_type` column (Arrow's names, as DataFusion prints
/// them) in SQL's spelling; names that do not parse stay as they are.
fn sql_type_names(output: QueryOutput) -> Result<QueryOutput> {
    let Ok(at) = output.schema.index_of("data_type") else {
        return Ok(output);
    };
    let mut batches = Vec::with_capacity(output.batches.len());
    for batch in &output.batches {
        let Some(types) = batch.column(at).as_string_opt::<i32>() else {
            return Ok(output);
        };
        let renamed: StringArray = types
            .iter()
            .map(|t| {
                t.map(|t| match DataType::from_str(t) {
                    Ok(data_type) => sql_type(&data_type),
                    Err(_) => t.to_string(),
                })
            })
            .collect();
        let mut columns = batch.columns().to_vec();
        columns[at] = Arc::new(renamed);
        batches.push(RecordBatch::try_new(batch.schema(), columns).map_err(DataFusionError::from)?);
    }
    Ok(QueryOutput {
        schema: output.schema,
        batches,
    })
}

/// A table's columns: name, SQL type, whether it may be NULL.
fn columns(schema: &Schema) -> Result<QueryOutput> {
    let text = |values: Vec<String>| Arc::new(StringArray::from(values)) as ArrayRef;
    let fields = schema.fields();
    let out = Arc::new(Schema::new(vec![
        Field::new("column_name", DataType::Utf8, false),
        Field::new("data_type", DataType::Utf8, false),
        Field::new("is_nullable", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        out.clone(),
        vec![
            text(fields.iter().map(|f| f.name().clone()).collect()),
            text(fields.iter().map(|f| sql_type(f.data_type())).collect()),
            text(
                fields
                    .iter()
                    .map(|f| if f.is_nullable() { "YES" } else { "NO" }.to_string())
                    .collect(),
            ),
        ],
    )
    .map_err(DataFusionError::from)?;
    Ok(QueryOutput {
        schema: out,
        batches: vec![batch],
    })
}

/// An Arrow type as SQL spells it (`BIGINT`, `VARCHAR`, `DOUBLE`, `DECIMAL(10,2)`, `INTEGER[]`).
pub fn sql_type(data_type: &DataType) -> String {
    match data_type {
        DataType::Null => "NULL".into(),
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int8 => "TINYINT".into(),
        DataType::Int16 => "SMALLINT".into(),
        DataType::Int32 => "INTEGER".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::UInt8 => "TINYINT UNSIGNED".into(),
        DataType::UInt16 => "SMALLINT UNSIGNED".into(),
        DataType::UInt32 => "INTEGER UNSIGNED".into(),
        DataType::UInt64 => "BIGINT UNSIGNED".into(),
        DataType::Float16 => "HALF".into(),
        DataType::Float32 => "REAL".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "VARCHAR".into(),
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => "BYTEA".into(),
        DataType::Date32 | DataType::Date64 => "DATE".into(),
        DataType::Time32(_) | DataType::Time64(_) => "TIME".into(),
        DataType::Timestamp(unit, zone) => {
            let precision = match unit {
                TimeUnit::Second => "(0)",
                TimeUnit::Millisecond => "(3)",
                TimeUnit::Microsecond => "",
                TimeUnit::Nanosecond => "(9)",
            };
            match zone {
                Some(_) => format!("TIMESTAMP{precision} WITH TIME ZONE"),
                None => format!("TIMESTAMP{precision}"),
            }
        }
        DataType::Interval(_) | DataType::Duration(_) => "INTERVAL".into(),
        DataType::Decimal32(p, s)
        | DataType::Decimal64(p, s)
        | DataType::Decimal128(p, s)
        | DataType::Decimal256(p, s) => format!("DECIMAL({p},{s})"),
        DataType::List(item)
        | DataType::LargeList(item)
        | DataType::ListView(item)
        | DataType::LargeListView(item)
        | DataType::FixedSizeList(item, _) => format!("{}[]", sql_type(item.data_type())),
        DataType::Struct(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|f| format!("{} {}", f.name(), sql_type(f.data_type())))
                .collect();
            format!("STRUCT({})", inner.join(", "))
        }
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => format!(
                "MAP({}, {})",
                sql_type(kv[0].data_type()),
                sql_type(kv[1].data_type())
            ),
            _ => "MAP".into(),
        },
        DataType::Dictionary(_, value) => sql_type(value),
        DataType::RunEndEncoded(_, value) => sql_type(value.data_type()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrow_types_in_sql_spelling() {
        let list = DataType::List(Arc::new(Field::new("item", DataType::Int32, true)));
        let cases = [
            (DataType::Int64, "BIGINT"),
            (DataType::Utf8View, "VARCHAR"),
            (DataType::Float64, "DOUBLE"),
            (DataType::Date32, "DATE"),
            (DataType::Decimal128(10, 2), "DECIMAL(10,2)"),
            (
                DataType::Timestamp(TimeUnit::Nanosecond, None),
                "TIMESTAMP(9)",
            ),
            (
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                "TIMESTAMP WITH TIME ZONE",
            ),
            (list, "INTEGER[]"),
            (
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                "VARCHAR",
            ),
        ];
        for (arrow, sql) in cases {
            assert_eq!(sql_type(&arrow), sql, "{arrow}");
        }
    }

    #[test]
    fn identifiers_fold_like_sql() {
        assert_eq!(folded("Customer_Features"), "customer_features");
        assert_eq!(folded("\"Mixed\"\"Case\""), "Mixed\"Case");
    }
}
