//! Firn's SQL functions: thin shims that read their arguments and call a use
//! case (modeling, scoring, the feature store, tracking). Pure Arrow kernels
//! live in the `firnml-udfs` crate. [`manifest`] is the one list of them all.

mod args;
mod data;
mod feature_store;
mod kernels;
mod manifest;
mod models;
mod tracking;

pub(crate) use manifest::{Needs, lookup, register_all, row_functions};
