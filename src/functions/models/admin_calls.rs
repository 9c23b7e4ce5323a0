//! The registry's changes as table functions, for clients that can only send
//! queries; each runs the same code as its statement:
//!
//! | function | statement |
//! |---|---|
//! | `set_default_version('m', 'v2')` | `ALTER MODEL m SET DEFAULT VERSION v2` |
//! | `set_model_alias('m', 'v2', 'champion')` | `ALTER MODEL m VERSION v2 SET ALIAS champion` |
//! | `unset_model_alias('m', 'champion')` | `ALTER MODEL m UNSET ALIAS champion` |
//! | `set_model_comment('m', 'v2', 'text')` | `ALTER MODEL m VERSION v2 SET COMMENT 'text'` |
//! | `drop_model('m' [, 'v1'])` | `DROP MODEL m [VERSION v1]` |
//!
//! Each returns one row (`model`, `version`, `change`) when the query runs.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::TableProvider;

use crate::functions::args::string_arg;
use crate::modeling::{ModelChange, Modeling};
use crate::query::deferred::DeferredTable;

/// Which registry change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelAdminKind {
    /// `set_default_version(model, version)`.
    SetDefault,
    /// `set_model_alias(model, version, alias)`.
    SetAlias,
    /// `unset_model_alias(model, alias)`.
    UnsetAlias,
    /// `set_model_comment(model, version, comment)`.
    SetComment,
    /// `drop_model(model [, version])`.
    Drop,
}

impl ModelAdminKind {
    /// Every function (the manifest lists each; a test checks the names).
    #[cfg(test)]
    pub const ALL: [ModelAdminKind; 5] = [
        ModelAdminKind::SetDefault,
        ModelAdminKind::SetAlias,
        ModelAdminKind::UnsetAlias,
        ModelAdminKind::SetComment,
        ModelAdminKind::Drop,
    ];

    /// The SQL name.
    pub fn name(self) -> &'static str {
        match self {
            ModelAdminKind::SetDefault => "set_default_version",
            ModelAdminKind::SetAlias => "set_model_alias",
            ModelAdminKind::UnsetAlias => "unset_model_alias",
            ModelAdminKind::SetComment => "set_model_comment",
            ModelAdminKind::Drop => "drop_model",
        }
    }

    fn usage(self) -> &'static str {
        match self {
            ModelAdminKind::SetDefault => "set_default_version(model VARCHAR, version VARCHAR)",
            ModelAdminKind::SetAlias => {
                "set_model_alias(model VARCHAR, version VARCHAR, alias VARCHAR)"
            }
            ModelAdminKind::UnsetAlias => "unset_model_alias(model VARCHAR, alias VARCHAR)",
            ModelAdminKind::SetComment => {
                "set_model_comment(model VARCHAR, version VARCHAR, comment VARCHAR)"
            }
            ModelAdminKind::Drop => "drop_model(model VARCHAR [, version VARCHAR])",
        }
    }

    /// Accepted argument counts.
    fn counts(self) -> &'static [usize] {
        match self {
            ModelAdminKind::SetDefault | ModelAdminKind::UnsetAlias => &[2],
            ModelAdminKind::SetAlias | ModelAdminKind::SetComment => &[3],
            ModelAdminKind::Drop => &[1, 2],
        }
    }
}

/// What one call changes.
#[derive(Debug, Clone)]
enum Change {
    Alter(ModelChange),
    Drop { version: Option<String> },
}

/// One of the registry-changing table functions.
#[derive(Debug)]
pub struct ModelAdminCall {
    kind: ModelAdminKind,
    modeling: Modeling,
}

impl ModelAdminCall {
    /// The function `kind`, changing models through `modeling`.
    pub fn new(kind: ModelAdminKind, modeling: Modeling) -> Self {
        Self { kind, modeling }
    }
}

fn output_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("model", DataType::Utf8, false),
        Field::new("version", DataType::Utf8, true),
        Field::new("change", DataType::Utf8, false),
    ]))
}

impl TableFunctionImpl for ModelAdminCall {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        let (name, usage) = (self.kind.name(), self.kind.usage());
        if !self.kind.counts().contains(&exprs.len()) {
            return plan_err!("{name} got {} arguments; expected {usage}", exprs.len());
        }
        let mut texts = Vec::with_capacity(exprs.len());
        for index in 0..exprs.len() {
            match string_arg(exprs, index) {
                Some(text) => texts.push(text),
                None => {
                    return plan_err!(
                        "argument {} of {name} must be a constant string; expected {usage}",
                        index + 1
                    );
                }
            }
        }
        let model = texts[0].clone();
        let (change, version, description) = match self.kind {
            ModelAdminKind::SetDefault => (
                Change::Alter(ModelChange::SetDefault {
                    version: texts[1].clone(),
                }),
                Some(texts[1].clone()),
                "default version".to_string(),
            ),
            ModelAdminKind::SetAlias => (
                Change::Alter(ModelChange::SetAlias {
                    version: texts[1].clone(),
                    alias: texts[2].clone(),
                }),
                Some(texts[1].clone()),
                format!("alias {}", texts[2]),
            ),
            ModelAdminKind::UnsetAlias => (
                Change::Alter(ModelChange::UnsetAlias {
                    alias: texts[1].clone(),
                }),
                None,
                format!("alias {} removed", texts[1]),
            ),
            ModelAdminKind::SetComment => (
                Change::Alter(ModelChange::SetComment {
                    version: texts[1].clone(),
                    comment: texts[2].clone(),
                }),
                Some(texts[1].clone()),
                "comment".to_string(),
            ),
            ModelAdminKind::Drop => (
                Change::Drop {
                    version: texts.get(1).cloned(),
                },
                texts.get(1).cloned(),
                "dropped".to_string(),
            ),
        };
        let (modeling, schema) = (self.modeling.clone(), output_schema());
        let out_schema = Arc::clone(&schema);
        let work = Arc::new(move |_rows: Vec<RecordBatch>| {
            let (modeling, change, schema) =
                (modeling.clone(), change.clone(), Arc::clone(&out_schema));
            let (model, version, description) =
                (model.clone(), version.clone(), description.clone());
            Box::pin(async move {
                match &change {
                    Change::Alter(change) => modeling.alter_model(&model, change).await?,
                    Change::Drop { version } => {
                        modeling
                            .drop_model(&model, version.as_deref(), false)
                            .await?
                    }
                }
                let columns: Vec<ArrayRef> = vec![
                    Arc::new(StringArray::from(vec![model.to_ascii_lowercase()])),
                    Arc::new(StringArray::from(vec![
                        version.map(|v| v.to_ascii_lowercase()),
                    ])),
                    Arc::new(StringArray::from(vec![description])),
                ];
                Ok(vec![RecordBatch::try_new(schema, columns)?])
            }) as _
        });
        Ok(Arc::new(DeferredTable::new(
            self.kind.name(),
            schema,
            None,
            work,
        )))
    }
}
