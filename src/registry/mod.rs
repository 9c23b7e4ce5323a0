//! The model registry: named models with immutable, versioned releases, kept
//! in the database's storage as Parquet and JSON.
//!
//! ```text
//! <db>/models/<name>/<version>/manifest.json          what the version is (see [`Manifest`])
//! <db>/models/<name>/<version>/model-<uuid>.parquet   the model's node table
//! <db>/models/<name>/_refs/<00000000000000000001>.json  default version, aliases, comments
//! ```
//!
//! A version becomes visible when its manifest is published with put-if-absent,
//! after its model file is written; of two writers of one version exactly one
//! wins (see [`publish`]). Versions never change. The default version, aliases
//! and comments are mutable pointers kept as a numbered log with history (see
//! [`pointers`]).
//!
//! Model names, versions and aliases are case-folded to lower case, as SQL folds
//! unquoted identifiers, so `Churn@V1` and `churn@v1` are the same model version
//! (and two spellings never become two directories on a case-insensitive file
//! system). See [`names`] for what a name may contain.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> firnml::Result<()> {
//! let db = firnml::Database::in_memory().await?;
//! let registry = db.registry();
//! assert!(registry.list_models().await?.is_empty());
//! # Ok(()) }
//! ```

mod drop;
mod layout;
pub mod manifest;
pub mod names;
pub mod pointers;
pub mod profile;
pub mod publish;
mod read;
pub mod ref_history;
mod refs;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::error::{Error, ObjectKind, corrupt, listing, plan_error};
use crate::storage::store::DatabaseStore;

pub use crate::storage::clock::{Clock, SteppingClock, SystemClock};
pub use manifest::{
    FeatureSignature, MANIFEST_FORMAT_VERSION, Manifest, NewVersion, SignatureKind, SplitInfo,
};
pub use names::ModelRef;
pub use pointers::{Change, POINTER_FORMAT_VERSION, PointerEntry, PointerState};
pub use profile::TrainingProfile;
pub use read::{ModelSummary, VersionInfo};
pub use ref_history::RefInterval;

/// The model registry of one database. Cheap to clone.
///
/// Every method reads or writes the database's storage directly, so several
/// `Registry` values (or processes) on one database see each other's changes.
#[derive(Debug, Clone)]
pub struct Registry {
    store: Arc<DatabaseStore>,
    clock: Arc<dyn Clock>,
}

impl Registry {
    /// The registry stored in `store`, timestamping with the system clock.
    pub fn new(store: Arc<DatabaseStore>) -> Self {
        Self::with_clock(store, Arc::new(SystemClock))
    }

    /// The registry stored in `store`, timestamping with `clock` (tests use a
    /// [`SteppingClock`] so `created_at` values are deterministic).
    pub fn with_clock(store: Arc<DatabaseStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// The storage the registry lives in.
    pub fn store(&self) -> &Arc<DatabaseStore> {
        &self.store
    }

    /// "Now" as stored in manifests and pointer entries (RFC 3339, UTC, milliseconds).
    fn now(&self) -> String {
        self.clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

/// The error for a model that was dropped (its pointer log ends with the drop).
fn dropped_model(name: &str) -> Error {
    Error::not_found(
        ObjectKind::Model,
        name,
        format!("model '{name}' was dropped"),
    )
}

/// The error for a version that was dropped.
fn dropped_version(name: &str, version: &str) -> Error {
    Error::not_found(
        ObjectKind::ModelVersion,
        format!("{name}@{version}"),
        format!("model '{name}' version '{version}' was dropped"),
    )
}
