//! From a call's arguments to a [`JoinPlan`]: the spine planned, every view's
//! keys found among the spine's columns (and its `TIMESTAMP` matched with the
//! spine's event time), features named without clashes, fills typed.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::{Column, Result, ScalarValue, plan_err};
use datafusion::datasource::{TableProvider, provider_as_source};
use datafusion::functions::expr_fn::coalesce;
use datafusion::logical_expr::{Expr, JoinType, LogicalPlan, LogicalPlanBuilder, cast, lit};

use super::merge_exec::{FeatureColumn, JoinSpec};
use super::options::CallArgs;
use crate::feature_store::create::is_temporal;
use crate::feature_store::lineage::TrainingSetInfo;
use crate::feature_store::view_table::FeatureViewTable;
use crate::feature_store::{ColumnRole, FeatureStore, ViewRef, unknown_view};
use crate::query::lookup::{plan_query_now, resolve_table};

/// The features one view adds, for checks and lineage.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureGroup {
    /// The view.
    pub view: ViewRef,
    /// Its feature columns in the output.
    pub features: Vec<String>,
    /// The output column holding the matched row's TIMESTAMP, if it was asked for.
    pub feature_time: Option<String>,
}

/// Everything needed to build a training set's physical plan.
#[derive(Debug, Clone)]
pub struct JoinPlan {
    /// The spine alone (its columns are the first of `base`).
    pub spine: LogicalPlan,
    /// The spine's rows with the features of the views joined by key alone
    /// (a logical plan of LEFT JOINs): the spine's columns, then those features.
    pub base: LogicalPlan,
    /// Per view with a TIMESTAMP: its keys, time and features, and how it joins
    /// (point in time, on top of `base`).
    pub joins: Vec<(LogicalPlan, JoinSpec)>,
    /// For each output column, its index among the joins' output columns.
    pub output: Vec<usize>,
    /// The training set's schema.
    pub schema: SchemaRef,
    /// The views, in argument order.
    pub views: Vec<ViewRef>,
    /// Keys, spine time, features.
    pub info: TrainingSetInfo,
    /// What each view adds.
    pub groups: Vec<FeatureGroup>,
}

/// Whether `text` is a query rather than a table name.
pub fn is_query(text: &str) -> bool {
    let lower = text.trim_start().to_ascii_lowercase();
    lower.starts_with('(')
        || ["select", "with", "values", "from"]
            .iter()
            .any(|w| lower.starts_with(w) && lower[w.len()..].starts_with(char::is_whitespace))
}

/// The spine's plan: a query, or a scan of the named table.
fn plan_spine(session: &dyn Session, spine: &str, function: &str) -> Result<LogicalPlan> {
    if is_query(spine) {
        return plan_query_now(session, spine, function);
    }
    let (reference, table) = resolve_table(session, spine.trim(), function)?;
    LogicalPlanBuilder::scan(reference, provider_as_source(table), None)?.build()
}

/// The spine column for `name`: exact, else the one that differs only in case.
fn spine_column(schema: &Schema, name: &str) -> Option<usize> {
    schema.index_of(name).ok().or_else(|| {
        let matches: Vec<usize> = schema
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| f.name().eq_ignore_ascii_case(name))
            .map(|(i, _)| i)
            .collect();
        match matches.as_slice() {
            [i] => Some(*i),
            _ => None,
        }
    })
}

