//! The leakage check behind `check_training_set(source, ['view:version', …],
//! 'label=col', [options])`: a leakage report (see [`leakage_report`](super::leakage_report)) — one row
//! per feature, then a summary row whose `feature` is NULL.
//!
//! With feature views, `source` is a spine and the training set that
//! `training_set` would build from the same arguments is checked, each feature
//! with the timestamp of the feature row it came from. Without views, `source`
//! is a training set already built (a table or a query): its features are the
//! ones recorded when the table was created from `training_set`, or `features=`,
//! or every column but the label, times and `exclude=`; `feature_timestamp=`
//! and `spine_timestamp=` name its time columns. Options: `cutoff=<date>` (the
//! labelling cutoff), `auc_threshold=<x>` (default 0.99), and `training_set`'s.
//!
//! Checking a table also records the findings with the table, so a model later
//! trained on it carries a `leakage_warning:` in its lineage.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableFunctionArgs;
use datafusion::common::{Result, plan_err};
use datafusion::datasource::{TableProvider, provider_as_source};
use datafusion::logical_expr::LogicalPlanBuilder;
use futures::FutureExt;

use crate::feature_store::FeatureStore;
use crate::feature_store::leakage_report::{
    CheckSpec, CheckedFeature, DEFAULT_AUC_THRESHOLD, check, report_schema, to_batch,
};
use crate::feature_store::lineage::CheckSummary;
use crate::feature_store::training_set::TrainingSetTable;
use crate::feature_store::training_set::options::{
    CHECK_OPTIONS, TRAINING_SET_OPTIONS, parse_args,
};
use crate::feature_store::training_set::resolve::resolve;
use crate::query::deferred::DeferredTable;
use crate::query::lookup::{plan_query_now, resolve_table};

const NAME: &str = "check_training_set";
const USAGE: &str = "check_training_set(spine, 'view:version', …, 'label=<column>'[, 'cutoff=<date>', …]) \
     or check_training_set(training_set_table, 'label=<column>'[, 'features=a,b', 'feature_timestamp=col', …])";

fn require(schema: &SchemaRef, column: &str, what: &str) -> Result<()> {
    if schema.field_with_name(column).is_err() {
        let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        return plan_err!(
            "{NAME}: {what} '{column}' is not a column of the training set; its columns are: {}",
            columns.join(", ")
        );
    }
    Ok(())
}

