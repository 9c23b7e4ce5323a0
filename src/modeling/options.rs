//! The OPTIONS of CREATE MODEL, parsed once into typed settings.

use datafusion::common::{Result as DFResult, plan_err};
use firnml_udfs::model::Objective;

use crate::error::suggest::did_you_mean;
use crate::ml::GbdtParams;
use crate::ml::metric::Metric;
use crate::ml::params::PARAMETERS;
use crate::ml::search::{SearchSpace, Strategy};

/// `CREATE MODEL`'s own options (the training parameters of [`PARAMETERS`] come on top).
pub(super) const SETTINGS: &[&str] = &[
    "type",
    "label",
    "features",
    "exclude",
    "test_fraction",
    "threshold",
    "comment",
    "search",
    "n_iter",
    "cv",
    "scoring",
    "experiment",
    "run",
];

/// Held-out metrics returned as columns, by objective.
pub(super) const CLASSIFIER_COLUMNS: &[&str] =
    &["accuracy", "precision", "recall", "f1", "roc_auc"];
pub(super) const REGRESSOR_COLUMNS: &[&str] = &["rmse", "mae", "r2"];

/// How to tune parameters given as ranges.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SearchOptions {
    /// The ranges (`max_depth 'int(3,9)'`).
    pub space: SearchSpace,
    /// Grid or `n_iter` random draws.
    pub strategy: Strategy,
    /// Cross-validation folds per candidate.
    pub folds: usize,
    /// What candidates are ranked by.
    pub metric: Metric,
}

/// Cross-validation of the given parameters on the train part (`cv N` without a search).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CvOptions {
    /// Number of folds.
    pub folds: usize,
    /// The metric scored on each held-out fold.
    pub metric: Metric,
}

/// `OPTIONS (…)` of `CREATE MODEL`, checked and typed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ModelOptions {
    /// From `type`: binary logistic or squared error.
    pub objective: Objective,
    /// The label column.
    pub label: String,
    /// The feature columns; `None` means every column but the label.
    pub features: Option<Vec<String>>,
    /// Entity keys left out of the features because they were not listed (an
    /// identifier is not a feature); the result's warning names them.
    pub left_out_keys: Vec<String>,
    /// Share of rows held out for metrics; 0 trains on every row.
    pub test_fraction: f64,
    /// Decision threshold of a classifier's metrics.
    pub threshold: f64,
    /// Recorded with the version.
    pub comment: Option<String>,
    /// Training parameters (the seed also drives the split and the search).
    pub params: GbdtParams,
    /// Set when `search` is given.
    pub search: Option<SearchOptions>,
    /// Set when `cv` is given without `search`.
    pub validation: Option<CvOptions>,
    /// The experiment the training run is logged in (default: the model's name).
    pub experiment: Option<String>,
    /// The run's name (default: the version, or `model-version` in a named experiment).
    pub run: Option<String>,
    /// The training parameters the statement named: `(name, "set")` for a fixed
    /// value, `(name, "search")` for a range; every other parameter is a default.
    pub param_origins: Vec<(String, String)>,
}

pub(super) fn valid_options() -> String {
    SETTINGS
        .iter()
        .copied()
        .chain(
            PARAMETERS
                .iter()
                .map(|(name, _)| *name)
                .filter(|n| *n != "objective"),
        )
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn objective_of(value: &str) -> DFResult<Objective> {
    match value.trim().to_ascii_lowercase().as_str() {
        "gbdt_classifier" => Ok(Objective::BinaryLogistic),
        "gbdt_regressor" => Ok(Objective::SquaredError),
        _ => plan_err!(
            "invalid value '{value}' for option type: expected 'gbdt_classifier' or 'gbdt_regressor'"
        ),
    }
}

pub(crate) fn type_name(objective: Objective) -> &'static str {
    match objective {
        Objective::BinaryLogistic => "gbdt_classifier",
        Objective::SquaredError => "gbdt_regressor",
    }
}

pub(super) fn number_in(
    name: &str,
    value: &str,
    range: &str,
    ok: impl Fn(f64) -> bool,
) -> DFResult<f64> {
    match value.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && ok(v) => Ok(v),
        _ => plan_err!("invalid value '{value}' for option {name}: expected {range}"),
    }
}

