//! Lineage: which feature views a query reads, directly (`feature_view(…)`,
//! `training_set(…)`) or through a table that was created from them.
//!
//! When `CREATE TABLE t AS …` reads feature views, Firn records them (and, for a
//! training set, its keys and features) in `catalog/table_lineage/t.json`; a
//! later `check_training_set` over `t` adds its findings to that record. A model
//! trained on `t` then lists `feature_view:name:version` — and a
//! `leakage_warning:…` when the last check found violations — in its lineage
//! ([`FeatureStore::lineage_of`]).

use std::any::Any;

use bytes::Bytes;
use datafusion::catalog::default_table_source::source_as_provider;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::logical_expr::LogicalPlan;
use serde::{Deserialize, Serialize};

use super::names::ViewRef;
use super::{FeatureStore, corrupt, layout};
use crate::error::Result;
use crate::feature_store::training_set::TrainingSetTable;
use crate::feature_store::view_table::FeatureViewTable;
use crate::storage::persistent_table::PersistentTable;

/// Version of the table lineage file format this build writes and reads.
pub const LINEAGE_FORMAT_VERSION: u32 = 1;

/// Prefix of the lineage entries that name a feature view version.
pub const VIEW_PREFIX: &str = "feature_view:";
/// Prefix of the lineage entries that carry a leakage check's warning.
pub const WARNING_PREFIX: &str = "leakage_warning:";

/// `feature_view:name:version`.
pub fn view_source(reference: &ViewRef) -> String {
    format!("{VIEW_PREFIX}{reference}")
}

/// What a training set is made of, recorded with a table built from one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingSetInfo {
    /// The entity keys (spine columns).
    pub keys: Vec<String>,
    /// The spine's event-time column, if the join was point-in-time.
    #[serde(default)]
    pub spine_timestamp: Option<String>,
    /// The feature columns.
    pub features: Vec<String>,
}

/// The findings of the last `check_training_set` over a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckSummary {
    /// When the check ran (RFC 3339, UTC).
    pub checked_at: String,
    /// The label column checked against.
    pub label: String,
    /// Rows checked.
    pub rows: u64,
    /// Rows with a feature from after the spine time (NULL: no times to compare).
    pub rows_after_spine_time: Option<u64>,
    /// Rows with a feature from after the labelling cutoff (NULL: no cutoff or times).
    pub rows_after_cutoff: Option<u64>,
    /// Features whose single-feature AUC is near perfect, e.g. `x (AUC 0.999)`.
    pub flagged: Vec<String>,
}

impl CheckSummary {
    /// The warning a model trained on the checked table carries, if any.
    pub fn warning(&self) -> Option<String> {
        let mut problems = Vec::new();
        if let Some(n) = self.rows_after_spine_time.filter(|n| *n > 0) {
            problems.push(format!("{n} rows with features from after the spine time"));
        }
        if let Some(n) = self.rows_after_cutoff.filter(|n| *n > 0) {
            problems.push(format!("{n} rows with features from after the cutoff"));
        }
        if !self.flagged.is_empty() {
            problems.push(format!(
                "near-perfect single-feature AUC: {}",
                self.flagged.join(", ")
            ));
        }
        (!problems.is_empty()).then(|| problems.join("; "))
    }
}

/// The lineage record of one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableLineage {
    /// Format of this file ([`LINEAGE_FORMAT_VERSION`]).
    pub format_version: u32,
    /// The table.
    pub table: String,
    /// `feature_view:name:version` of every view the table was built from.
    pub sources: Vec<String>,
    /// Keys and features, when the table was built from `training_set(…)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_set: Option<TrainingSetInfo>,
    /// The last leakage check of the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckSummary>,
    /// When the record was written (RFC 3339, UTC).
    pub recorded_at: String,
}

