//! Firn: an embedded analytics database on Apache DataFusion in which a tabular
//! model's whole MLOps loop is plain SQL.
//!
//! ```no_run
//! # async fn demo() -> firnml::Result<()> {
//! let db = firnml::Database::open("churn.firn").await?;
//! let session = db.session();
//! let batches = session.sql("SELECT 1 AS one").await?;
//! # Ok(()) }
//! ```

pub(crate) mod catalog;
pub mod cluster;
mod database;
pub mod error;
pub(crate) mod feature_store;
pub(crate) mod functions;
#[doc(hidden)]
pub mod fuzz;
pub mod ml;
pub(crate) mod modeling;
pub(crate) mod monitoring;
pub(crate) mod query;
pub mod registry;
pub mod scoring;
pub mod server;
pub(crate) mod services;
mod session;
pub(crate) mod sql;
pub(crate) mod storage;
pub mod tracking;

pub use database::{Database, DatabaseOptions};
pub use error::{Error, Result};
/// Metrics shared by the SQL aggregates and the training code (from `firnml-udfs`).
pub use firnml_udfs::metrics;
/// Firn's model format, predictor and explanations (from the `firnml-udfs` crate).
pub use firnml_udfs::model;
pub use session::file_access::AllowedPaths;
pub use session::{FileAccess, QueryOutput, Session, SessionBuilder, Submitted, is_single_query};

/// The DataFusion version Firn is built on, re-exported so users have exactly one.
pub use datafusion;
/// The Arrow version Firn is built on, re-exported so users have exactly one.
pub use datafusion::arrow;
