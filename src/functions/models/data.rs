//! What the model table functions (`evaluate`, `roc_curve`, `explain_predict` …)
//! share: planning the data argument (a query or a
//! table name), and turning the data's rows into the model's encoded features,
//! its predictions and the labels.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::buffer::ScalarBuffer;
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Float64Type, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::{Result, exec_err, plan_datafusion_err, plan_err};
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::{Expr, LogicalPlan};
use firnml_udfs::model::{Objective, encode_columns};
use futures::FutureExt;

use crate::functions::args::{model_arg, string_arg};
use crate::scoring::resolver::{RegistryResolver, ResolvedModel};

/// Whether `text` is a query rather than a table name.
fn is_query(text: &str) -> bool {
    let first = text
        .trim_start()
        .trim_start_matches('(')
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    matches!(first.as_str(), "select" | "with" | "values" | "from")
}

/// Plans `data` — a query (`'SELECT …'`) or a table name (`'test_set'`) — in the
/// calling session. Planning happens while the outer query is planned, so the
/// tables it reads must resolve without waiting (all of Firn's do).
pub(crate) fn plan_data(
    session: &dyn Session,
    data: &str,
    function: &str,
) -> Result<(SessionState, LogicalPlan)> {
    let Some(state) = session.as_any().downcast_ref::<SessionState>() else {
        return plan_err!("{function} can only be called from a Firn/DataFusion session");
    };
    let sql = if is_query(data) {
        data.to_string()
    } else {
        format!("SELECT * FROM {data}")
    };
    crate::query::shape::check_shape(&sql)?;
    let plan = state
        .create_logical_plan(&sql)
        .now_or_never()
        .ok_or_else(|| {
            plan_datafusion_err!(
                "{function}: the data '{data}' cannot be planned while the query is planned"
            )
        })?
        .map_err(|e| plan_datafusion_err!("{function}: cannot read the data '{data}': {e}"))?;
    Ok((state.clone(), plan))
}

/// The column of `schema` named `name`: an exact match, else the one match ignoring case.
pub(crate) fn column_index(schema: &SchemaRef, name: &str) -> Option<usize> {
    if let Ok(i) = schema.index_of(name) {
        return Some(i);
    }
    let matches: Vec<usize> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name().eq_ignore_ascii_case(name))
        .map(|(i, _)| i)
        .collect();
    match matches.as_slice() {
        [i] => Some(*i),
        _ => None,
    }
}

