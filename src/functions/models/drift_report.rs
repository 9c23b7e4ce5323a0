//! `drift_report(model, data [, options])`: how far a query's rows (or a
//! table's) have drifted from a model version's training data — one row per
//! feature and one for the prediction, with PSI, KS, null rates, values
//! outside the training range and unseen categories (see
//! [`crate::monitoring::drift`]). The shim reads the arguments and the
//! version's stored profile when the query is planned; when it runs, it scores
//! the rows, reads the training rows again if it can, and builds the report.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{DataFusionError, Result, exec_err, plan_datafusion_err, plan_err};
use datafusion::datasource::TableProvider;

use crate::functions::args::string_arg;
use crate::functions::models::data::{Scored, check_columns, model_and_data, plan_data, score};
use crate::monitoring::drift::{self, DriftRow, categorical_row, numeric_row};
use crate::monitoring::options::DriftOptions;
use crate::monitoring::profile::text_values;
use crate::monitoring::training_rows::read_again;
use crate::query::deferred::DeferredTable;
use crate::registry::TrainingProfile;
use crate::registry::profile::Distribution;
use crate::scoring::resolver::{RegistryResolver, ResolvedModel};
use datafusion::execution::session_state::SessionState;

const USAGE: &str = "drift_report(model VARCHAR, data VARCHAR [, options VARCHAR])";

/// The `drift_report` table function.
#[derive(Debug)]
pub struct DriftReport {
    resolver: Arc<RegistryResolver>,
}

impl DriftReport {
    /// `drift_report` over the models `resolver` loads.
    pub fn new(resolver: Arc<RegistryResolver>) -> Self {
        Self { resolver }
    }
}

impl TableFunctionImpl for DriftReport {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        let (model, data) = model_and_data(&self.resolver, exprs, ("drift_report", USAGE), (2, 3))?;
        let options = match exprs.get(2) {
            None => DriftOptions::default(),
            Some(_) => match string_arg(exprs, 2) {
                Some(text) => DriftOptions::parse(&text)?,
                None => {
                    return plan_err!(
                        "argument 3 must be the options as a string such as 'psi_threshold=0.1'; expected {USAGE}"
                    );
                }
            },
        };
        let reference = model.model.reference.clone();
        let Some(profile) = model.manifest.profile.clone() else {
            return plan_err!(
                "drift_report: model '{reference}' has no training profile: it was made before Firn \
                 recorded one (or imported, or a feature had no finite value); train it again with \
                 CREATE MODEL to monitor it"
            );
        };
        let (state, plan) = plan_data(args.session(), &data, "drift_report")?;
        let input_schema: SchemaRef = Arc::clone(plan.schema().inner());
        check_columns(&input_schema, &model, None, "drift_report")?;
        let work = Arc::new(move |batches: Vec<RecordBatch>| {
            let (model, profile, state, input_schema, data) = (
                model.clone(),
                profile.clone(),
                state.clone(),
                Arc::clone(&input_schema),
                data.clone(),
            );
            Box::pin(async move {
                let scored = score(&batches, &input_schema, &model).map_err(|e| match e {
                    // Name the function in a wrongly typed feature's message.
                    DataFusionError::Plan(message) => {
                        plan_datafusion_err!("drift_report: {message}")
                    }
                    other => other,
                })?;
                if scored.batch.num_rows() == 0 {
                    return exec_err!(
                        "drift_report: the data '{data}' has no rows; there is nothing to compare"
                    );
                }
                let rows = drift_rows(&state, &model, &profile, &scored, &options).await?;
                Ok(vec![drift::to_batch(&rows)?])
            }) as _
        });
        Ok(Arc::new(DeferredTable::new(
            "drift_report",
            drift::schema(),
            Some(plan),
            work,
        )))
    }
}

/// The drift report's rows for data already scored by `model`: one per
/// feature, then the prediction's. `drift_report(…)` and `RUN MONITOR` both
/// build their drift rows here.
pub(crate) async fn drift_rows(
    state: &SessionState,
    model: &ResolvedModel,
    profile: &TrainingProfile,
    scored: &Scored,
    options: &DriftOptions,
) -> Result<Vec<DriftRow>> {
    let ensemble = &model.model.ensemble;
    let training = read_again(state, &model.manifest, ensemble).await;
    let mut rows: Vec<DriftRow> = Vec::with_capacity(ensemble.features().len() + 1);
    for (index, spec) in ensemble.features().iter().enumerate() {
        let Some(stored) = profile.feature(&spec.name) else {
            return exec_err!(
                "drift_report: the training profile of '{}' has no feature '{}'",
                model.model.reference,
                spec.name
            );
        };
        let train = training
            .as_ref()
            .ok()
            .and_then(|t| t.features.get(index))
            .and_then(|f| f.as_deref());
        rows.push(match &stored.distribution {
            Distribution::Numeric(numbers) => numeric_row(
                (&spec.name, "numeric"),
                numbers,
                &scored.columns[index],
                train,
                options,
            ),
            Distribution::Categorical(categories) => categorical_row(
                &spec.name,
                categories,
                &text_values(&scored.inputs[index])?,
                options,
            ),
        });
    }
    rows.push(numeric_row(
        ("prediction", "prediction"),
        &profile.prediction,
        &scored.predictions,
        training.as_ref().ok().map(|t| t.predictions.as_slice()),
        options,
    ));
    if let Err(reason) = &training {
        // Say once, on the prediction's row, why KS used the percentiles.
        if let Some(last) = rows.last_mut() {
            last.message
                .push_str(&format!("; ks from percentiles: {reason}"));
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    /// A version published before profiles existed (manifest format 1) still
    /// reads and scores; its drift report is refused, naming re-training.
    #[tokio::test]
    async fn a_version_without_a_profile_is_refused_clearly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let db = crate::Database::open(path.to_string_lossy())
            .await
            .expect("db");
        db.sql(
            "CREATE TABLE t AS SELECT CAST(value % 20 AS DOUBLE) AS x, \
             CASE WHEN value % 20 >= 10 THEN 1 ELSE 0 END AS y FROM generate_series(1, 200)",
        )
        .await
        .expect("table");
        db.sql("CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'y', n_estimators 3) AS SELECT * FROM t")
            .await
            .expect("model");
        let report = "SELECT count(*) FROM drift_report('m', 't')";
        db.sql(report).await.expect("a new version has a profile");
        drop(db);

        let manifest = path.join("models/m/v1/manifest.json");
        let text = std::fs::read_to_string(&manifest).expect("manifest");
        let mut old: serde_json::Value = serde_json::from_str(&text).expect("json");
        old["format_version"] = 1.into();
        let removed = old.as_object_mut().and_then(|o| o.remove("profile"));
        assert!(removed.is_some(), "format 2 stores the profile: {text}");
        std::fs::write(&manifest, serde_json::to_vec(&old).expect("json")).expect("write");

        let db = crate::Database::open(path.to_string_lossy())
            .await
            .expect("db");
        db.sql("SELECT predict('m', x) FROM t")
            .await
            .expect("still scores");
        let err = db.sql(report).await.expect_err("no profile");
        assert!(
            err.to_string().contains(
                "drift_report: model 'm@v1' has no training profile: it was made before Firn recorded one"
            ) && err.to_string().contains("train it again with CREATE MODEL"),
            "{err}"
        );
    }
}
