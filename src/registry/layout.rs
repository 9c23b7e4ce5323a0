//! Where each registry file lives, relative to the database root. Names passed
//! here have been validated by [`super::names`], so they hold no `/` or `..`.

/// Directory of every model.
pub(super) const MODELS_DIR: &str = "models";
/// Directory of a model's pointer log, beside its version directories.
pub(super) const REFS_DIR: &str = "_refs";
/// File name of a version's manifest.
pub(super) const MANIFEST_FILE: &str = "manifest.json";

/// `models/<name>`.
pub(super) fn model_dir(name: &str) -> String {
    format!("{MODELS_DIR}/{name}")
}

/// `models/<name>/<version>`.
pub(super) fn version_dir(name: &str, version: &str) -> String {
    format!("{MODELS_DIR}/{name}/{version}")
}

/// `models/<name>/<version>/manifest.json`.
pub(super) fn manifest_path(name: &str, version: &str) -> String {
    format!("{MODELS_DIR}/{name}/{version}/{MANIFEST_FILE}")
}

/// File name of a version's runs still to log (see [`pending_run_path`]).
pub(super) const PENDING_RUN_FILE: &str = "run.json";

/// `models/<name>/<version>/run.json`: the experiment runs to log with the
/// version, written before its manifest so a crash between publishing and
/// logging can be finished when the database next opens; deleted once they
/// are logged.
pub(super) fn pending_run_path(name: &str, version: &str) -> String {
    format!("{MODELS_DIR}/{name}/{version}/{PENDING_RUN_FILE}")
}

/// `models/<name>/<version>/<file>`.
pub(super) fn model_file_path(name: &str, version: &str, file: &str) -> String {
    format!("{MODELS_DIR}/{name}/{version}/{file}")
}

/// `models/<name>/_refs`.
pub(super) fn refs_dir(name: &str) -> String {
    format!("{MODELS_DIR}/{name}/{REFS_DIR}")
}

/// `models/<name>/_refs/<sequence, 20 digits>.json`.
pub(super) fn refs_entry_path(name: &str, sequence: u64) -> String {
    format!("{MODELS_DIR}/{name}/{REFS_DIR}/{sequence:020}.json")
}

/// A fresh, unique name for a version's model file (so concurrent publishers
/// of one version never overwrite each other's file).
pub(super) fn new_model_file_name() -> String {
    format!("model-{}.parquet", uuid::Uuid::new_v4().simple())
}
