//! `model_version_at('m', 'champion' | 'default', TIMESTAMP '…')`: the version
//! an alias (or the default) named at a time — the auditor's question "which
//! version was champion on 1 March?". One row of `firn.model_ref_history`'s
//! columns: the interval that covers the time. Reads the registry when the
//! query runs.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{DataFusionError, Result, ScalarValue, plan_err};
use datafusion::datasource::TableProvider;
use datafusion::logical_expr::Expr;

use crate::catalog::system::{ref_history_batch, ref_history_schema};
use crate::functions::args::string_arg;
use crate::query::deferred::DeferredTable;
use crate::registry::Registry;
use crate::registry::ref_history::named_at;

const USAGE: &str =
    "model_version_at(model VARCHAR, alias_or_default VARCHAR, at TIMESTAMP or RFC 3339 VARCHAR)";

/// The `model_version_at` table function.
#[derive(Debug)]
pub struct ModelVersionAt {
    registry: Registry,
}

impl ModelVersionAt {
    /// `model_version_at` over `registry`.
    pub fn new(registry: Registry) -> Self {
        Self { registry }
    }
}

/// The time argument: a timestamp literal (no zone: UTC) or an RFC 3339 string.
fn time_arg(expr: Option<&Expr>) -> Option<DateTime<FixedOffset>> {
    let utc = |t: Option<DateTime<Utc>>| t.map(|t| t.fixed_offset());
    match expr? {
        Expr::Literal(value, _) => match value {
            ScalarValue::TimestampSecond(Some(v), _) => utc(Utc.timestamp_opt(*v, 0).single()),
            ScalarValue::TimestampMillisecond(Some(v), _) => {
                utc(Utc.timestamp_millis_opt(*v).single())
            }
            ScalarValue::TimestampMicrosecond(Some(v), _) => {
                utc(DateTime::from_timestamp_micros(*v))
            }
            ScalarValue::TimestampNanosecond(Some(v), _) => {
                Some(DateTime::from_timestamp_nanos(*v).fixed_offset())
            }
            ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
                DateTime::parse_from_rfc3339(s).ok()
            }
            _ => None,
        },
        Expr::Cast(cast) => time_arg(Some(&cast.expr)),
        _ => None,
    }
}

impl TableFunctionImpl for ModelVersionAt {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if exprs.len() != 3 {
            return plan_err!(
                "model_version_at takes 3 arguments, got {}; expected {USAGE}",
                exprs.len()
            );
        }
        let (Some(model), Some(name)) = (string_arg(exprs, 0), string_arg(exprs, 1)) else {
            return plan_err!(
                "model_version_at's model and name must be constant strings; expected {USAGE}"
            );
        };
        let Some(at) = time_arg(exprs.get(2)) else {
            return plan_err!(
                "model_version_at's time must be a TIMESTAMP literal or an RFC 3339 string \
                 such as '2025-03-01T00:00:00Z'; expected {USAGE}"
            );
        };
        let name = name.to_ascii_lowercase();
        let registry = self.registry.clone();
        let work = Arc::new(move |_rows| {
            let (registry, model, name) = (registry.clone(), model.clone(), name.clone());
            Box::pin(async move {
                let history = registry.ref_history(&model).await?;
                let Some(interval) = named_at(&history, &name, at) else {
                    let known: Vec<String> = history
                        .iter()
                        .filter(|i| i.name == name)
                        .map(|i| format!("{} from {}", i.version, i.set_at))
                        .collect();
                    return Err(DataFusionError::Plan(format!(
                        "'{name}' named no version of model '{model}' at {}; {}",
                        at.to_rfc3339(),
                        if known.is_empty() {
                            format!(
                                "'{name}' was never set (use 'default' for the default version)"
                            )
                        } else {
                            format!("it named {}", known.join(", "))
                        }
                    )));
                };
                Ok(vec![ref_history_batch(std::slice::from_ref(interval))?])
            }) as _
        });
        Ok(Arc::new(DeferredTable::new(
            "model_version_at",
            ref_history_schema(),
            None,
            work,
        )))
    }
}
