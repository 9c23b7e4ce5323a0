//! `predict(model, f1, f2, …)`, `predict_proba(model, f1, …)` and
//! `predict_label(model, f1, …, threshold)`.
//!
//! Features bind by position and are checked at planning time against the
//! model's signature: their number, their types (numbers for numeric features,
//! text for categorical ones) and, where a plain column is passed, its name
//! (checked when the logical plan is simplified)
//! (so swapped columns are caught; wrap a column in an expression, e.g.
//! `CAST(x AS DOUBLE)`, to pass a differently named one on purpose).
//! A reference without a version (`'churn'`, `'churn@champion'`) is pinned to
//! the version it names when the query is planned (`'churn@v3'`), so a default
//! or alias moving while the query runs — on one machine or on a cluster's
//! executors — cannot split it across versions.
//! `predict` gives the probability for classifiers and the value for
//! regressors; `predict_proba` the probability (classifiers only);
//! `predict_label` 1 when the probability is at least the threshold, else 0.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Int32Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::config::ConfigOptions;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use crate::model::ensemble::{FeatureKind, Objective};
use crate::model::features::encode_columns;
use crate::model::resolver::{ModelResolver, ScoringModel};

/// `predict_label`'s threshold when the call gives none.
const DEFAULT_THRESHOLD: f64 = 0.5;

/// Which scoring function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PredictKind {
    /// `predict`: probability or value.
    Predict,
    /// `predict_proba`: probability of class 1.
    Proba,
    /// `predict_label`: 0/1 at a threshold (the last argument).
    Label,
}

impl PredictKind {
    fn name(self) -> &'static str {
        match self {
            PredictKind::Predict => "predict",
            PredictKind::Proba => "predict_proba",
            PredictKind::Label => "predict_label",
        }
    }
}

/// One of the scoring functions.
#[derive(Debug, Clone)]
pub struct PredictUdf {
    kind: PredictKind,
    resolver: Arc<dyn ModelResolver>,
    signature: Signature,
}

impl PartialEq for PredictUdf {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && Arc::ptr_eq(&self.resolver, &other.resolver)
    }
}

impl Eq for PredictUdf {}

impl std::hash::Hash for PredictUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
    }
}

fn model_name(value: Option<&ScalarValue>) -> Option<&str> {
    match value {
        Some(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::Utf8View(Some(s))
            | ScalarValue::LargeUtf8(Some(s)),
        ) => Some(s),
        _ => None,
    }
}

fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    ) || matches!(data_type, DataType::Dictionary(_, v) if is_text(v))
}

fn is_number(data_type: &DataType) -> bool {
    data_type.is_numeric()
        || matches!(
            data_type,
            DataType::Boolean | DataType::Date32 | DataType::Null
        )
}

