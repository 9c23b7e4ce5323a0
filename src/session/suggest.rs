//! "Did you mean …?" for a misspelt table or table function: DataFusion says
//! `table 'firn.public.custmers' not found`; the session knows the names that
//! exist and adds the nearest (`; did you mean 'customers'?`).

use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;

use crate::error::Error;
use crate::error::suggest::did_you_mean;

/// The name quoted in `message` after `prefix` (`table '…' not found`), if any.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    let name = &rest[..rest.find("' not found")?];
    Some(name)
}

/// `error`, with the nearest existing name added when it says a table or a
/// table function was not found.
pub(super) fn with_suggestion(ctx: &SessionContext, error: Error) -> Error {
    // DataFusion wraps the message (a `Diagnostic` for a missing table): read the root.
    let Error::DataFusion(inner) = &error else {
        return error;
    };
    let DataFusionError::Plan(message) = inner.find_root() else {
        return error;
    };
    let suggestion = if let Some(name) = quoted_after(message, "table function '") {
        let functions: Vec<String> = ctx.state().table_functions().keys().cloned().collect();
        did_you_mean(name, functions.iter().map(String::as_str))
    } else if let Some(qualified) = quoted_after(message, "table '") {
        let name = qualified.rsplit('.').next().unwrap_or(qualified);
        let state = ctx.state();
        let defaults = &state.config_options().catalog;
        let tables = ctx
            .catalog(&defaults.default_catalog)
            .and_then(|catalog| catalog.schema(&defaults.default_schema))
            .map(|schema| schema.table_names())
            .unwrap_or_default();
        did_you_mean(name, tables.iter().map(String::as_str))
    } else {
        return error;
    };
    if suggestion.is_empty() {
        return error;
    }
    Error::DataFusion(DataFusionError::Plan(format!("{message}{suggestion}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_quoted_name() {
        assert_eq!(
            quoted_after("table 'firn.public.custmers' not found", "table '"),
            Some("firn.public.custmers")
        );
        assert_eq!(
            quoted_after("table function 'evalute' not found", "table function '"),
            Some("evalute")
        );
        assert_eq!(quoted_after("something else", "table '"), None);
    }
}
