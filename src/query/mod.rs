//! DataFusion machinery Firn's SQL functions share, with no Firn object in it:
//! planning from inside planning ([`lookup`]), tables whose rows come from
//! work done when the query runs ([`deferred`]), and the look at SQL text's
//! tokens every parse goes through first ([`shape`]).

pub mod deferred;
pub mod lookup;
pub mod shape;
