//! Firn's SQL dialect: DataFusion's, plus Firn's own statements.

mod alter_model;
mod create_model;
mod drop_model;
mod parser;
mod show;
mod tokens;

pub use alter_model::{AlterModel, AlterModelAction};
pub use create_model::CreateModel;
pub use drop_model::DropModel;
pub use parser::{FirnParser, FirnStatement, parse_sql};
pub use show::Show;