pub(super) fn integer_in(name: &str, value: &str, low: usize, high: usize) -> DFResult<usize> {
    match value.trim().parse::<usize>() {
        Ok(v) if (low..=high).contains(&v) => Ok(v),
        _ => plan_err!(
            "invalid value '{value}' for option {name}: expected an integer in {low}..={high}"
        ),
    }
}

/// The query column `name` refers to: an exact match, else the one match ignoring case.
pub(super) fn column<'a>(option: &str, name: &str, columns: &'a [String]) -> DFResult<&'a str> {
    if let Some(exact) = columns.iter().find(|c| *c == name) {
        return Ok(exact);
    }
    let folded: Vec<&String> = columns
        .iter()
        .filter(|c| c.eq_ignore_ascii_case(name))
        .collect();
    match folded.as_slice() {
        [only] => Ok(only.as_str()),
        _ => plan_err!(
            "{option} column '{name}' is not in the query; its columns are: {}",
            columns.join(", ")
        ),
    }
}

/// `'a, b, c'` as query columns.
pub(super) fn column_list(option: &str, value: &str, columns: &[String]) -> DFResult<Vec<String>> {
    let names: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return plan_err!("option {option} lists no columns; write e.g. {option} 'a, b'");
    }
    names
        .into_iter()
        .map(|n| column(option, n, columns).map(str::to_string))
        .collect()
}