impl PredictUdf {
    /// The function `kind` over `resolver`'s models.
    pub fn new(kind: PredictKind, resolver: Arc<dyn ModelResolver>) -> Self {
        Self {
            kind,
            resolver,
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }

    fn usage(&self, model: &ScoringModel) -> String {
        let threshold = if self.kind == PredictKind::Label {
            " [, threshold DOUBLE (default 0.5)]"
        } else {
            ""
        };
        format!(
            "{}('{}', {}{threshold})",
            self.kind.name(),
            model.reference,
            model.signature_text()
        )
    }

    /// Checks the call against the model's signature; returns the model and
    /// whether the call ends with a threshold (`predict_label`'s is optional).
    /// `config`: the running query's settings (at execution), where a
    /// cluster's resolver finds the database.
    fn check(
        &self,
        fields: &[FieldRef],
        model_arg: Option<&ScalarValue>,
        threshold: Option<&ScalarValue>,
        config: Option<&ConfigOptions>,
    ) -> Result<(Arc<ScoringModel>, bool)> {
        let name = self.kind.name();
        let Some(reference) = model_name(model_arg) else {
            return plan_err!(
                "the first argument of {name} must be the model's name as a string literal, e.g. {name}('churn', …)"
            );
        };
        let model = match config {
            Some(config) => self.resolver.resolve_with(reference, config)?,
            None => self.resolver.resolve(reference)?,
        };
        if self.kind == PredictKind::Proba
            && model.ensemble.objective() != Objective::BinaryLogistic
        {
            return plan_err!(
                "predict_proba needs a classifier; '{reference}' is a regressor: use predict"
            );
        }
        let features = model.ensemble.features();
        let has_threshold = self.kind == PredictKind::Label && fields.len() == features.len() + 2;
        let extra = usize::from(has_threshold);
        let given = fields.len().saturating_sub(1 + extra);
        if given != features.len() {
            return plan_err!(
                "{name}: model '{reference}' takes {} features, got {given}; expected {} \
                 (or, to score a whole table with its columns found by name: \
                 SELECT * FROM predict('{reference}', 'table or query'))",
                features.len(),
                self.usage(&model)
            );
        }
        for (i, (spec, field)) in features.iter().zip(&fields[1..]).enumerate() {
            let ok = match spec.kind {
                FeatureKind::Numeric => is_number(field.data_type()),
                FeatureKind::Categorical { .. } => is_text(field.data_type()),
            };
            if !ok {
                return plan_err!(
                    "{name}: feature {} ('{}') of model '{reference}' cannot take {}; expected {}",
                    i + 1,
                    spec.name,
                    field.data_type(),
                    self.usage(&model)
                );
            }
        }
        if has_threshold {
            match threshold.and_then(|t| t.cast_to(&DataType::Float64).ok()) {
                Some(ScalarValue::Float64(Some(t))) if (0.0..=1.0).contains(&t) => {}
                _ => {
                    return plan_err!(
                        "predict_label: the last argument must be a constant threshold in [0, 1]; expected {}",
                        self.usage(&model)
                    );
                }
            }
        }
        if self.kind == PredictKind::Label
            && model.ensemble.objective() != Objective::BinaryLogistic
        {
            return plan_err!("predict_label needs a classifier; '{reference}' is a regressor");
        }
        Ok((model, has_threshold))
    }
}

impl ScalarUDFImpl for PredictUdf {
    fn name(&self) -> &str {
        self.kind.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            PredictKind::Label => DataType::Int32,
            _ => DataType::Float64,
        })
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let threshold = args.scalar_arguments.last().copied().flatten();
        self.check(
            args.arg_fields,
            args.scalar_arguments.first().copied().flatten(),
            threshold,
            None,
        )?;
        Ok(Arc::new(Field::new(
            self.name(),
            self.return_type(&[])?,
            true,
        )))
    }

    /// Runs once per logical plan, where arguments are still expressions: a plain
    /// column passed as a feature must carry that feature's name (physical plans
    /// rename columns, so this cannot be checked later), and a reference without
    /// a version is pinned to the version it names now (see the module docs).
    fn simplify(&self, args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let reference = match args.first() {
            Some(Expr::Literal(value, _)) => model_name(Some(value)).map(str::to_string),
            _ => None,
        };
        if let Some(reference) = reference {
            let model = self.resolver.resolve(&reference)?;
            for (i, (spec, arg)) in model
                .ensemble
                .features()
                .iter()
                .zip(args.iter().skip(1))
                .enumerate()
            {
                if let Expr::Column(column) = arg
                    && !column.name.eq_ignore_ascii_case(&spec.name)
                {
                    return plan_err!(
                        "{}: argument {} is column '{}' but feature {} of model '{reference}' is '{}'; expected {} \
                         (wrap the column in an expression such as CAST(… AS DOUBLE) to pass it anyway)",
                        self.name(),
                        i + 2,
                        column.name,
                        i + 1,
                        spec.name,
                        self.usage(&model)
                    );
                }
            }
            if model.reference != reference {
                let mut pinned = args;
                pinned[0] = Expr::Literal(ScalarValue::Utf8(Some(model.reference.clone())), None);
                let udf = Arc::new(ScalarUDF::new_from_impl(self.clone()));
                return Ok(ExprSimplifyResult::Simplified(Expr::ScalarFunction(
                    ScalarFunction::new_udf(udf, pinned),
                )));
            }
        }
        Ok(ExprSimplifyResult::Original(args))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let (model_arg, threshold) = match (args.args.first(), args.args.last()) {
            (Some(ColumnarValue::Scalar(model)), Some(last)) => (
                model.clone(),
                match last {
                    ColumnarValue::Scalar(t) => Some(t.clone()),
                    ColumnarValue::Array(_) => None,
                },
            ),
            _ => return exec_err!("{}: the model name must be a constant", self.name()),
        };
        let (model, has_threshold) = self.check(
            &args.arg_fields,
            Some(&model_arg),
            threshold.as_ref(),
            Some(&args.config_options),
        )?;
        let extra = usize::from(has_threshold);
        let features = &args.args[1..args.args.len() - extra];
        let arrays: Vec<ArrayRef> = features
            .iter()
            .map(|v| v.to_array(rows))
            .collect::<Result<_>>()?;
        let columns = encode_columns(model.ensemble.features(), &arrays)?;
        let slices: Vec<&[f64]> = columns.iter().map(|c| &c[..]).collect();
        let mut scores = vec![0.0; rows];
        model.forest.predict_margin_into(&slices, &mut scores);
        let objective = model.ensemble.objective();
        for s in &mut scores {
            *s = objective.transform(*s);
        }
        let result: ArrayRef = match self.kind {
            PredictKind::Label => {
                let t = match threshold.filter(|_| has_threshold) {
                    None => DEFAULT_THRESHOLD,
                    Some(t) => match t.cast_to(&DataType::Float64) {
                        Ok(ScalarValue::Float64(Some(t))) => t,
                        _ => return exec_err!("predict_label: the threshold must be a constant"),
                    },
                };
                Arc::new(Int32Array::from_iter_values(
                    scores.iter().map(|&p| i32::from(p >= t)),
                ))
            }
            _ => Arc::new(Float64Array::from(scores)),
        };
        Ok(ColumnarValue::Array(result))
    }
}