/// Checks at planning time that `schema` has every feature of `model` (and `label`).
pub(crate) fn check_columns(
    schema: &SchemaRef,
    model: &ResolvedModel,
    label: Option<&str>,
    function: &str,
) -> Result<()> {
    let columns = || {
        schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for spec in model.model.ensemble.features() {
        if column_index(schema, &spec.name).is_none() {
            return plan_err!(
                "{function}: the data has no column '{}', a feature of model '{}'; its columns are: {}",
                spec.name,
                model.model.reference,
                columns()
            );
        }
    }
    if let Some(label) = label
        && column_index(schema, label).is_none()
    {
        return plan_err!(
            "{function}: the data has no label column '{label}'; its columns are: {}",
            columns()
        );
    }
    Ok(())
}

/// The label column a function uses: the one given, else the one the model was trained on.
pub(crate) fn label_name(
    model: &ResolvedModel,
    given: Option<String>,
    function: &str,
) -> Result<String> {
    match given.or_else(|| model.manifest.label.clone()) {
        Some(label) => Ok(label),
        None => plan_err!(
            "{function}: model '{}' does not record its label column; pass the label column's name",
            model.model.reference
        ),
    }
}

/// The data's rows scored by a model.
pub(crate) struct Scored {
    /// All input rows in one batch.
    pub batch: RecordBatch,
    /// The model's features, encoded, one column per feature.
    pub columns: Vec<ScalarBuffer<f64>>,
    /// The model's raw input columns, in feature order.
    pub inputs: Vec<ArrayRef>,
    /// The prediction of each row (probability for a classifier).
    pub predictions: Vec<f64>,
}

/// Scores `batches` with `model`.
pub(crate) fn score(
    batches: &[RecordBatch],
    schema: &SchemaRef,
    model: &ResolvedModel,
) -> Result<Scored> {
    let batch = concat_batches(schema, batches)?;
    let ensemble = &model.model.ensemble;
    let mut inputs = Vec::with_capacity(ensemble.features().len());
    for spec in ensemble.features() {
        match column_index(&batch.schema(), &spec.name) {
            Some(i) => inputs.push(Arc::clone(batch.column(i))),
            None => return exec_err!("the data has no column '{}'", spec.name),
        }
    }
    let columns = encode_columns(ensemble.features(), &inputs)?;
    let slices: Vec<&[f64]> = columns.iter().map(|c| &c[..]).collect();
    let margins = model.model.forest.predict_margin(&slices);
    let objective = ensemble.objective();
    let predictions = margins.iter().map(|m| objective.transform(*m)).collect();
    Ok(Scored {
        batch,
        columns,
        inputs,
        predictions,
    })
}

/// The label column of `batch` as numbers; a classifier's labels must be 0 or 1.
pub(crate) fn labels(
    batch: &RecordBatch,
    label: &str,
    objective: Objective,
    function: &str,
) -> Result<Vec<f64>> {
    let Some(index) = column_index(&batch.schema(), label) else {
        return exec_err!("{function}: the data has no label column '{label}'");
    };
    let column = batch.column(index);
    if !(column.data_type().is_numeric() || column.data_type() == &DataType::Boolean) {
        return plan_err!(
            "{function}: label column '{label}' is {}; expected a number or boolean",
            column.data_type()
        );
    }
    let values = cast(column, &DataType::Float64)?;
    let values = values.as_primitive::<Float64Type>();
    let mut out = Vec::with_capacity(values.len());
    for (row, value) in values.iter().enumerate() {
        match value {
            Some(v) if objective == Objective::BinaryLogistic && v != 0.0 && v != 1.0 => {
                return exec_err!(
                    "{function}: label column '{label}' has the value {v} at row {}; a classifier's labels are 0 or 1",
                    row + 1
                );
            }
            Some(v) if v.is_finite() => out.push(v),
            _ => {
                return exec_err!(
                    "{function}: label column '{label}' is NULL or not finite at row {}; drop unlabelled rows first",
                    row + 1
                );
            }
        }
    }
    Ok(out)
}

/// Rows as i64 for count columns.
pub(crate) fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The display text of every value of `array` (NULL stays NULL).
pub(crate) fn display_values(array: &ArrayRef) -> Result<Vec<Option<String>>> {
    let options = datafusion::arrow::util::display::FormatOptions::default();
    let formatter =
        datafusion::arrow::util::display::ArrayFormatter::try_new(array.as_ref(), &options)?;
    Ok((0..array.len())
        .map(|i| (!array.is_null(i)).then(|| formatter.value(i).to_string()))
        .collect())
}

/// The arguments every model table function starts with: checks the argument
/// count (`min..=max`), then reads the model (argument 1) and the data
/// (argument 2: a query or a table name).
pub(crate) fn model_and_data(
    resolver: &RegistryResolver,
    args: &[Expr],
    (name, usage): (&str, &str),
    (min, max): (usize, usize),
) -> Result<(ResolvedModel, String)> {
    if args.len() < min || args.len() > max {
        let counts = if max == min + 1 {
            format!("{min} or {max}")
        } else {
            format!("{min} to {max}")
        };
        return plan_err!(
            "{name} takes {counts} arguments, got {}; expected {usage}",
            args.len()
        );
    }
    let model = model_arg(resolver, args, 0, usage)?;
    let Some(data) = string_arg(args, 1) else {
        return plan_err!("argument 2 must be a query or table name as a string; expected {usage}");
    };
    Ok((model, data))
}

/// Refuses a regressor where `function` needs a classifier.
pub(crate) fn classifier_only(model: &ResolvedModel, function: &str) -> Result<()> {
    if model.model.ensemble.objective() != Objective::BinaryLogistic {
        return plan_err!(
            "{function} needs a classifier; '{}' is a regressor",
            model.model.reference
        );
    }
    Ok(())
}

/// Computes a labelled-scores function's columns from the scored rows and their labels.
pub(crate) type FromScores = dyn Fn(&Scored, &[f64]) -> Result<Vec<ArrayRef>> + Send + Sync;

/// The table of a function that scores `data` with `model` and compares the
/// predictions with the `label` column (`evaluate`, `confusion_matrix`,
/// `roc_curve`): the data is planned and checked now; when the query runs,
/// the rows are scored, their labels read, and `compute` makes the columns of `schema`.
pub(crate) fn labelled_scores_table(
    session: &dyn Session,
    (model, data, label): (ResolvedModel, String, String),
    function: &'static str,
    schema: SchemaRef,
    compute: Arc<FromScores>,
) -> Result<Arc<dyn datafusion::datasource::TableProvider>> {
    let (_, plan) = plan_data(session, &data, function)?;
    let input_schema: SchemaRef = Arc::clone(plan.schema().inner());
    check_columns(&input_schema, &model, Some(&label), function)?;
    let out_schema = Arc::clone(&schema);
    let work = Arc::new(move |batches: Vec<RecordBatch>| {
        let (model, label, schema, input_schema, compute) = (
            model.clone(),
            label.clone(),
            Arc::clone(&out_schema),
            Arc::clone(&input_schema),
            Arc::clone(&compute),
        );
        Box::pin(async move {
            let scored = score(&batches, &input_schema, &model)?;
            let objective = model.model.ensemble.objective();
            let truth = labels(&scored.batch, &label, objective, function)?;
            let columns = compute(&scored, &truth)?;
            Ok(vec![RecordBatch::try_new(schema, columns)?])
        }) as _
    });
    Ok(Arc::new(crate::query::deferred::DeferredTable::new(
        function,
        schema,
        Some(plan),
        work,
    )))
}
