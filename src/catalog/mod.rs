//! Catalog and storage: where tables live and how they persist.
//!
//! A database is a directory (or object-store prefix):
//! ```text
//! <db>/firn.json                          marker: format and version
//! <db>/tables/<name>/_log/<version>.json  a persistent table's commits
//! <db>/tables/<name>/data/<uuid>.parquet  its data files
//! <db>/catalog/relations/<name>.json      external tables and views (their statements)
//! ```

pub mod case_fold;
pub mod data_writer;
pub mod definitions;
pub mod object_name;
pub mod persistent_table;
pub mod schema;
pub mod source_context;
pub mod store;
pub mod system;
pub mod table_log;

/// The catalog every Firn session uses by default.
pub const DEFAULT_CATALOG: &str = "firn";
/// The schema that holds persistent tables.
pub const DEFAULT_SCHEMA: &str = "public";
