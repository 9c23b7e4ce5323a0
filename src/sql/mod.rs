//! Firn's SQL dialect: DataFusion's, plus Firn's own statements.

mod alter_model;
mod create_entity;
mod create_feature_view;
mod create_model;
mod create_training_set;
mod describe_feature_view;
mod describe_model;
mod drop_entity;
mod drop_feature_view;
mod drop_model;
mod monitor;
mod parser;
pub(crate) mod reference;
mod show;
mod tokens;
mod verify_model;

pub(crate) use alter_model::AlterModel;
pub use create_entity::CreateEntity;
pub use create_feature_view::CreateFeatureView;
pub use create_model::CreateModel;
pub use describe_feature_view::DescribeFeatureView;
pub use drop_entity::DropEntity;
pub use drop_feature_view::DropFeatureView;
pub use drop_model::DropModel;
pub use monitor::{CreateMonitor, DropMonitor};
pub use parser::{FirnStatement, parse_sql};
pub use show::Show;
