//! The reference inside the product: syntax, a description and an example for
//! every Firn function and statement. `firn.functions`, `SHOW FUNCTIONS` and the
//! shell's `\h NAME` all read this one list; the manifest's tests check that
//! every function has its entry, and a test here that the README shows each. (DataFusion's `Documentation` attaches to
//! scalar and aggregate functions only; table functions and statements need
//! their own list anyway, so this is the one place for all of them.)

/// What an entry documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A table function (`SELECT * FROM name(…)`).
    Table,
    /// A scalar function.
    Scalar,
    /// An aggregate function.
    Aggregate,
    /// A statement (`CREATE MODEL …`).
    Statement,
}

impl Kind {
    /// As `SHOW FUNCTIONS` spells it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Scalar => "scalar",
            Kind::Aggregate => "aggregate",
            Kind::Statement => "statement",
        }
    }
}

/// One entry of the reference.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    /// The function's name (lower case), or the statement's leading keywords.
    pub name: &'static str,
    /// Function or statement.
    pub kind: Kind,
    /// The section it belongs to (models, feature store, …).
    pub section: &'static str,
    /// The call or statement, optional parts in brackets.
    pub syntax: &'static str,
    /// What it does and returns.
    pub description: &'static str,
    /// A statement to copy.
    pub example: &'static str,
}

const MODELS: &str = "models";
const SCORING: &str = "scoring";
const REGISTRY: &str = "registry";
const MONITORING: &str = "monitoring";
const FEATURES: &str = "feature store";
const TRACKING: &str = "experiment tracking";
const DATA: &str = "data";
const METRICS: &str = "metric aggregates";

