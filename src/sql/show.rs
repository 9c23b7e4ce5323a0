//! `SHOW MODELS`, `SHOW VERSIONS IN MODEL m`, `SHOW EXPERIMENTS`,
//! `SHOW RUNS [IN EXPERIMENT e]`, … and `SHOW FUNCTIONS [LIKE 'p']`: listings of
//! Firn's objects and functions.
//!
//! Each is sugar for a query over a system table of the `firn` schema
//! ([`Show::query`]), so the statement and `SELECT * FROM firn.models` give the
//! same rows, through every front end.

use std::fmt;

use datafusion::error::Result;
use datafusion::sql::sqlparser::parser::Parser;

use crate::sql::tokens::{
    expect_words, parse_name, parse_word, peek_words, quote_literal, write_identifier,
};

/// A `SHOW` statement of Firn's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Show {
    /// `SHOW MODELS`.
    Models,
    /// `SHOW VERSIONS IN MODEL name`.
    Versions {
        /// The model (folded unless quoted).
        model: String,
    },
    /// `SHOW EXPERIMENTS`.
    Experiments,
    /// `SHOW RUNS [IN EXPERIMENT name]`.
    Runs {
        /// Only the runs of this experiment.
        experiment: Option<String>,
    },
    /// `SHOW ENTITIES`.
    Entities,
    /// `SHOW FEATURE VIEWS`.
    FeatureViews,
    /// `SHOW MONITORS`.
    Monitors,
    /// `SHOW FUNCTIONS [LIKE 'pattern']`: Firn's functions, then DataFusion's.
    Functions {
        /// A `LIKE` pattern for the name.
        like: Option<String>,
    },
}

/// The objects `SHOW` lists here (others, like `SHOW TABLES`, are DataFusion's).
const SHOWN: &[&str] = &[
    "models",
    "versions",
    "experiments",
    "runs",
    "entities",
    "monitors",
    "functions",
];

/// Whether the next tokens start one of Firn's `SHOW` statements.
pub(crate) fn starts_show(parser: &Parser<'_>) -> bool {
    SHOWN.iter().any(|what| peek_words(parser, &["show", what]))
        || peek_words(parser, &["show", "feature", "views"])
}

/// Parses a `SHOW` statement (the caller has checked [`starts_show`]).
pub(crate) fn parse_show(parser: &mut Parser<'_>) -> Result<Show> {
    expect_words(parser, &["show"])?;
    if parse_word(parser, "models") {
        return Ok(Show::Models);
    }
    if parse_word(parser, "versions") {
        expect_words(parser, &["in", "model"])?;
        let model = parse_name(parser, "a model name")?;
        return Ok(Show::Versions { model });
    }
    if parse_word(parser, "experiments") {
        return Ok(Show::Experiments);
    }
    if parse_word(parser, "entities") {
        return Ok(Show::Entities);
    }
    if parse_word(parser, "monitors") {
        return Ok(Show::Monitors);
    }
    if parse_word(parser, "functions") {
        let like = if parse_word(parser, "like") {
            Some(parser.parse_literal_string()?)
        } else {
            None
        };
        return Ok(Show::Functions { like });
    }
    if parse_word(parser, "feature") {
        expect_words(parser, &["views"])?;
        return Ok(Show::FeatureViews);
    }
    expect_words(parser, &["runs"])?;
    let experiment = if parse_word(parser, "in") {
        expect_words(parser, &["experiment"])?;
        Some(parse_name(parser, "an experiment name")?)
    } else {
        None
    };
    Ok(Show::Runs { experiment })
}

impl Show {
    /// The query over the `firn` system tables that this statement stands for.
    pub fn query(&self) -> String {
        match self {
            Show::Models => {
                "SELECT model, default_version, versions, aliases, latest_version, latest_created_at, problem \
                 FROM firn.models ORDER BY model"
                    .into()
            }
            Show::Versions { model } => format!(
                "SELECT version, is_default, aliases, created_at, objective, comment, metrics \
                 FROM firn.model_versions WHERE model = {} ORDER BY created_at, version",
                quote_literal(model)
            ),
            Show::Experiments => {
                "SELECT experiment, runs, created_at, last_run_at, comment \
                 FROM firn.experiments ORDER BY experiment"
                    .into()
            }
            Show::Runs { experiment } => {
                let filter = experiment
                    .as_ref()
                    .map(|e| format!("WHERE experiment = {} ", quote_literal(e)))
                    .unwrap_or_default();
                format!(
                    "SELECT experiment, run, status, started_at, ended_at, \
                     round(date_part('epoch', ended_at) - date_part('epoch', started_at), 3) AS seconds, \
                     model, model_version, parent_run \
                     FROM firn.runs {filter}ORDER BY experiment, started_at, run"
                )
            }
            Show::Entities => "SELECT entity, keys, comment, created_at, feature_views \
                 FROM firn.entities ORDER BY entity"
                .into(),
            Show::Monitors => "SELECT monitor, model, alias, data, label, timestamp_column, options, created_at \
                 FROM firn.monitors ORDER BY monitor"
                .into(),
            Show::Functions { like } => {
                let (firn, builtin) = match like {
                    Some(pattern) => {
                        let pattern = quote_literal(pattern);
                        (
                            format!(" AND function_name LIKE {pattern}"),
                            format!(" AND routine_name LIKE {pattern}"),
                        )
                    }
                    None => (String::new(), String::new()),
                };
                format!(
                    "SELECT function_name, function_type, syntax, description FROM (\
                     SELECT function_name, function_type, syntax, description, 0 AS firn_first \
                     FROM firn.functions WHERE function_type <> 'statement'{firn} \
                     UNION ALL \
                     SELECT DISTINCT routine_name, lower(function_type), replace(syntax_example, chr(10), ' '), description, 1 \
                     FROM information_schema.routines \
                     WHERE routine_name NOT IN (SELECT function_name FROM firn.functions){builtin}) \
                     ORDER BY firn_first, function_name, function_type"
                )
            }
            Show::FeatureViews => {
                "SELECT feature_view, version, entity, timestamp_column, materialized, features, comment, created_at \
                 FROM firn.feature_views ORDER BY feature_view, created_at, version"
                    .into()
            }
        }
    }
}

impl fmt::Display for Show {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Show::Models => f.write_str("SHOW MODELS"),
            Show::Versions { model } => {
                f.write_str("SHOW VERSIONS IN MODEL ")?;
                write_identifier(f, model)
            }
            Show::Experiments => f.write_str("SHOW EXPERIMENTS"),
            Show::Entities => f.write_str("SHOW ENTITIES"),
            Show::FeatureViews => f.write_str("SHOW FEATURE VIEWS"),
            Show::Monitors => f.write_str("SHOW MONITORS"),
            Show::Functions { like: None } => f.write_str("SHOW FUNCTIONS"),
            Show::Functions {
                like: Some(pattern),
            } => {
                write!(f, "SHOW FUNCTIONS LIKE {}", quote_literal(pattern))
            }
            Show::Runs { experiment: None } => f.write_str("SHOW RUNS"),
            Show::Runs {
                experiment: Some(experiment),
            } => {
                f.write_str("SHOW RUNS IN EXPERIMENT ")?;
                write_identifier(f, experiment)
            }
        }
    }
}