/// Reads a lineage record.
pub(super) fn decode(bytes: &[u8], path: &str) -> Result<TableLineage> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| corrupt(path, format!("not valid JSON: {e}")))?;
    let format_version = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| corrupt(path, "not a lineage record (no format_version)"))?;
    if format_version > u64::from(LINEAGE_FORMAT_VERSION) {
        return Err(corrupt(
            path,
            format!(
                "written by a newer Firn (lineage format {format_version}, this build reads up to {LINEAGE_FORMAT_VERSION})"
            ),
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| corrupt(path, format!("not a valid lineage record: {e}")))
}

/// What one scan of a plan reads.
enum Source<'a> {
    View(&'a FeatureViewTable),
    TrainingSet(&'a TrainingSetTable),
    Table(String),
}

/// Calls `f` for every table scan of `plan`, subqueries included.
fn for_each_source(plan: &LogicalPlan, mut f: impl FnMut(Source<'_>)) {
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            match source_as_provider(&scan.source) {
                Ok(provider) => {
                    let any: &dyn Any = provider.as_ref();
                    if let Some(view) = any.downcast_ref::<FeatureViewTable>() {
                        f(Source::View(view));
                    } else if let Some(set) = any.downcast_ref::<TrainingSetTable>() {
                        f(Source::TrainingSet(set));
                    } else if let Some(table) = any.downcast_ref::<PersistentTable>() {
                        f(Source::Table(table.name().to_string()));
                    } else {
                        f(Source::Table(scan.table_name.table().to_string()));
                    }
                }
                Err(_) => f(Source::Table(scan.table_name.table().to_string())),
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

impl FeatureStore {
    /// The feature views `plan` reads (`feature_view:name:version`), directly or
    /// through tables built from them, then a `leakage_warning:table: …` for each
    /// such table whose last leakage check found problems. For a model's lineage.
    pub fn lineage_of(&self, plan: &LogicalPlan) -> Vec<String> {
        let catalog = self.catalog();
        let mut sources = Vec::new();
        let mut warnings = Vec::new();
        for_each_source(plan, |source| match source {
            Source::View(view) => push_unique(&mut sources, view_source(view.reference())),
            Source::TrainingSet(set) => {
                for reference in set.views() {
                    push_unique(&mut sources, view_source(reference));
                }
            }
            Source::Table(name) => {
                if let Some(record) = catalog.table_lineage(&name) {
                    for source in &record.sources {
                        push_unique(&mut sources, source.clone());
                    }
                    if let Some(warning) = record.check.as_ref().and_then(CheckSummary::warning) {
                        push_unique(&mut warnings, format!("{WARNING_PREFIX}{name}: {warning}"));
                    }
                }
            }
        });
        sources.extend(warnings);
        sources
    }

    /// The entity key columns of what `plan` reads, as far as the feature store
    /// knows them: a feature view's keys, a training set's, or those recorded for
    /// a table built from a training set. `CREATE MODEL` leaves them out of the
    /// features unless they are listed: an identifier is not a feature.
    pub fn entity_keys_of(&self, plan: &LogicalPlan) -> Vec<String> {
        let catalog = self.catalog();
        let mut keys = Vec::new();
        for_each_source(plan, |source| match source {
            Source::View(view) => {
                for key in view.keys() {
                    push_unique(&mut keys, key.clone());
                }
            }
            Source::TrainingSet(set) => {
                for key in set.info().keys {
                    push_unique(&mut keys, key);
                }
            }
            Source::Table(name) => {
                let recorded = catalog
                    .table_lineage(&name)
                    .and_then(|record| record.training_set.clone());
                for key in recorded.map(|set| set.keys).unwrap_or_default() {
                    push_unique(&mut keys, key);
                }
            }
        });
        keys
    }

    /// What a feature view's query reads: `feature_view:…` and `table:…` entries.
    pub fn sources_of(&self, plan: &LogicalPlan) -> Vec<String> {
        let mut sources = Vec::new();
        for_each_source(plan, |source| match source {
            Source::View(view) => push_unique(&mut sources, view_source(view.reference())),
            Source::TrainingSet(set) => {
                for reference in set.views() {
                    push_unique(&mut sources, view_source(reference));
                }
            }
            Source::Table(name) => push_unique(&mut sources, format!("table:{name}")),
        });
        sources
    }

    /// Records (or clears) the feature views table `table` was just created from
    /// by `plan`; `columns` are the new table's columns.
    pub async fn record_table(
        &self,
        table: &str,
        plan: &LogicalPlan,
        columns: &[String],
    ) -> Result<()> {
        let mut sources = Vec::new();
        let mut training_set = None;
        for_each_source(plan, |source| match source {
            Source::View(view) => push_unique(&mut sources, view_source(view.reference())),
            Source::TrainingSet(set) => {
                for reference in set.views() {
                    push_unique(&mut sources, view_source(reference));
                }
                if training_set.is_none() {
                    let info = set.info();
                    training_set = Some(TrainingSetInfo {
                        keys: info
                            .keys
                            .into_iter()
                            .filter(|c| columns.contains(c))
                            .collect(),
                        spine_timestamp: info.spine_timestamp.filter(|c| columns.contains(c)),
                        features: info
                            .features
                            .into_iter()
                            .filter(|c| columns.contains(c))
                            .collect(),
                    });
                }
            }
            Source::Table(_) => {}
        });
        let path = self.store.path(&layout::table_lineage_path(table));
        if sources.is_empty() {
            if self.catalog().table_lineage(table).is_some() {
                self.store.delete(&path).await?;
                self.refresh().await?;
            }
            return Ok(());
        }
        self.write_record(TableLineage {
            format_version: LINEAGE_FORMAT_VERSION,
            table: table.to_string(),
            sources,
            training_set,
            check: None,
            recorded_at: self.now(),
        })
        .await
    }

    /// Forgets the lineage of a dropped table.
    pub async fn forget_table(&self, table: &str) -> Result<()> {
        if self.catalog().table_lineage(table).is_some() {
            self.store
                .delete(&self.store.path(&layout::table_lineage_path(table)))
                .await?;
            self.refresh().await?;
        }
        Ok(())
    }

    /// Keeps the findings of a leakage check of table `table`.
    pub async fn record_check(&self, table: &str, check: CheckSummary) -> Result<()> {
        let catalog = self.refresh().await?;
        let mut record = catalog
            .table_lineage(table)
            .cloned()
            .unwrap_or(TableLineage {
                format_version: LINEAGE_FORMAT_VERSION,
                table: table.to_string(),
                sources: vec![],
                training_set: None,
                check: None,
                recorded_at: self.now(),
            });
        record.check = Some(check);
        self.write_record(record).await
    }

    async fn write_record(&self, record: TableLineage) -> Result<()> {
        let relative = layout::table_lineage_path(&record.table);
        let json = serde_json::to_vec_pretty(&record)
            .map_err(|e| corrupt(&relative, format!("cannot encode: {e}")))?;
        self.store
            .put(&self.store.path(&relative), Bytes::from(json))
            .await?;
        self.refresh().await?;
        Ok(())
    }

    /// "Now", for records written by other modules.
    pub(crate) fn timestamp(&self) -> String {
        self.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_warns_only_about_problems() {
        let mut check = CheckSummary {
            checked_at: "2026-01-01T00:00:00Z".into(),
            label: "y".into(),
            rows: 10,
            rows_after_spine_time: Some(0),
            rows_after_cutoff: None,
            flagged: vec![],
        };
        assert_eq!(check.warning(), None);
        check.rows_after_spine_time = Some(3);
        check.flagged = vec!["leak (AUC 1.000)".into()];
        assert_eq!(
            check.warning().as_deref(),
            Some(
                "3 rows with features from after the spine time; near-perfect single-feature AUC: leak (AUC 1.000)"
            )
        );
    }
}
