//! Firn's SQL dialect: DataFusion's, plus Firn's own statements.

mod parser;

pub use parser::{FirnParser, FirnStatement, parse_sql};
