//! DataFusion machinery Firn's SQL functions share, with no Firn object in it:
//! planning from inside planning ([`lookup`]), tables whose rows come from
//! work done when the query runs ([`deferred`]), the look at SQL text's
//! tokens every parse goes through first ([`shape`]), and an optimizer rule
//! that moves dates by whole days as integers ([`day_interval_rule`]).

pub mod day_interval_rule;
pub mod deferred;
pub mod lookup;
pub mod shape;