/// Every entry, functions first (as the manifest lists them), then statements.
pub(crate) const REFERENCE: &[Entry] = &[
    // ---- scoring
    Entry {
        name: "predict",
        kind: Kind::Scalar,
        section: SCORING,
        syntax: "predict('model[@version|@alias]', feature, …)",
        description: "The model's prediction for one row: a classifier's probability of class 1, a regressor's value. Features go in the model's order (see model_signature); the call is checked against the stored signature when the query is planned, and the version is pinned then.",
        example: "SELECT customer_id, predict('churn', days_since_last_order, total_order_count, segment) AS p FROM customers_now",
    },
    Entry {
        name: "predict_proba",
        kind: Kind::Scalar,
        section: SCORING,
        syntax: "predict_proba('model[@version|@alias]', feature, …)",
        description: "A classifier's probability of class 1 (predict, refusing regressors).",
        example: "SELECT predict_proba('churn@v2', days_since_last_order, total_order_count, segment) FROM customers_now",
    },
    Entry {
        name: "predict_label",
        kind: Kind::Scalar,
        section: SCORING,
        syntax: "predict_label('model[@version|@alias]', feature, … [, threshold])",
        description: "A classifier's label: 1 when the probability is at least the threshold (default 0.5), else 0.",
        example: "SELECT predict_label('churn@champion', days_since_last_order, total_order_count, segment, 0.3) FROM customers_now",
    },
    Entry {
        name: "predict",
        kind: Kind::Table,
        section: SCORING,
        syntax: "predict('model[@version|@alias]', 'table or query' [, threshold])",
        description: "Scores a whole table or query, features found by name (BigQuery ML's ML.PREDICT): the data's columns, then prediction, predicted_label (classifiers; threshold default 0.5) and model_version, the version that scored the rows.",
        example: "SELECT * FROM predict('churn', 'SELECT * FROM feature_view(''customer_features'', ''v2'')')",
    },
    // ---- models
    Entry {
        name: "evaluate",
        kind: Kind::Table,
        section: MODELS,
        syntax: "evaluate('model[@version]', 'table or query' [, threshold] [, 'label'])",
        description: "A model's metrics over the data's rows, one row: rows, threshold, accuracy, precision, recall, f1, roc_auc, pr_auc, log_loss, tp, fp, tn, fn (regressors: rows, rmse, mae, r2).",
        example: "SELECT * FROM evaluate('churn_search', 'test_set')",
    },
    Entry {
        name: "confusion_matrix",
        kind: Kind::Table,
        section: MODELS,
        syntax: "confusion_matrix('model[@version]', 'table or query' [, threshold] [, 'label'])",
        description: "A classifier's confusion matrix: two rows (actual 0 and 1) with the counts predicted 0 and predicted 1.",
        example: "SELECT * FROM confusion_matrix('churn_search', 'test_set')",
    },
    Entry {
        name: "roc_curve",
        kind: Kind::Table,
        section: MODELS,
        syntax: "roc_curve('model[@version]', 'table or query' [, 'label'])",
        description: "A classifier's ROC curve, one row per distinct score: threshold, recall, false_positive_rate and the confusion counts (BigQuery ML's ML.ROC_CURVE columns).",
        example: "SELECT * FROM roc_curve('churn_search', 'test_set')",
    },
    Entry {
        name: "explain_predict",
        kind: Kind::Table,
        section: MODELS,
        syntax: "explain_predict('model[@version]', 'table or query' [, top_k])",
        description: "Exact TreeSHAP contributions in long format: the data's non-feature columns, row_number, prediction, base_value, rank, feature, value, shap (margin space: base_value + sum of shap is the row's margin).",
        example: "SELECT * FROM explain_predict('churn_search', 'SELECT * FROM test_set LIMIT 10', 3)",
    },
    Entry {
        name: "feature_importance",
        kind: Kind::Table,
        section: MODELS,
        syntax: "feature_importance('model[@version]' [, 'table or query'])",
        description: "How much each feature matters: gain, weight, cover, total_gain, total_cover and, with data, the mean absolute SHAP value over its rows.",
        example: "SELECT * FROM feature_importance('churn_search', 'SELECT * FROM train_set LIMIT 500')",
    },
    Entry {
        name: "cross_validate",
        kind: Kind::Table,
        section: MODELS,
        syntax: "cross_validate('model[@version]', 'table or query', folds [, 'metric'])",
        description: "k-fold cross-validation of a version's parameters on the data: one row per fold (fold, rows, metric, score), stratified and seeded like CREATE MODEL.",
        example: "SELECT avg(score), stddev_pop(score) FROM cross_validate('churn_search', 'train_set', 5, 'f1')",
    },
    Entry {
        name: "model_nodes",
        kind: Kind::Table,
        section: MODELS,
        syntax: "model_nodes('model[@version]')",
        description: "A version's node table, one row per tree node: tree_id, node_id, feature, threshold, default_left, left, right, leaf_value, gain, cover.",
        example: "SELECT * FROM model_nodes('churn@v2') WHERE tree_id = 0",
    },
    Entry {
        name: "describe_model",
        kind: Kind::Table,
        section: MODELS,
        syntax: "describe_model('model[@version]')",
        description: "Everything the registry knows of one version as (section, name, value) rows: version, features, parameters, metrics (CV included), lineage. The function form of DESCRIBE MODEL.",
        example: "SELECT * FROM describe_model('churn@v2') WHERE section = 'metric'",
    },
    Entry {
        name: "model_signature",
        kind: Kind::Table,
        section: MODELS,
        syntax: "model_signature('model[@version]')",
        description: "The features a version expects, in predict's order: position, name, kind, the SQL type to pass and a categorical feature's categories.",
        example: "SELECT * FROM model_signature('churn')",
    },
    Entry {
        name: "train_model",
        kind: Kind::Table,
        section: MODELS,
        syntax: "train_model('name', 'table or query', 'option', value, … [, 'version', 'v3'])",
        description: "CREATE MODEL as a table function, for clients that can only send queries; the same options and result row.",
        example: "SELECT * FROM train_model('churn', 'training_dataset', 'type', 'gbdt_classifier', 'label', 'is_churned', 'exclude', 'customer_id')",
    },
    Entry {
        name: "verify_model",
        kind: Kind::Table,
        section: MODELS,
        syntax: "verify_model('model[@version]')",
        description: "Re-runs a version's training query, compares the data's fingerprint, re-trains with the recorded parameters and seed and reports one row per check. The function form of VERIFY MODEL.",
        example: "SELECT check, status, detail FROM verify_model('churn@champion')",
    },
    // ---- registry
    Entry {
        name: "model_version_at",
        kind: Kind::Table,
        section: REGISTRY,
        syntax: "model_version_at('model', 'alias' | 'default', TIMESTAMP '…')",
        description: "The version an alias (or the default) named at a time: one row of firn.model_ref_history.",
        example: "SELECT * FROM model_version_at('churn', 'champion', TIMESTAMP '2025-03-01 00:00:00')",
    },
    Entry {
        name: "set_default_version",
        kind: Kind::Table,
        section: REGISTRY,
        syntax: "set_default_version('model', 'version')",
        description: "ALTER MODEL m SET DEFAULT VERSION v as a function.",
        example: "SELECT * FROM set_default_version('churn', 'v2')",
    },
    Entry {
        name: "set_model_alias",
        kind: Kind::Table,
        section: REGISTRY,
        syntax: "set_model_alias('model', 'version', 'alias')",
        description: "ALTER MODEL m VERSION v SET ALIAS a as a function (moves the alias if it exists).",
        example: "SELECT * FROM set_model_alias('churn', 'v2', 'champion')",
    },
    Entry {
        name: "unset_model_alias",
        kind: Kind::Table,
        section: REGISTRY,
        syntax: "unset_model_alias('model', 'alias')",
        description: "ALTER MODEL m UNSET ALIAS a as a function.",
        example: "SELECT * FROM unset_model_alias('churn', 'champion')",
    },
    Entry {
        name: "set_model_comment",
        kind: Kind::Table,
        section: REGISTRY,
        syntax: "set_model_comment('model', 'version', 'text')",
        description: "ALTER MODEL m VERSION v SET COMMENT 'text' as a function.",
        example: "SELECT * FROM set_model_comment('churn', 'v2', 'parameter improvement')",
    },
    Entry {
        name: "drop_model",
        kind: Kind::Table,
        section: REGISTRY,
        syntax: "drop_model('model' [, 'version'])",
        description: "DROP MODEL m [VERSION v] as a function. The default version cannot be dropped while others exist.",
        example: "SELECT * FROM drop_model('churn', 'v1')",
    },
    // ---- monitoring
    Entry {
        name: "drift_report",
        kind: Kind::Table,
        section: MONITORING,
        syntax: "drift_report('model[@version]', 'table or query' [, 'option=value', …])",
        description: "How far the data drifted from the version's training data: one row per feature and one for the prediction, with PSI, KS, null rates, values outside the training range and unseen categories.",
        example: "SELECT feature, psi, flagged FROM drift_report('churn', 'next_month') WHERE flagged",
    },
    Entry {
        name: "run_monitor",
        kind: Kind::Table,
        section: MONITORING,
        syntax: "run_monitor('monitor')",
        description: "One run of a monitor: drift and (with labels) metrics per period, appended to firn.monitor_results and logged as a run. The function form of RUN MONITOR.",
        example: "SELECT * FROM run_monitor('churn_champion_monitor')",
    },
    // ---- data
    Entry {
        name: "churn_labels",
        kind: Kind::Table,
        section: DATA,
        syntax: "churn_labels('events table', 'entity column', 'time column', window_start, cutoff, horizon_end)",
        description: "The churn label of every entity with an event in [window_start, cutoff]: is_churned = 1 when it has no event in (cutoff, horizon_end].",
        example: "SELECT * FROM churn_labels('orders', 'customer_id', 'order_date', DATE '2024-01-01', DATE '2024-06-30', DATE '2024-12-31')",
    },
    Entry {
        name: "train_test_split",
        kind: Kind::Table,
        section: DATA,
        syntax: "train_test_split('table or query', test_fraction, seed [, 'stratify column'])",
        description: "The data's rows plus split ('train' or 'test'): exactly the split CREATE MODEL makes with the same fraction and seed.",
        example: "SELECT * FROM train_test_split('training_dataset', 0.2, 42, 'is_churned')",
    },
    // ---- tracking
    Entry {
        name: "create_experiment",
        kind: Kind::Table,
        section: TRACKING,
        syntax: "create_experiment('experiment' [, 'comment'])",
        description: "Creates an experiment (optional: logging creates it).",
        example: "SELECT * FROM create_experiment('churn', 'churn models')",
    },
    Entry {
        name: "start_run",
        kind: Kind::Table,
        section: TRACKING,
        syntax: "start_run('experiment', 'run')",
        description: "Starts a run (optional: logging starts it).",
        example: "SELECT * FROM start_run('churn', 'manual')",
    },
    Entry {
        name: "log_param",
        kind: Kind::Table,
        section: TRACKING,
        syntax: "log_param('experiment', 'run', 'name', value)",
        description: "Logs a parameter of a run (set once).",
        example: "SELECT * FROM log_param('churn', 'manual', 'max_depth', 5)",
    },
    Entry {
        name: "log_metric",
        kind: Kind::Table,
        section: TRACKING,
        syntax: "log_metric('experiment', 'run', 'name', value [, step])",
        description: "Logs a metric value of a run (finite), at a step.",
        example: "SELECT * FROM log_metric('churn', 'manual', 'f1', 0.81)",
    },
    Entry {
        name: "end_run",
        kind: Kind::Table,
        section: TRACKING,
        syntax: "end_run('experiment', 'run' [, 'FINISHED' | 'FAILED' | 'KILLED'])",
        description: "Ends a run with a status (default FINISHED).",
        example: "SELECT * FROM end_run('churn', 'manual')",
    },
    Entry {
        name: "compare_runs",
        kind: Kind::Table,
        section: TRACKING,
        syntax: "compare_runs('experiment' [, 'metric'])",
        description: "An experiment's runs side by side: run, status, model, model_version, parent_run, started_at, then params.<name> and metrics.<name> (MLflow's search_runs names), best first by the metric when given.",
        example: "SELECT * FROM compare_runs('churn_prediction_experiment', 'f1')",
    },
    // ---- feature store
    Entry {
        name: "feature_view",
        kind: Kind::Table,
        section: FEATURES,
        syntax: "feature_view('name' [, 'version'])",
        description: "The rows of one version of a feature view (without a version: the newest).",
        example: "SELECT * FROM feature_view('customer_features', 'v2')",
    },
    Entry {
        name: "training_set",
        kind: Kind::Table,
        section: FEATURES,
        syntax: "training_set('spine table or query', 'view:version', … [, 'option=value', …])",
        description: "The spine's rows with the features of one or more feature views, joined on the entity keys (point in time when the spine has an event time: spine_timestamp=col, lookback, fill, fill_text, feature_timestamps).",
        example: "SELECT * FROM training_set('churn_labels', 'customer_features:v2', 'fill=0')",
    },
    Entry {
        name: "check_training_set",
        kind: Kind::Table,
        section: FEATURES,
        syntax: "check_training_set('table or spine', ['view:version', …], 'label=column' [, 'option=value', …])",
        description: "A leakage report over a training set: rows with features from after the spine time or the cutoff, and features whose single-feature AUC is near perfect.",
        example: "SELECT * FROM check_training_set('training_dataset', 'label=is_churned')",
    },
    // ---- metric aggregates
    Entry {
        name: "auc",
        kind: Kind::Aggregate,
        section: METRICS,
        syntax: "auc(score, label)",
        description: "ROC AUC of scores against 0/1 labels.",
        example: "SELECT auc(p, is_churned) FROM scored",
    },
    Entry {
        name: "pr_auc",
        kind: Kind::Aggregate,
        section: METRICS,
        syntax: "pr_auc(score, label)",
        description: "Area under the precision-recall curve (average precision).",
        example: "SELECT pr_auc(p, is_churned) FROM scored",
    },
    Entry {
        name: "log_loss",
        kind: Kind::Aggregate,
        section: METRICS,
        syntax: "log_loss(probability, label)",
        description: "Mean binary cross-entropy.",
        example: "SELECT log_loss(p, is_churned) FROM scored",
    },
    Entry {
        name: "accuracy_score",
        kind: Kind::Aggregate,
        section: METRICS,
        syntax: "accuracy_score(predicted, label)",
        description: "Share of rows whose predicted label equals the label.",
        example: "SELECT accuracy_score(CAST(p >= 0.5 AS INT), is_churned) FROM scored",
    },
    Entry {
        name: "precision_score",
        kind: Kind::Aggregate,
        section: METRICS,
        syntax: "precision_score(predicted, label)",
        description: "tp / (tp + fp).",
        example: "SELECT precision_score(CAST(p >= 0.5 AS INT), is_churned) FROM scored",
    },
    Entry {
        name: "recall_score",
        kind: Kind::Aggregate,
        section: METRICS,
        syntax: "recall_score(predicted, label)",
        description: "tp / (tp + fn).",
        example: "SELECT recall_score(CAST(p >= 0.5 AS INT), is_churned) FROM scored",
    },
    Entry {
        name: "f1_score",
        kind: Kind::Aggregate,
        section: METRICS,
        syntax: "f1_score(predicted, label)",
        description: "Harmonic mean of precision and recall.",
        example: "SELECT f1_score(CAST(p >= 0.5 AS INT), is_churned) FROM scored",
    },
    Entry {
        name: "rmse",
        kind: Kind::Aggregate,
        section: METRICS,
        syntax: "rmse(predicted, actual)",
        description: "Root mean squared error.",
        example: "SELECT rmse(predicted_amount, amount) FROM scored",
    },
    Entry {
        name: "r2_score",
        kind: Kind::Aggregate,
        section: METRICS,
        syntax: "r2_score(predicted, actual)",
        description: "Coefficient of determination.",
        example: "SELECT r2_score(predicted_amount, amount) FROM scored",
    },
    // ---- statements
    Entry {
        name: "create model",
        kind: Kind::Statement,
        section: MODELS,
        syntax: "CREATE MODEL name [VERSION v] OPTIONS (type 'gbdt_classifier' | 'gbdt_regressor', label 'col' [, features 'a, b' | exclude 'a, b'] [, parameter value | 'range', …] [, search 'random' | 'grid', n_iter N, cv N, scoring 'metric'] [, test_fraction f] [, threshold t] [, experiment 'e', run 'r'] [, comment 'text']) AS query",
        description: "Trains gradient-boosted trees on the query's rows (a seeded, stratified split; optional search and cross-validation), publishes the version and logs the run. Entity keys known from lineage are left out unless features lists them. Returns the held-out metrics, CV mean and std, the searched parameters' chosen values and any warning.",
        example: "CREATE MODEL churn OPTIONS (type 'gbdt_classifier', label 'is_churned', exclude 'customer_id', max_depth 5) AS SELECT * FROM training_dataset",
    },
    Entry {
        name: "describe model",
        kind: Kind::Statement,
        section: MODELS,
        syntax: "DESCRIBE MODEL name [VERSION v]",
        description: "What the registry knows of one version: features, parameters, metrics, lineage.",
        example: "DESCRIBE MODEL churn VERSION v2",
    },
    Entry {
        name: "verify model",
        kind: Kind::Statement,
        section: MODELS,
        syntax: "VERIFY MODEL name[@version]",
        description: "Re-trains a version from its recorded query, parameters and seed and compares trees, predictions and the data fingerprint.",
        example: "VERIFY MODEL churn@champion",
    },
    Entry {
        name: "alter model",
        kind: Kind::Statement,
        section: REGISTRY,
        syntax: "ALTER MODEL name SET DEFAULT VERSION v | ALTER MODEL name VERSION v SET ALIAS a | ALTER MODEL name VERSION v SET COMMENT 'text' | ALTER MODEL name UNSET ALIAS a",
        description: "Moves the default version or an alias, or sets a version's comment.",
        example: "ALTER MODEL churn VERSION v2 SET ALIAS champion",
    },
    Entry {
        name: "drop model",
        kind: Kind::Statement,
        section: REGISTRY,
        syntax: "DROP MODEL [IF EXISTS] name [VERSION v]",
        description: "Drops a model or one of its versions.",
        example: "DROP MODEL churn VERSION v1",
    },
    Entry {
        name: "show",
        kind: Kind::Statement,
        section: REGISTRY,
        syntax: "SHOW MODELS | SHOW VERSIONS IN MODEL m | SHOW EXPERIMENTS | SHOW RUNS [IN EXPERIMENT e] | SHOW ENTITIES | SHOW FEATURE VIEWS | SHOW MONITORS | SHOW FUNCTIONS [LIKE 'pattern']",
        description: "Lists what the database holds (each is a query of a firn.* system table).",
        example: "SHOW FUNCTIONS LIKE 'predict%'",
    },
    Entry {
        name: "create entity",
        kind: Kind::Statement,
        section: FEATURES,
        syntax: "CREATE ENTITY [IF NOT EXISTS] name KEYS (col, …) [COMMENT 'text']",
        description: "Declares an entity and its key columns.",
        example: "CREATE ENTITY customer KEYS (customer_id)",
    },
    Entry {
        name: "create feature view",
        kind: Kind::Statement,
        section: FEATURES,
        syntax: "CREATE [OR REPLACE] FEATURE VIEW name VERSION v ENTITY e [TIMESTAMP col] [MATERIALIZED] [COMMENT 'text'] [FEATURES (col COMMENT 'text', …)] AS query",
        description: "A versioned feature view (immutable; MATERIALIZED stores a Parquet snapshot).",
        example: "CREATE FEATURE VIEW customer_features VERSION v1 ENTITY customer AS SELECT customer_id, count(*) AS orders FROM orders GROUP BY customer_id",
    },
    Entry {
        name: "describe feature view",
        kind: Kind::Statement,
        section: FEATURES,
        syntax: "DESCRIBE FEATURE VIEW name [VERSION v]",
        description: "A feature view version's columns, types and comments.",
        example: "DESCRIBE FEATURE VIEW customer_features VERSION v2",
    },
    Entry {
        name: "drop feature view",
        kind: Kind::Statement,
        section: FEATURES,
        syntax: "DROP FEATURE VIEW [IF EXISTS] name [VERSION v]",
        description: "Drops a feature view or one of its versions.",
        example: "DROP FEATURE VIEW customer_features VERSION v1",
    },
    Entry {
        name: "drop entity",
        kind: Kind::Statement,
        section: FEATURES,
        syntax: "DROP ENTITY [IF EXISTS] name",
        description: "Drops an entity no feature view uses.",
        example: "DROP ENTITY customer",
    },
    Entry {
        name: "create training set",
        kind: Kind::Statement,
        section: FEATURES,
        syntax: "CREATE [OR REPLACE] TRAINING SET name FROM spine USING view:version, … [OPTIONS (spine_timestamp col, lookback '92 days', fill 0, …)]",
        description: "CREATE TABLE name AS SELECT * FROM training_set(…), with its lineage recorded.",
        example: "CREATE TRAINING SET training_dataset FROM churn_labels USING customer_features:v2 OPTIONS (fill 0)",
    },
    Entry {
        name: "create monitor",
        kind: Kind::Statement,
        section: MONITORING,
        syntax: "CREATE MONITOR name ON MODEL m[@alias] DATA 'table or query' [OPTIONS (label 'col', timestamp 'col', period 'month', …)]",
        description: "A named drift and performance check of a model on data, run with RUN MONITOR.",
        example: "CREATE MONITOR churn_watch ON MODEL churn@champion DATA 'scored_customers' OPTIONS (label 'is_churned')",
    },
    Entry {
        name: "run monitor",
        kind: Kind::Statement,
        section: MONITORING,
        syntax: "RUN MONITOR name",
        description: "One run of a monitor (see run_monitor).",
        example: "RUN MONITOR churn_watch",
    },
    Entry {
        name: "drop monitor",
        kind: Kind::Statement,
        section: MONITORING,
        syntax: "DROP MONITOR [IF EXISTS] name",
        description: "Drops a monitor (its results stay in firn.monitor_results).",
        example: "DROP MONITOR churn_watch",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_well_formed() {
        for entry in REFERENCE {
            assert_eq!(
                entry.name,
                entry.name.to_ascii_lowercase(),
                "{}",
                entry.name
            );
            match entry.kind {
                Kind::Statement => assert!(
                    entry.example.to_ascii_lowercase().starts_with(entry.name),
                    "{}",
                    entry.example
                ),
                _ => {
                    assert!(
                        entry.syntax.starts_with(&format!("{}(", entry.name)),
                        "{}",
                        entry.syntax
                    );
                    assert!(
                        entry.example.contains(&format!("{}(", entry.name)),
                        "{}",
                        entry.example
                    );
                }
            }
        }
        let predicts = REFERENCE.iter().filter(|e| e.name == "predict").count();
        assert_eq!(predicts, 2, "the scalar and the table function");
    }

    /// The README's SQL reference shows every function (as a call) and statement.
    #[test]
    fn the_readme_shows_every_entry() {
        let readme = include_str!("../../README.md");
        for entry in REFERENCE {
            let shown = match entry.kind {
                Kind::Statement if entry.name == "show" => "SHOW FUNCTIONS".to_string(),
                Kind::Statement => entry.name.to_uppercase(),
                _ => format!("{}(", entry.name),
            };
            assert!(readme.contains(&shown), "README.md never shows {shown}");
        }
    }
}
