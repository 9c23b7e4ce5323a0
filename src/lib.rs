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
#![warn(missing_docs)]

pub mod catalog;
pub mod database;
pub mod datagen;
pub mod error;
pub mod feature_store;
pub mod functions;
pub mod ml;
pub mod registry;
pub mod report;
mod rng;
pub mod scoring;
pub mod script;
pub mod server;
pub mod session;
pub mod shell;
pub mod sql;
pub mod tracking;

pub use database::{Database, DatabaseOptions};
pub use error::{Error, Result};
/// Metrics shared by the SQL aggregates and the training code (from `firnml-udfs`).
pub use firnml_udfs::metrics;
/// Firn's model format, predictor and explanations (from the `firnml-udfs` crate).
pub use firnml_udfs::model;
pub use session::{QueryOutput, Session};

/// The DataFusion version Firn is built on, re-exported so users have exactly one.
pub use datafusion;
/// The Arrow version Firn is built on, re-exported so users have exactly one.
pub use datafusion::arrow;
