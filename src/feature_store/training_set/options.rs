//! The arguments of `training_set(…)` and `check_training_set(…)`: a spine, one
//! or more `'view:version'` references and `'key=value'` options, all string
//! literals. Options are read once, here, into [`Options`].

use datafusion::common::{Result, ScalarValue, internal_err, plan_err};
use datafusion::logical_expr::Expr;

use super::times::{parse_duration, parse_instant};
use crate::feature_store::ViewRef;

/// The options `training_set` accepts.
pub const TRAINING_SET_OPTIONS: &[&str] = &[
    "fill",
    "fill_text",
    "spine_timestamp",
    "lookback",
    "prefix",
    "feature_timestamps",
];

/// The options only `check_training_set` accepts (besides [`TRAINING_SET_OPTIONS`]).
pub const CHECK_OPTIONS: &[&str] = &[
    "label",
    "cutoff",
    "auc_threshold",
    "features",
    "exclude",
    "feature_timestamp",
];

/// A call's arguments, split by kind.
#[derive(Debug, Clone, PartialEq)]
pub struct CallArgs {
    /// The spine: a table name or a query.
    pub spine: String,
    /// The feature views, in the order given.
    pub views: Vec<ViewRef>,
    /// The options.
    pub options: Options,
}

/// Every option, typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// `fill=<number>`: missing or NULL numeric features take this value.
    pub fill: Option<String>,
    /// `fill_text=<text>`: missing or NULL text features take this value.
    pub fill_text: Option<String>,
    /// `spine_timestamp=<column>`: the spine's event time.
    pub spine_timestamp: Option<String>,
    /// `lookback=<duration>`: ignore feature rows older than this, in µs.
    pub lookback_micros: Option<i64>,
    /// `prefix=true`: name features `<view>__<feature>`.
    pub prefix: bool,
    /// `feature_timestamps=true`: add `<view>__feature_timestamp` columns.
    pub feature_timestamps: bool,
    /// `label=<column>` (check).
    pub label: Option<String>,
    /// `cutoff=<date or timestamp>` (check), in µs, with its text.
    pub cutoff: Option<(i64, String)>,
    /// `auc_threshold=<x>` (check): flag AUC ≥ x or ≤ 1 − x; default 0.99.
    pub auc_threshold: Option<f64>,
    /// `features=a,b` (check of a table): the feature columns.
    pub features: Option<Vec<String>>,
    /// `exclude=a,b` (check of a table): columns that are not features.
    pub exclude: Vec<String>,
    /// `feature_timestamp=<column>` (check of a table): when the features became known.
    pub feature_timestamp: Option<String>,
}

fn string_literal(function: &str, expr: &Expr, position: usize) -> Result<String> {
    match expr {
        Expr::Literal(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::Utf8View(Some(s))
            | ScalarValue::LargeUtf8(Some(s)),
            _,
        ) => Ok(s.clone()),
        other => plan_err!(
            "argument {position} of {function} must be a string literal ('view:version' or 'option=value'), got {other}"
        ),
    }
}

fn boolean(function: &str, key: &str, value: &str) -> Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => plan_err!("{function}: option {key} takes true or false, got '{value}'"),
    }
}