impl ModelOptions {
    /// Reads `options` for a query with `columns`; every mistake names the option.
    /// `entity_keys` (known from the query's lineage) are features only when
    /// option `features` lists them.
    pub(crate) fn parse(
        options: &[(String, String)],
        columns: &[String],
        entity_keys: &[String],
    ) -> DFResult<Self> {
        let get = |key: &str| {
            options
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let objective = match get("type") {
            Some(value) => objective_of(value)?,
            None => {
                return plan_err!(
                    "missing option type: expected type 'gbdt_classifier' or type 'gbdt_regressor'"
                );
            }
        };
        let strategy = match get("search").map(|s| s.trim().to_ascii_lowercase()) {
            None => None,
            Some(s) if s == "random" => Some(Strategy::Random { n_iter: 10 }),
            Some(s) if s == "grid" => Some(Strategy::Grid),
            Some(s) => {
                return plan_err!(
                    "invalid value '{s}' for option search: expected 'random' or 'grid'"
                );
            }
        };
        let mut params = GbdtParams {
            objective,
            ..GbdtParams::default()
        };
        let (mut label, mut features, mut exclude) = (None, None, None);
        let (mut test_fraction, mut threshold, mut comment) = (0.2, 0.5, None);
        let (mut space, mut folds, mut metric) = (SearchSpace::default(), None, None);
        let mut n_iter = None;
        let (mut experiment, mut run) = (None, None);
        let mut param_origins = Vec::new();
        for (key, value) in options {
            match key.as_str() {
                "type" | "search" => {}
                "label" => label = Some(column("label", value, columns)?.to_string()),
                "features" => features = Some(column_list("features", value, columns)?),
                "exclude" => exclude = Some(column_list("exclude", value, columns)?),
                "test_fraction" => {
                    test_fraction = number_in(key, value, "a number in [0, 1)", |v| {
                        (0.0..1.0).contains(&v)
                    })?
                }
                "threshold" => {
                    threshold = number_in(key, value, "a number in [0, 1]", |v| {
                        (0.0..=1.0).contains(&v)
                    })?
                }
                "comment" => comment = Some(value.clone()),
                "n_iter" => n_iter = Some(integer_in(key, value, 1, 10_000)?),
                "cv" => folds = Some(integer_in(key, value, 2, 100)?),
                "scoring" => metric = Some(Metric::from_name(value)?),
                "objective" => {
                    return plan_err!(
                        "option objective is set by type: write type 'gbdt_classifier' or type 'gbdt_regressor'"
                    );
                }
                "experiment" => experiment = Some(value.clone()),
                "run" => run = Some(value.clone()),
                name if GbdtParams::is_parameter(name) => {
                    if !value.contains('(') {
                        params.set(name, value)?;
                        param_origins.push((name.to_string(), "set".to_string()));
                    } else if strategy.is_some() {
                        space.add(name, value)?;
                        param_origins.push((name.to_string(), "search".to_string()));
                    } else {
                        return plan_err!(
                            "option {name} is a range '{value}', which needs search 'random' or search 'grid'"
                        );
                    }
                }
                other => {
                    let known = SETTINGS.iter().chain(PARAMETERS.iter().map(|(n, _)| n));
                    return plan_err!(
                        "unknown option '{other}' of CREATE MODEL{}; valid options are: {}",
                        did_you_mean(other, known.copied()),
                        valid_options()
                    );
                }
            }
        }
        let Some(label) = label else {
            return plan_err!(
                "missing option label: name the label column; the query's columns are: {}",
                columns.join(", ")
            );
        };
        let (features, left_out_keys) = match (features, exclude) {
            (Some(_), Some(_)) => {
                return plan_err!("give either option features or option exclude, not both");
            }
            (Some(features), None) => (Some(features), Vec::new()),
            (None, excluded) => {
                let excluded = excluded.unwrap_or_default();
                let left_out_keys: Vec<String> = columns
                    .iter()
                    .filter(|c| **c != label && !excluded.contains(c))
                    .filter(|c| entity_keys.iter().any(|k| k.eq_ignore_ascii_case(c)))
                    .cloned()
                    .collect();
                let features = (!excluded.is_empty() || !left_out_keys.is_empty()).then(|| {
                    columns
                        .iter()
                        .filter(|c| **c != label && !excluded.contains(c))
                        .filter(|c| !left_out_keys.contains(c))
                        .cloned()
                        .collect()
                });
                (features, left_out_keys)
            }
        };
        let default_metric = match objective {
            Objective::BinaryLogistic => Metric::F1,
            Objective::SquaredError => Metric::Rmse,
        };
        if let Some(metric) = metric
            && !metric.fits(objective)
        {
            return plan_err!(
                "scoring '{}' does not apply to a {}",
                metric.name(),
                type_name(objective)
            );
        }
        let mut validation = None;
        let search = match strategy {
            None => {
                if n_iter.is_some() {
                    return plan_err!(
                        "option n_iter applies to a search: add search 'random' or search 'grid'"
                    );
                }
                match (folds, metric) {
                    (Some(folds), metric) => {
                        validation = Some(CvOptions {
                            folds,
                            metric: metric.unwrap_or(default_metric),
                        })
                    }
                    (None, Some(_)) => {
                        return plan_err!(
                            "option scoring applies to cross-validation: add cv N, or a search"
                        );
                    }
                    (None, None) => {}
                }
                None
            }
            Some(strategy) => {
                if space.ranges.is_empty() {
                    return plan_err!(
                        "search needs at least one parameter given as a range, e.g. max_depth 'int(3,9)'"
                    );
                }
                let strategy = match (strategy, n_iter) {
                    (Strategy::Grid, Some(_)) => {
                        return plan_err!("option n_iter applies to search 'random' only");
                    }
                    (Strategy::Random { .. }, Some(n_iter)) => Strategy::Random { n_iter },
                    (strategy, None) => strategy,
                };
                let metric = metric.unwrap_or(default_metric);
                Some(SearchOptions {
                    space,
                    strategy,
                    folds: folds.unwrap_or(3),
                    metric,
                })
            }
        };
        Ok(Self {
            objective,
            label,
            features,
            left_out_keys,
            param_origins,
            test_fraction,
            threshold,
            comment,
            params,
            search,
            validation,
            experiment,
            run,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::search::Strategy;

    fn columns() -> Vec<String> {
        ["id", "x", "kind", "Y"].map(String::from).to_vec()
    }

    fn parse(options: &[(&str, &str)]) -> DFResult<ModelOptions> {
        let options: Vec<(String, String)> = options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ModelOptions::parse(&options, &columns(), &[])
    }

    fn message(options: &[(&str, &str)]) -> String {
        parse(options).expect_err("refused").to_string()
    }

    #[test]
    fn reads_options_into_typed_settings() {
        let options = parse(&[
            ("type", "gbdt_classifier"),
            ("label", "y"),
            ("exclude", "id"),
            ("max_depth", "5"),
            ("scale_pos_weight", "3"),
            ("seed", "42"),
            ("test_fraction", "0"),
            ("comment", "first"),
        ])
        .expect("valid");
        assert_eq!(options.objective, Objective::BinaryLogistic);
        assert_eq!(options.label, "Y", "matched ignoring case");
        assert_eq!(options.features, Some(vec!["x".into(), "kind".into()]));
        assert_eq!(options.params.max_depth, 5);
        assert_eq!(options.params.seed, 42);
        assert_eq!(options.test_fraction, 0.0);
        assert_eq!(options.comment.as_deref(), Some("first"));
        assert!(options.search.is_none());

        let searched = parse(&[
            ("type", "gbdt_regressor"),
            ("label", "x"),
            ("search", "random"),
            ("n_iter", "4"),
            ("max_depth", "int(2,4)"),
            ("learning_rate", "0.2"),
        ])
        .expect("valid");
        let search = searched.search.expect("search");
        assert_eq!(search.strategy, Strategy::Random { n_iter: 4 });
        assert_eq!((search.folds, search.metric), (3, Metric::Rmse));
        assert_eq!(search.space.ranges.len(), 1);
        assert_eq!(searched.params.objective, Objective::SquaredError);
        assert_eq!(searched.params.learning_rate, 0.2);
    }

    #[test]
    fn entity_keys_are_features_only_when_listed() {
        let options = |pairs: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            ModelOptions::parse(&pairs, &columns(), &["ID".to_string()]).expect("valid")
        };
        let base = [("type", "gbdt_classifier"), ("label", "y")];
        let default = options(&base);
        assert_eq!(default.features, Some(vec!["x".into(), "kind".into()]));
        assert_eq!(default.left_out_keys, vec!["id".to_string()]);

        let mut excluding = base.to_vec();
        excluding.push(("exclude", "kind"));
        let excluding = options(&excluding);
        assert_eq!(excluding.features, Some(vec!["x".into()]));
        assert_eq!(excluding.left_out_keys, vec!["id".to_string()]);

        let mut excluded_by_hand = base.to_vec();
        excluded_by_hand.push(("exclude", "id"));
        assert!(options(&excluded_by_hand).left_out_keys.is_empty());

        let mut listed = base.to_vec();
        listed.push(("features", "id, x"));
        let listed = options(&listed);
        assert_eq!(listed.features, Some(vec!["id".into(), "x".into()]));
        assert!(listed.left_out_keys.is_empty());
    }

    #[test]
    fn every_mistake_names_the_option() {
        let base = [("type", "gbdt_classifier"), ("label", "y")];
        let with = |extra: (&'static str, &'static str)| {
            let mut options = base.to_vec();
            options.push(extra);
            message(&options)
        };
        assert!(message(&[("type", "gbdt_classifier")]).contains(
            "missing option label: name the label column; the query's columns are: id, x, kind, Y"
        ));
        assert!(message(&[("label", "y")]).contains("missing option type"));
        assert!(
            message(&[("type", "svm"), ("label", "y")])
                .contains("invalid value 'svm' for option type")
        );
        assert!(
            message(&[("type", "gbdt_classifier"), ("label", "z")])
                .contains("label column 'z' is not in the query; its columns are: id, x, kind, Y")
        );
        assert!(with(("max_depth", "0")).contains("invalid value '0' for option max_depth"));
        assert!(
            with(("colour", "red")).contains(
                "unknown option 'colour' of CREATE MODEL; valid options are: type, label"
            )
        );
        assert!(
            with(("max_dept", "3"))
                .contains("unknown option 'max_dept' of CREATE MODEL; did you mean 'max_depth'?")
        );
        assert!(with(("max_depth", "int(2,4)")).contains("needs search"));
        assert!(with(("n_iter", "3")).contains("option n_iter applies to a search"));
        assert!(with(("scoring", "f1")).contains("option scoring applies to cross-validation"));
        assert!(with(("test_fraction", "1")).contains("option test_fraction"));
        assert!(with(("features", "x, nope")).contains("features column 'nope'"));
        assert!(with(("objective", "binary:logistic")).contains("set by type"));
        assert!(with(("search", "genetic")).contains("option search"));
        assert!(with(("search", "grid")).contains("at least one parameter given as a range"));
        let mut scored = base.to_vec();
        scored.extend([
            ("search", "grid"),
            ("max_depth", "int(2,3)"),
            ("scoring", "rmse"),
        ]);
        assert!(message(&scored).contains("scoring 'rmse' does not apply to a gbdt_classifier"));
    }
}