fn columns_of(schema: &Schema) -> String {
    schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

/// Whether spine keys of type `spine` can be compared with view keys of type
/// `view` after casting, keeping their order.
fn keys_compatible(spine: &DataType, view: &DataType) -> bool {
    spine == view
        || (is_text(spine) && is_text(view))
        || (spine.is_signed_integer() && view.is_signed_integer())
        || (spine.is_unsigned_integer() && view.is_unsigned_integer())
}

/// The value missing feature `name` of type `data_type` takes.
fn fill_value(
    function: &str,
    call: &CallArgs,
    name: &str,
    data_type: &DataType,
) -> Result<Option<ScalarValue>> {
    let text = if data_type.is_numeric() {
        call.options.fill.as_deref()
    } else if is_text(data_type) {
        call.options.fill_text.as_deref()
    } else {
        None
    };
    let Some(text) = text else {
        return Ok(None);
    };
    match ScalarValue::Utf8(Some(text.to_string())).cast_to(data_type) {
        Ok(value) if !value.is_null() => Ok(Some(value)),
        _ => plan_err!(
            "{function}: fill value '{text}' does not fit feature '{name}' of type {data_type}"
        ),
    }
}

/// Resolves a call of `function` (`training_set` or `check_training_set`).
pub fn resolve(
    store: &FeatureStore,
    session: &dyn Session,
    call: &CallArgs,
    function: &str,
) -> Result<JoinPlan> {
    if call.views.is_empty() {
        return plan_err!(
            "{function} needs at least one feature view after the spine, as 'name:version'"
        );
    }
    let spine = plan_spine(session, &call.spine, function)?;
    let spine_schema = Arc::new(spine.schema().as_arrow().clone());
    let mut seen = HashSet::new();
    for field in spine_schema.fields() {
        if !seen.insert(field.name().as_str()) {
            return plan_err!(
                "{function}: the spine has two columns named '{}'; give each a distinct name with AS",
                field.name()
            );
        }
    }
    let option_time = match &call.options.spine_timestamp {
        Some(name) => {
            let Some(i) = spine_column(&spine_schema, name) else {
                return plan_err!(
                    "{function}: spine_timestamp '{name}' is not a column of the spine; its columns are: {}",
                    columns_of(&spine_schema)
                );
            };
            let data_type = spine_schema.field(i).data_type();
            if !is_temporal(data_type) {
                return plan_err!(
                    "{function}: spine_timestamp '{name}' is {data_type}; it must be a DATE or TIMESTAMP"
                );
            }
            Some(i)
        }
        None => None,
    };

    let catalog = store.catalog();
    let mut pending = Vec::new();
    let mut groups = Vec::new();
    let mut key_columns: Vec<usize> = Vec::new();
    let mut time_columns: Vec<usize> = option_time.into_iter().collect();
    let mut names: Vec<String> = spine_schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut feature_names: Vec<String> = Vec::new();
    for reference in &call.views {
        let version = catalog
            .view(reference)
            .cloned()
            .ok_or_else(|| unknown_view(&catalog, &reference.name, Some(&reference.version)))?;
        let mut table = FeatureViewTable::open(store, Arc::clone(&version), session)?;
        if version.timestamp.is_none() && !version.materialized {
            // A live view may have stopped being unique per key: check while reading.
            // (A snapshot was checked when written; the as-of merge checks as it goes.)
            table = table.with_key_check(format!("{function}: feature view {reference}"));
        }
        let table = Arc::new(table);
        let view_schema = table.schema();

        let mut left_keys = Vec::new();
        for key in &version.keys {
            let Some(i) = spine_column(&spine_schema, key) else {
                return plan_err!(
                    "{function}: the spine has no column '{key}', a key of entity '{}' used by feature view {reference}; its columns are: {}",
                    version.entity,
                    columns_of(&spine_schema)
                );
            };
            let spine_type = spine_schema.field(i).data_type();
            let view_type = view_schema.field_with_name(key)?.data_type();
            if !keys_compatible(spine_type, view_type) {
                return plan_err!(
                    "{function}: spine column '{}' is {spine_type} but key '{key}' of feature view {reference} is {view_type}; CAST it in the spine query",
                    spine_schema.field(i).name()
                );
            }
            left_keys.push(i);
            if !key_columns.contains(&i) {
                key_columns.push(i);
            }
        }
        let left_time = match &version.timestamp {
            Some(ts) => {
                let i = match option_time.or_else(|| spine_column(&spine_schema, ts)) {
                    Some(i) => i,
                    None => {
                        return plan_err!(
                            "{function}: feature view {reference} has TIMESTAMP '{ts}', so the spine needs an event time for a point-in-time join: \
                             add a column '{ts}' or name one with 'spine_timestamp=<column>'; the spine's columns are: {}",
                            columns_of(&spine_schema)
                        );
                    }
                };
                let data_type = spine_schema.field(i).data_type();
                if !is_temporal(data_type) {
                    return plan_err!(
                        "{function}: spine column '{}' (the event time for feature view {reference}) is {data_type}; it must be a DATE or TIMESTAMP",
                        spine_schema.field(i).name()
                    );
                }
                if !time_columns.contains(&i) {
                    time_columns.push(i);
                }
                Some(i)
            }
            None => None,
        };

        // The view's side: keys, time, then features, renamed for the output.
        let mut exprs: Vec<Expr> = version
            .keys
            .iter()
            .map(|k| Expr::Column(Column::new_unqualified(k)))
            .collect();
        exprs.extend(
            version
                .timestamp
                .iter()
                .map(|t| Expr::Column(Column::new_unqualified(t))),
        );
        let first_feature = exprs.len();
        let mut features = Vec::new();
        let mut group_features = Vec::new();
        for (k, column) in version
            .columns
            .iter()
            .filter(|c| c.role == ColumnRole::Feature)
            .enumerate()
        {
            let output_name = if call.options.prefix {
                format!("{}__{}", reference.name, column.name)
            } else {
                column.name.clone()
            };
            if names.contains(&output_name) {
                let clash_with = if feature_names.contains(&output_name) {
                    "a feature of an earlier feature view"
                } else {
                    "a column of the spine"
                };
                return plan_err!(
                    "{function}: feature '{}' of feature view {reference} clashes with {clash_with}; \
                     rename the spine's column, or add 'prefix=true' to name features <view>__<feature>",
                    output_name
                );
            }
            let data_type = view_schema
                .field_with_name(&column.name)?
                .data_type()
                .clone();
            let fill = fill_value(function, call, &column.name, &data_type)?;
            exprs.push(Expr::Column(Column::new_unqualified(&column.name)).alias(&output_name));
            features.push(FeatureColumn {
                index: first_feature + k,
                field: Field::new(&output_name, data_type, fill.is_none()),
                fill,
            });
            names.push(output_name.clone());
            feature_names.push(output_name.clone());
            group_features.push(output_name);
        }
        let feature_time = match (&version.timestamp, call.options.feature_timestamps) {
            (Some(ts), true) => {
                let name = format!("{}__feature_timestamp", reference.name);
                if names.contains(&name) {
                    return plan_err!(
                        "{function}: column '{name}' (feature_timestamps=true) clashes with another column; give each view once"
                    );
                }
                names.push(name.clone());
                Some(Field::new(
                    &name,
                    view_schema.field_with_name(ts)?.data_type().clone(),
                    true,
                ))
            }
            _ => None,
        };
        groups.push(FeatureGroup {
            view: reference.clone(),
            features: group_features,
            feature_time: feature_time.as_ref().map(|f| f.name().clone()),
        });
        pending.push(PendingJoin {
            table,
            right_exprs: exprs,
            spec: JoinSpec {
                view: reference.to_string(),
                left_keys,
                right_keys: (0..version.keys.len()).collect(),
                left_time: left_time.or(option_time),
                right_time: version.timestamp.as_ref().map(|_| version.keys.len()),
                lookback_micros: call.options.lookback_micros,
                features,
                feature_time,
            },
        });
    }

    // Views without TIMESTAMP join first, as logical LEFT JOINs (hash joins);
    // views with one join after them, point in time, in FeatureJoinExec.
    let spine_width = spine_schema.fields().len();
    let mut base = LogicalPlanBuilder::from(spine.clone())
        .alias(BASE)?
        .build()?;
    let mut width = spine_width;
    let mut positions: Vec<Vec<usize>> = vec![Vec::new(); pending.len()];
    let mut joins = Vec::new();
    for (n, join) in pending.iter().enumerate() {
        if join.spec.right_time.is_some() {
            continue;
        }
        base = key_join(base, join, n, &spine_schema)?;
        positions[n] = (width..width + join.spec.features.len()).collect();
        width += join.spec.features.len();
    }
    for (n, join) in pending.into_iter().enumerate() {
        if join.spec.right_time.is_none() {
            continue;
        }
        let added = join.spec.features.len() + usize::from(join.spec.feature_time.is_some());
        positions[n] = (width..width + added).collect();
        width += added;
        let right =
            LogicalPlanBuilder::scan(join.spec.view.clone(), provider_as_source(join.table), None)?
                .project(join.right_exprs)?
                .build()?;
        joins.push((right, join.spec));
    }

    // Keys, spine time, features (and their times) in argument order, then the rest of the spine.
    key_columns.sort_unstable();
    time_columns.sort_unstable();
    let mut output: Vec<usize> = key_columns.clone();
    output.extend(time_columns.iter().filter(|i| !key_columns.contains(i)));
    output.extend(positions.iter().flatten());
    output
        .extend((0..spine_width).filter(|i| !key_columns.contains(i) && !time_columns.contains(i)));
    let mut fields: Vec<Field> = base
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    for (_, spec) in &joins {
        fields.extend(spec.features.iter().map(|c| c.field.clone()));
        fields.extend(spec.feature_time.clone());
    }
    let schema = Arc::new(Schema::new(
        output
            .iter()
            .map(|&i| fields[i].clone())
            .collect::<Vec<_>>(),
    ));
    let info = TrainingSetInfo {
        keys: key_columns
            .iter()
            .map(|&i| spine_schema.field(i).name().clone())
            .collect(),
        spine_timestamp: time_columns
            .first()
            .map(|&i| spine_schema.field(i).name().clone()),
        features: feature_names,
    };
    Ok(JoinPlan {
        spine,
        base,
        joins,
        output,
        schema,
        views: call.views.clone(),
        info,
        groups,
    })
}

/// The qualifier of the spine (and the features joined to it by key).
const BASE: &str = "__firn_base";

/// One view, resolved, before its join is built.
struct PendingJoin {
    table: Arc<FeatureViewTable>,
    /// Keys, time, then features renamed for the output.
    right_exprs: Vec<Expr>,
    spec: JoinSpec,
}

/// `base LEFT JOIN view ON keys`, keeping `base`'s columns and adding the
/// view's features (filled where asked).
fn key_join(
    base: LogicalPlan,
    join: &PendingJoin,
    n: usize,
    spine_schema: &Schema,
) -> Result<LogicalPlan> {
    let alias = format!("__firn_view{n}");
    let key_name = |k: usize| format!("__firn_key{k}");
    // The view's keys, cast to the spine's key types (compatible by resolve()).
    let mut right_exprs: Vec<Expr> = join
        .spec
        .left_keys
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            cast(
                join.right_exprs[k].clone().unalias(),
                spine_schema.field(i).data_type().clone(),
            )
            .alias(key_name(k))
        })
        .collect();
    let first_feature = join.spec.left_keys.len();
    right_exprs.extend(join.right_exprs[first_feature..].iter().cloned());
    let right = LogicalPlanBuilder::scan(
        join.spec.view.clone(),
        provider_as_source(Arc::clone(&join.table) as _),
        None,
    )?
    .project(right_exprs)?
    .alias(alias.as_str())?
    .build()?;
    let left_columns: Vec<Column> = join
        .spec
        .left_keys
        .iter()
        .map(|&i| Column::new(Some(BASE), spine_schema.field(i).name()))
        .collect();
    let right_columns: Vec<Column> = (0..join.spec.left_keys.len())
        .map(|k| Column::new(Some(alias.as_str()), key_name(k)))
        .collect();
    let mut keep: Vec<Expr> = base
        .schema()
        .fields()
        .iter()
        .map(|f| Expr::Column(Column::new(Some(BASE), f.name())))
        .collect();
    for feature in &join.spec.features {
        let value = Expr::Column(Column::new(Some(alias.as_str()), feature.field.name()));
        let value = match &feature.fill {
            Some(fill) => coalesce(vec![value, lit(fill.clone())]),
            None => value,
        };
        keep.push(value.alias(feature.field.name()));
    }
    LogicalPlanBuilder::from(base)
        .join(right, JoinType::Left, (left_columns, right_columns), None)?
        .project(keep)?
        .alias(BASE)?
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_told_from_table_names() {
        assert!(is_query("SELECT * FROM t"));
        assert!(is_query("  with x AS (SELECT 1) SELECT * FROM x"));
        assert!(is_query("(SELECT 1)"));
        assert!(!is_query("selections"));
        assert!(!is_query("churn_labels"));
        assert!(!is_query("public.churn_labels"));
    }

    #[test]
    fn key_types_must_compare_alike() {
        assert!(keys_compatible(&DataType::Utf8View, &DataType::Utf8));
        assert!(keys_compatible(&DataType::Int32, &DataType::Int64));
        assert!(!keys_compatible(&DataType::Int64, &DataType::Utf8));
        assert!(!keys_compatible(&DataType::Int64, &DataType::UInt64));
    }
}