/// A `check_training_set(…)` call over `store`: the report as a table, computed
/// when the query runs.
pub(crate) fn check_training_set(
    store: &Arc<FeatureStore>,
    args: TableFunctionArgs,
) -> Result<Arc<dyn TableProvider>> {
    {
        let mut call = parse_args(
            NAME,
            USAGE,
            args.exprs(),
            &[TRAINING_SET_OPTIONS, CHECK_OPTIONS],
        )?;
        let Some(label) = call.options.label.clone() else {
            return plan_err!(
                "{NAME} needs the label column: add 'label=<column>'; usage: {USAGE}"
            );
        };
        let auc_threshold = call.options.auc_threshold.unwrap_or(DEFAULT_AUC_THRESHOLD);
        let cutoff = call.options.cutoff.as_ref().map(|(us, _)| *us);
        let (input, spec, recorded_table) = if call.views.is_empty() {
            for option in [
                "fill",
                "fill_text",
                "lookback",
                "prefix",
                "feature_timestamps",
            ] {
                let given = match option {
                    "fill" => call.options.fill.is_some(),
                    "fill_text" => call.options.fill_text.is_some(),
                    "lookback" => call.options.lookback_micros.is_some(),
                    "prefix" => call.options.prefix,
                    _ => call.options.feature_timestamps,
                };
                if given {
                    return plan_err!(
                        "{NAME}: option {option} applies when feature views are given (the training set is then built here)"
                    );
                }
            }
            let (plan, table) =
                if crate::feature_store::training_set::resolve::is_query(&call.spine) {
                    (plan_query_now(args.session(), &call.spine, NAME)?, None)
                } else {
                    let (reference, provider) =
                        resolve_table(args.session(), call.spine.trim(), NAME)?;
                    let name = reference.table().to_string();
                    (
                        LogicalPlanBuilder::scan(reference, provider_as_source(provider), None)?
                            .build()?,
                        Some(name),
                    )
                };
            let schema: SchemaRef = Arc::new(plan.schema().as_arrow().clone());
            let catalog = store.catalog();
            let recorded = table
                .as_deref()
                .and_then(|t| catalog.table_lineage(t))
                .and_then(|r| r.training_set.clone());
            let spine_time = call
                .options
                .spine_timestamp
                .clone()
                .or_else(|| recorded.as_ref().and_then(|r| r.spine_timestamp.clone()));
            let keys = recorded
                .as_ref()
                .map(|r| r.keys.clone())
                .unwrap_or_default();
            let mut not_features: Vec<String> = vec![label.clone()];
            not_features.extend(spine_time.clone());
            not_features.extend(call.options.feature_timestamp.clone());
            not_features.extend(call.options.exclude.clone());
            not_features.extend(keys.clone());
            let features: Vec<String> = match (&call.options.features, &recorded) {
                (Some(features), _) => features.clone(),
                (None, Some(recorded)) => recorded.features.clone(),
                (None, None) => schema
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .filter(|n| !not_features.contains(n))
                    .collect(),
            };
            for column in call.options.exclude.iter() {
                require(&schema, column, "exclude column")?;
            }
            for feature in &features {
                require(&schema, feature, "feature")?;
                if *feature == label {
                    return plan_err!("{NAME}: the label '{label}' cannot also be a feature");
                }
            }
            if let Some(time) = &call.options.feature_timestamp {
                require(&schema, time, "feature_timestamp")?;
            }
            if let Some(time) = &spine_time {
                require(&schema, time, "spine_timestamp")?;
            }
            require(&schema, &label, "label")?;
            let spec = CheckSpec {
                label,
                features: features
                    .into_iter()
                    .map(|column| CheckedFeature {
                        column,
                        view: None,
                        time_column: call.options.feature_timestamp.clone(),
                    })
                    .collect(),
                spine_time,
                cutoff,
                auc_threshold,
                keys,
            };
            (plan, spec, table)
        } else {
            if call.options.features.is_some()
                || !call.options.exclude.is_empty()
                || call.options.feature_timestamp.is_some()
            {
                return plan_err!(
                    "{NAME}: options features, exclude and feature_timestamp apply to a training set given as a table, not to feature views"
                );
            }
            call.options.feature_timestamps = true;
            let plan = resolve(store, args.session(), &call, NAME)?;
            let table = TrainingSetTable::new(plan);
            let schema = table.schema();
            require(&schema, &label, "label")?;
            let info = table.info();
            if info.features.contains(&label) {
                return plan_err!(
                    "{NAME}: the label '{label}' is a feature of a feature view; the label belongs to the spine"
                );
            }
            let features = table
                .groups()
                .iter()
                .flat_map(|g| {
                    g.features.iter().map(|f| CheckedFeature {
                        column: f.clone(),
                        view: Some(g.view.to_string()),
                        time_column: g.feature_time.clone(),
                    })
                })
                .collect();
            let spec = CheckSpec {
                label,
                features,
                spine_time: info.spine_timestamp.clone(),
                cutoff,
                auc_threshold,
                keys: info.keys.clone(),
            };
            let plan = LogicalPlanBuilder::scan(NAME, provider_as_source(Arc::new(table)), None)?
                .build()?;
            (plan, spec, None)
        };
        let schema: SchemaRef = Arc::new(input.schema().as_arrow().clone());
        let store = Arc::clone(store);
        let spec = Arc::new(spec);
        let work: crate::query::deferred::Work = Arc::new(move |batches| {
            let schema = Arc::clone(&schema);
            let spec = Arc::clone(&spec);
            let store = Arc::clone(&store);
            let table = recorded_table.clone();
            async move {
                let report = tokio::task::spawn_blocking({
                    let spec = Arc::clone(&spec);
                    move || check(&schema, &batches, &spec)
                })
                .await
                .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))??;
                if let (Some(table), Some(summary)) = (table, report.last()) {
                    let near_perfect =
                        |auc: f64| auc >= spec.auc_threshold || auc <= 1.0 - spec.auc_threshold;
                    let flagged = report
                        .iter()
                        .filter_map(|r| match (&r.feature, r.auc) {
                            (Some(feature), Some(auc)) if near_perfect(auc) => {
                                Some(format!("{feature} (AUC {auc:.3})"))
                            }
                            _ => None,
                        })
                        .collect();
                    let check = CheckSummary {
                        checked_at: store.timestamp(),
                        label: spec.label.clone(),
                        rows: u64::try_from(summary.rows).unwrap_or(0),
                        rows_after_spine_time: summary
                            .after_spine_time
                            .and_then(|n| u64::try_from(n).ok()),
                        rows_after_cutoff: summary.after_cutoff.and_then(|n| u64::try_from(n).ok()),
                        flagged,
                    };
                    store.record_check(&table, check).await?;
                }
                Ok(vec![to_batch(&report)?])
            }
            .boxed()
        });
        Ok(Arc::new(DeferredTable::new(
            NAME,
            report_schema(),
            Some(input),
            work,
        )))
    }
}
