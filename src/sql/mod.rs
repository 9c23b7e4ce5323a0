//! Firn's SQL dialect: DataFusion's, plus Firn's own statements.

mod create_model;
mod parser;

pub use create_model::CreateModel;
pub use parser::{FirnParser, FirnStatement, parse_sql};
