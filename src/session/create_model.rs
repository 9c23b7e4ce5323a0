//! Runs `CREATE MODEL`: plans the query, reads `OPTIONS (…)` once into
//! [`ModelOptions`], trains (with an optional search) on a seeded, stratified
//! split, scores the held-out rows and publishes the model in the registry.
//! The statement returns one row: the model, its version, the row counts and
//! the held-out metrics.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::{Result as DFResult, plan_err};
use datafusion::error::DataFusionError;
use datafusion::prelude::DataFrame;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::Statement as SQLStatement;
use firnml_udfs::model::{CompactForest, Objective, TreeEnsemble};

use crate::error::Result;
use crate::ml::cv::{CvResult, predict};
use crate::ml::metric::{Metric, evaluate};
use crate::ml::search::{SearchConfig, search};
use crate::ml::split::train_test_split;
use crate::ml::{Dataset, GbdtParams, default_trainer};
use crate::registry::{NewVersion, Registry, SplitInfo, names};
use crate::session::model_options::{CLASSIFIER_COLUMNS, ModelOptions, REGRESSOR_COLUMNS};
use crate::session::{QueryOutput, Session};
use crate::sql::CreateModel;

/// What training produced.
struct Trained {
    model: TreeEnsemble,
    params: GbdtParams,
    rows_train: usize,
    rows_test: usize,
    /// Metrics on the held-out rows (empty when nothing was held out).
    held_out: Vec<(&'static str, f64)>,
    /// The best candidate's cross-validation, when searched.
    cv: Option<(Metric, CvResult)>,
    fingerprint: String,
}

/// FNV-1a, 64 bits: a stable hash (no dependency whose algorithm may change).
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// A fingerprint of the training data: row count, the query's column names and
/// types, and the encoded features and labels.
fn fingerprint(schema: &Schema, data: &Dataset) -> String {
    let mut hash = Fnv::new();
    hash.write(&(data.rows() as u64).to_le_bytes());
    for field in schema.fields() {
        hash.write(field.name().as_bytes());
        hash.write(&[0]);
        hash.write(field.data_type().to_string().as_bytes());
        hash.write(&[0]);
    }
    for (spec, column) in data.features.iter().zip(&data.columns) {
        hash.write(spec.name.as_bytes());
        for v in column {
            hash.write(&v.to_bits().to_le_bytes());
        }
    }
    for v in &data.labels {
        hash.write(&v.to_bits().to_le_bytes());
    }
    format!("fnv1a64:{:016x}", hash.0)
}

/// Splits, searches (if asked), fits and scores. CPU-bound: run off the async threads.
fn train(batches: &[RecordBatch], options: &ModelOptions) -> DFResult<Trained> {
    let objective = options.objective;
    let data = Dataset::for_training(
        batches,
        &options.label,
        options.features.as_deref(),
        objective,
    )?;
    let schema = batches
        .first()
        .map(|b| b.schema())
        .unwrap_or_else(|| Arc::new(Schema::empty()));
    let fingerprint = fingerprint(&schema, &data);
    let classification = objective == Objective::BinaryLogistic;
    let (train, test) = if options.test_fraction > 0.0 {
        let (train, test) = train_test_split(
            &data.labels,
            options.test_fraction,
            options.params.seed,
            classification,
        )?;
        (data.subset(&train), Some(data.subset(&test)))
    } else {
        (data, None)
    };
    let trainer = default_trainer();
    let mut params = options.params.clone();
    let mut cv = None;
    if let Some(settings) = &options.search {
        let config = SearchConfig {
            strategy: settings.strategy,
            folds: settings.folds,
            metric: settings.metric,
            seed: params.seed,
            threshold: options.threshold,
        };
        let result = search(trainer, &train, &params, &settings.space, &config)?;
        params = result.best().params.clone();
        cv = Some((settings.metric, result.best().cv.clone()));
    }
    let model = trainer.fit(&train, &params)?;
    let held_out = match &test {
        Some(test) => {
            let predictions = predict(&CompactForest::new(&model), objective, test);
            evaluate(objective, &predictions, &test.labels, options.threshold)?
        }
        None => vec![],
    };
    Ok(Trained {
        model,
        params,
        rows_train: train.rows(),
        rows_test: test.as_ref().map_or(0, Dataset::rows),
        held_out,
        cv,
        fingerprint,
    })
}

/// Refuses an existing version before training (publishing checks again, atomically).
async fn ensure_new_version(registry: &Registry, name: &str, version: &str) -> Result<()> {
    // An unknown model has no versions; any other trouble is reported by publish.
    let Ok(versions) = registry.list_versions(name).await else {
        return Ok(());
    };
    if versions.iter().any(|m| m.version == version) {
        return plan_err!("model '{name}' version '{version}' already exists").map_err(Into::into);
    }
    Ok(())
}

/// The statement's result row.
fn output(
    name: &str,
    version: &str,
    objective: Objective,
    trained: &Trained,
) -> Result<QueryOutput> {
    let metric_columns = match objective {
        Objective::BinaryLogistic => CLASSIFIER_COLUMNS,
        Objective::SquaredError => REGRESSOR_COLUMNS,
    };
    let mut fields = vec![
        Field::new("model", DataType::Utf8, false),
        Field::new("version", DataType::Utf8, false),
        Field::new("rows_train", DataType::Int64, false),
        Field::new("rows_test", DataType::Int64, false),
    ];
    let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![name])),
        Arc::new(StringArray::from(vec![version])),
        Arc::new(Int64Array::from(vec![as_i64(trained.rows_train)])),
        Arc::new(Int64Array::from(vec![as_i64(trained.rows_test)])),
    ];
    for metric in metric_columns {
        fields.push(Field::new(*metric, DataType::Float64, true));
        let value = trained
            .held_out
            .iter()
            .find(|(n, _)| n == metric)
            .map(|(_, v)| *v)
            .filter(|v| v.is_finite());
        columns.push(Arc::new(Float64Array::from(vec![value])));
    }
    let schema = Arc::new(Schema::new(fields));
    let batch =
        RecordBatch::try_new(Arc::clone(&schema), columns).map_err(DataFusionError::from)?;
    Ok(QueryOutput {
        schema,
        batches: vec![batch],
    })
}

