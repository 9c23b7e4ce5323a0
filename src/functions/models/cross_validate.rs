//! `cross_validate(model, data, folds [, scoring])`: k-fold cross-validation of
//! a registered version's parameters on a query's rows — the model is refitted
//! on all folds but one and scored on the held-out fold, `folds` times
//! (stratified for classifiers, seeded with the version's seed). One row per
//! fold: `fold`, `rows` (held out), `metric`, `score`; aggregate with `avg` and
//! `stddev`. The features and label are the version's; scoring defaults to
//! f1 (classifiers) or rmse (regressors).

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::TableProvider;
use firnml_udfs::model::Objective;
use rayon::prelude::*;

use crate::functions::args::{number_arg, string_arg};
use crate::functions::models::data::{check_columns, label_name, model_and_data, plan_data};
use crate::ml::canonical::canonical_rows;
use crate::ml::cv::predict;
use crate::ml::metric::Metric;
use crate::ml::split::{complement, k_folds};
use crate::ml::{Dataset, GbdtParams, default_trainer, run_with_threads};
use crate::query::deferred::DeferredTable;
use crate::scoring::resolver::{RegistryResolver, ResolvedModel};

const USAGE: &str = "cross_validate(model VARCHAR, data VARCHAR, folds INT [, scoring VARCHAR])";

/// The `cross_validate` table function.
#[derive(Debug)]
pub struct CrossValidate {
    resolver: Arc<RegistryResolver>,
}

impl CrossValidate {
    /// `cross_validate` over the models `resolver` loads.
    pub fn new(resolver: Arc<RegistryResolver>) -> Self {
        Self { resolver }
    }
}

/// The training parameters a version was fitted with.
fn params_of(model: &ResolvedModel) -> Result<GbdtParams> {
    let mut params = GbdtParams {
        objective: model.model.ensemble.objective(),
        ..GbdtParams::default()
    };
    for (name, value) in &model.manifest.params {
        if name != "objective" && GbdtParams::is_parameter(name) {
            params.set(name, value)?;
        }
    }
    Ok(params)
}

fn output_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("fold", DataType::Int32, false),
        Field::new("rows", DataType::Int64, false),
        Field::new("metric", DataType::Utf8, false),
        Field::new("score", DataType::Float64, true),
    ]))
}

impl TableFunctionImpl for CrossValidate {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        let (model, data) =
            model_and_data(&self.resolver, exprs, ("cross_validate", USAGE), (3, 4))?;
        let folds = match number_arg(exprs, 2) {
            Some(k) if (2.0..=100.0).contains(&k) && k.fract() == 0.0 => k as usize,
            _ => {
                return plan_err!(
                    "argument 3 (folds) must be an integer from 2 to 100; expected {USAGE}"
                );
            }
        };
        let objective = model.model.ensemble.objective();
        let metric = match exprs.len() {
            4 => match string_arg(exprs, 3) {
                Some(name) => Metric::from_name(&name)?,
                None => {
                    return plan_err!(
                        "argument 4 (scoring) must be a metric's name; expected {USAGE}"
                    );
                }
            },
            _ if objective == Objective::BinaryLogistic => Metric::F1,
            _ => Metric::Rmse,
        };
        if !metric.fits(objective) {
            return plan_err!(
                "cross_validate: scoring '{}' does not apply to model '{}'",
                metric.name(),
                model.model.reference
            );
        }
        let params = params_of(&model)?;
        let label = label_name(&model, None, "cross_validate")?;
        let threshold = model.manifest.split.map_or(0.5, |s| s.threshold);
        let (_, plan) = plan_data(args.session(), &data, "cross_validate")?;
        check_columns(
            plan.schema().inner(),
            &model,
            Some(&label),
            "cross_validate",
        )?;
        let features: Vec<String> = model
            .model
            .ensemble
            .features()
            .iter()
            .map(|f| f.name.clone())
            .collect();
        let input_schema = Arc::clone(plan.schema().inner());
        let schema = output_schema();
        let out_schema = Arc::clone(&schema);
        let work = Arc::new(move |batches: Vec<RecordBatch>| {
            let (params, label, features, schema, input_schema) = (
                params.clone(),
                label.clone(),
                features.clone(),
                Arc::clone(&out_schema),
                Arc::clone(&input_schema),
            );
            Box::pin(async move {
                let rows = tokio::task::spawn_blocking(move || -> Result<Vec<(usize, f64)>> {
                    // CREATE MODEL's row order, so folds do not depend on the query's.
                    let rows = canonical_rows(&input_schema, &batches)?;
                    let data = Dataset::for_training(
                        std::slice::from_ref(&rows),
                        &label,
                        Some(&features),
                        params.objective,
                    )?;
                    let classification = params.objective == Objective::BinaryLogistic;
                    let held_out = k_folds(&data.labels, folds, params.seed, classification)?;
                    // The folds' fits are tasks of one pool of the version's
                    // `threads` (each fit runs in it too): side by side on a
                    // small table, each spread over the cores on a big one.
                    // Every fit is the one it would be alone, and the rows
                    // come back in fold order.
                    run_with_threads(params.threads, || {
                        held_out
                            .par_iter()
                            .map(|held_out| {
                                let train = data.subset(&complement(data.rows(), held_out));
                                let test = data.subset(held_out);
                                let fitted = default_trainer().fit(&train, &params)?;
                                let forest = firnml_udfs::model::CompactForest::new(&fitted);
                                let predictions = predict(&forest, params.objective, &test);
                                Ok((
                                    held_out.len(),
                                    metric.score(&predictions, &test.labels, threshold)?,
                                ))
                            })
                            .collect::<Result<Vec<_>>>()
                    })?
                })
                .await
                .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))??;
                let columns: Vec<ArrayRef> = vec![
                    Arc::new(Int32Array::from_iter_values(
                        (1..=rows.len()).map(|i| i as i32),
                    )),
                    Arc::new(Int64Array::from_iter_values(
                        rows.iter().map(|(n, _)| *n as i64),
                    )),
                    Arc::new(StringArray::from_iter_values(
                        rows.iter().map(|_| metric.name()),
                    )),
                    Arc::new(Float64Array::from(
                        rows.iter()
                            .map(|(_, s)| Some(*s).filter(|v| v.is_finite()))
                            .collect::<Vec<_>>(),
                    )),
                ];
                Ok(vec![RecordBatch::try_new(schema, columns)?])
            }) as _
        });
        Ok(Arc::new(DeferredTable::new(
            "cross_validate",
            schema,
            Some(plan),
            work,
        )))
    }
}