fn column_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// Splits the arguments of `function`, accepting the options in `allowed`.
pub fn parse_args(
    function: &str,
    usage: &str,
    exprs: &[Expr],
    allowed: &[&[&str]],
) -> Result<CallArgs> {
    let Some(first) = exprs.first() else {
        return plan_err!("{function} needs a spine and at least one feature view; usage: {usage}");
    };
    let spine = string_literal(function, first, 1)?;
    if spine.trim().is_empty() {
        return plan_err!(
            "{function}: the spine (argument 1) is empty; give a table name or a query"
        );
    }
    let mut views = Vec::new();
    let mut options = Options::default();
    let mut seen: Vec<String> = Vec::new();
    for (i, expr) in exprs.iter().enumerate().skip(1) {
        let text = string_literal(function, expr, i + 1)?;
        let Some((key, value)) = text.split_once('=') else {
            let reference =
                ViewRef::parse(text.trim()).map_err(datafusion::error::DataFusionError::from)?;
            if views.contains(&reference) {
                return plan_err!("{function}: feature view {reference} is given twice");
            }
            views.push(reference);
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim().to_string();
        if !allowed.iter().any(|set| set.contains(&key.as_str())) {
            let valid: Vec<&str> = allowed.iter().flat_map(|s| s.iter().copied()).collect();
            return plan_err!(
                "{function}: unknown option '{key}'; options are: {}",
                valid.join(", ")
            );
        }
        if seen.contains(&key) {
            return plan_err!("{function}: option {key} is given more than once");
        }
        seen.push(key.clone());
        match key.as_str() {
            "fill" => {
                if value.parse::<f64>().is_err() {
                    return plan_err!(
                        "{function}: option fill takes a number, got '{value}' (use fill_text for text features)"
                    );
                }
                options.fill = Some(value);
            }
            "fill_text" => options.fill_text = Some(value),
            "spine_timestamp" => options.spine_timestamp = Some(value),
            "lookback" => options.lookback_micros = Some(parse_duration(&value, "lookback")?),
            "prefix" => options.prefix = boolean(function, &key, &value)?,
            "feature_timestamps" => options.feature_timestamps = boolean(function, &key, &value)?,
            "label" => options.label = Some(value),
            "cutoff" => options.cutoff = Some((parse_instant(&value, "cutoff")?, value)),
            "auc_threshold" => match value.parse::<f64>() {
                Ok(x) if (0.5..=1.0).contains(&x) => options.auc_threshold = Some(x),
                _ => {
                    return plan_err!(
                        "{function}: option auc_threshold takes a number between 0.5 and 1, got '{value}'"
                    );
                }
            },
            "features" => options.features = Some(column_list(&value)),
            "exclude" => options.exclude = column_list(&value),
            "feature_timestamp" => options.feature_timestamp = Some(value),
            _ => return internal_err!("{function}: option {key} is accepted but not read"),
        }
    }
    Ok(CallArgs {
        spine,
        views,
        options,
    })
}

#[cfg(test)]
mod tests {
    use datafusion::logical_expr::lit;

    use super::*;

    fn args(values: &[&str]) -> Result<CallArgs> {
        let exprs: Vec<Expr> = values.iter().map(|v| lit(*v)).collect();
        parse_args(
            "training_set",
            "training_set(spine, 'view:version', …)",
            &exprs,
            &[TRAINING_SET_OPTIONS],
        )
    }

    #[test]
    fn splits_views_and_options() {
        let parsed = args(&[
            "labels",
            "customer_features:V2",
            "fill = 0",
            "lookback=90 days",
            "PREFIX=true",
        ])
        .expect("valid");
        assert_eq!(parsed.spine, "labels");
        assert_eq!(
            parsed.views,
            vec![ViewRef::new("customer_features", "v2").expect("ref")]
        );
        assert_eq!(parsed.options.fill.as_deref(), Some("0"));
        assert_eq!(parsed.options.lookback_micros, Some(90 * 86_400_000_000));
        assert!(parsed.options.prefix);
    }

    #[test]
    fn mistakes_name_the_argument() {
        let message = |values: &[&str]| args(values).expect_err("refused").to_string();
        assert!(
            message(&["s", "v:1", "colour=red"])
                .contains("unknown option 'colour'; options are: fill")
        );
        assert!(message(&["s", "v:1", "fill=zero"]).contains("option fill takes a number"));
        assert!(message(&["s", "v:1", "fill=0", "fill=1"]).contains("more than once"));
        assert!(message(&["s", "v"]).contains("has no version"));
        assert!(message(&["s", "v:1", "v:1"]).contains("given twice"));
        assert!(message(&["s", "v:1", "label=y"]).contains("unknown option 'label'"));
        assert!(message(&[" "]).contains("spine (argument 1) is empty"));
        let exprs = vec![lit("s"), lit(1)];
        let error =
            parse_args("training_set", "", &exprs, &[TRAINING_SET_OPTIONS]).expect_err("number");
        assert!(
            error
                .to_string()
                .contains("argument 2 of training_set must be a string literal")
        );
    }
}