/// `CREATE MODEL name [VERSION v] OPTIONS (…) AS query`.
pub(super) async fn create_model(session: &Session, statement: CreateModel) -> Result<QueryOutput> {
    let CreateModel {
        name,
        version,
        options,
        query,
    } = statement;
    let name = names::model_name(&name)?;
    let version = version.as_deref().map(names::version).transpose()?;
    let lineage = vec![query.to_string()];

    let statement = DFStatement::Statement(Box::new(SQLStatement::Query(query)));
    session.preload_models(&statement).await?;
    let plan = session.ctx.state().statement_to_plan(statement).await?;
    let lineage = [lineage, session.db.feature_store().lineage_of(&plan)].concat();
    let columns: Vec<String> = plan
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let options = ModelOptions::parse(&options, &columns)?;

    let registry = session.db.registry();
    let version = match version {
        Some(version) => {
            ensure_new_version(&registry, &name, &version).await?;
            version
        }
        None => registry.next_version(&name).await?,
    };

    let batches = DataFrame::new(session.ctx.state(), plan).collect().await?;
    let objective = options.objective;
    let comment = options.comment.clone();
    let label = options.label.clone();
    let split = SplitInfo {
        test_fraction: options.test_fraction,
        seed: options.params.seed,
        stratified: objective == Objective::BinaryLogistic,
        threshold: options.threshold,
    };
    let trained = tokio::task::spawn_blocking(move || train(&batches, &options))
        .await
        .map_err(|e| DataFusionError::External(Box::new(e)))??;

    let mut metrics: Vec<(String, f64)> = trained
        .held_out
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(n, v)| (n.to_string(), *v))
        .collect();
    if let Some((metric, cv)) = &trained.cv {
        metrics.push((format!("cv_{}_mean", metric.name()), cv.mean));
        metrics.push((format!("cv_{}_std", metric.name()), cv.std));
    }
    let manifest = registry
        .publish(
            &trained.model,
            NewVersion {
                name,
                version,
                comment,
                params: trained
                    .params
                    .to_pairs()
                    .into_iter()
                    .map(|(n, v)| (n.to_string(), v))
                    .collect(),
                metrics,
                training_data_fingerprint: trained.fingerprint.clone(),
                trainer: default_trainer().name().to_string(),
                lineage,
                run_id: None,
                label: Some(label),
                split: Some(split),
            },
        )
        .await?;
    output(&manifest.name, &manifest.version, objective, &trained)
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
        ModelOptions::parse(&options, &columns())
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
        assert!(with(("max_depth", "int(2,4)")).contains("needs search"));
        assert!(with(("n_iter", "3")).contains("option n_iter applies to a search"));
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

    #[tokio::test]
    async fn publishes_params_metrics_fingerprint_and_lineage() {
        let db = crate::Database::in_memory().await.expect("db");
        db.sql(
            "CREATE TABLE t AS SELECT value AS id, CAST(value % 20 AS DOUBLE) AS x, \
             CASE WHEN value % 20 >= 10 THEN 1 ELSE 0 END AS y FROM generate_series(1, 200)",
        )
        .await
        .expect("table");
        let sql = "CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id', \
                   n_estimators 5, seed 9, comment 'searched', search 'grid', cv 2, \
                   max_depth 'int(2,3)') AS SELECT * FROM t";
        db.sql(sql).await.expect("trains");
        db.sql(sql).await.expect("trains v2");
        let versions = db.registry().list_versions("m").await.expect("versions");
        let [v1, v2] = versions.as_slice() else {
            panic!("two versions: {versions:?}");
        };
        assert_eq!((v1.version.as_str(), v2.version.as_str()), ("v1", "v2"));
        assert_eq!(v1.comment.as_deref(), Some("searched"));
        assert!(v1.training_data_fingerprint.starts_with("fnv1a64:"));
        assert_eq!(v1.training_data_fingerprint, v2.training_data_fingerprint);
        assert_eq!(v1.params, v2.params, "same seed, same search");
        let param = |name: &str| v1.params.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        assert!(matches!(
            param("max_depth").map(String::as_str),
            Some("2" | "3")
        ));
        assert_eq!(param("seed").map(String::as_str), Some("9"));
        let metric = |name: &str| v1.metrics.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        assert!(
            metric("cv_f1_mean").is_some_and(|f1| f1 > 0.9),
            "{:?}",
            v1.metrics
        );
        assert!(metric("cv_f1_std").is_some());
        assert!(metric("f1").is_some() && metric("roc_auc").is_some());
        assert_eq!(v1.trainer, default_trainer().name());
        assert_eq!(v1.lineage, vec!["SELECT * FROM t".to_string()]);
    }
}
