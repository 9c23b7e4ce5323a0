//! The SQL catalog: what a session's SQL sees. The `public` schema of
//! persistent tables (kept by [`crate::storage`]), external tables and views
//! replayed from their stored definitions, file tables whose column names fold
//! to lower case, and the `firn` schema of system tables over every Firn
//! object (models, runs, feature views, …).

pub mod case_fold;
pub mod definitions;
pub mod external_table;
pub mod schema;
pub mod source_context;
pub mod system;

/// The catalog every Firn session uses by default.
pub const DEFAULT_CATALOG: &str = "firn";
/// The schema that holds persistent tables.
pub const DEFAULT_SCHEMA: &str = "public";
