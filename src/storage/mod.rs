//! Storage: the bottom of the house. Everything Firn keeps — tables, models,
//! feature views, runs — is bytes in one object store, written by the rules here.
//!
//! A database is a directory (or a prefix in an S3 bucket):
//! ```text
//! <db>/firn.json                          marker: format and version
//! <db>/tables/<name>/_log/<version>.json  a persistent table's commits
//! <db>/tables/<name>/data/<uuid>.parquet  its data files
//! <db>/catalog/…                          external tables, views, entities, feature views
//! <db>/models/…                           the model registry
//! <db>/experiments/…                      the tracking log
//! ```
//!
//! - [`store`]: the object store of one database, with put-if-absent publishing;
//! - [`s3`]: databases in S3-compatible object storage, configured from `AWS_*`;
//! - [`table_log`]: a table's numbered commit log (Delta-style);
//! - [`data_writer`]: one writer of Parquet data files, with
//!   [`parallel_parquet`] (each batch's columns encoded at once) and
//!   [`dictionary_choice`] (unique-valued columns written without a dictionary);
//! - [`persistent_table`]: a table whose data is that log's files;
//! - [`object_name`]: the one naming rule for stored objects;
//! - [`clock`]: "now", injectable for reproducible timestamps.

pub mod clock;
pub mod crash_point;
pub mod data_writer;
pub mod dictionary_choice;
pub mod object_name;
pub mod parallel_parquet;
pub mod persistent_table;
pub mod s3;
pub mod store;
pub mod table_log;
