//! Where each feature-store file lives, relative to the database root. Names
//! passed here have been validated by [`super::names`], so they hold no `/` or `..`.
//!
//! ```text
//! catalog/entities/<entity>.json                              one entity
//! catalog/feature_views/<view>/<version>/_log/<seq:020>.json   revisions of a version
//! catalog/feature_views/<view>/<version>/data/<uuid>.parquet   snapshot of a materialized revision
//! catalog/table_lineage/<table>.json                          feature views a table was built from
//! ```

/// Directory of every entity.
pub(super) const ENTITIES_DIR: &str = "catalog/entities";
/// Directory of every feature view.
pub(super) const VIEWS_DIR: &str = "catalog/feature_views";
/// Directory of the lineage records of tables.
pub(super) const TABLE_LINEAGE_DIR: &str = "catalog/table_lineage";
/// Directory of a version's revision log.
pub(super) const LOG_DIR: &str = "_log";

/// `catalog/entities/<name>.json`.
pub(super) fn entity_path(name: &str) -> String {
    format!("{ENTITIES_DIR}/{name}.json")
}

/// `catalog/feature_views/<name>/<version>`.
pub(super) fn version_dir(name: &str, version: &str) -> String {
    format!("{VIEWS_DIR}/{name}/{version}")
}

/// `catalog/feature_views/<name>/<version>/_log/<seq:020>.json`.
pub(super) fn revision_path(name: &str, version: &str, sequence: u64) -> String {
    format!("{VIEWS_DIR}/{name}/{version}/{LOG_DIR}/{sequence:020}.json")
}

/// `catalog/table_lineage/<table>.json`.
pub(super) fn table_lineage_path(table: &str) -> String {
    format!("{TABLE_LINEAGE_DIR}/{table}.json")
}

/// Splits a path below [`VIEWS_DIR`] into `(view, version, sequence)` when it is
/// a revision file, e.g. `catalog/feature_views/f/v1/_log/00000000000000000000.json`.
pub(super) fn parse_revision_path(relative: &str) -> Option<(String, String, u64)> {
    let rest = relative.strip_prefix(VIEWS_DIR)?.strip_prefix('/')?;
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [view, version, LOG_DIR, file] => {
            let sequence = file.strip_suffix(".json")?;
            if sequence.len() != 20 {
                return None;
            }
            Some((
                view.to_string(),
                version.to_string(),
                sequence.parse().ok()?,
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_paths_round_trip() {
        let path = revision_path("customer_features", "v2", 3);
        assert_eq!(
            parse_revision_path(&path),
            Some(("customer_features".into(), "v2".into(), 3))
        );
        assert_eq!(
            parse_revision_path("catalog/feature_views/f/v1/data/x.parquet"),
            None
        );
        assert_eq!(
            parse_revision_path("catalog/feature_views/f/v1/_log/7.json"),
            None
        );
        assert_eq!(parse_revision_path("catalog/entities/x.json"), None);
    }
}
