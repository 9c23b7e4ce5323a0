//! DataFusion machinery Firn's SQL functions share, with no Firn object in it:
//! planning from inside planning ([`lookup`]) and tables whose rows come from
//! work done when the query runs ([`deferred`]).

pub mod deferred;
pub mod lookup;
