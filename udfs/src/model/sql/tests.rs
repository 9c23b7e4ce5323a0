//! Scoring functions through SQL, over a hand-built model.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Float64Type, Int32Type};
use datafusion::common::{Result, plan_err};
use datafusion::prelude::SessionContext;

use super::functions;
use crate::model::ensemble::{FeatureKind, FeatureSpec, NodeTable, Objective, TreeEnsemble};
use crate::model::resolver::{ModelResolver, ScoringModel};

#[derive(Debug)]
struct Fixed(HashMap<String, Arc<ScoringModel>>);

impl ModelResolver for Fixed {
    fn resolve(&self, reference: &str) -> Result<Arc<ScoringModel>> {
        match self.0.get(reference) {
            Some(m) => Ok(Arc::clone(m)),
            None => plan_err!("model '{reference}' does not exist"),
        }
    }
}

/// x < 1.5 → margin -1, else +1 (missing → right); segment 'Basic' (code 0) adds -2 via a second tree.
fn model() -> TreeEnsemble {
    let mut nodes = NodeTable::default();
    nodes.push(0, 0, 0, 1.5, false, 1, 2, 0.0, 1.0, 4.0);
    nodes.push(0, 1, -1, 0.0, false, -1, -1, -1.0, 0.0, 2.0);
    nodes.push(0, 2, -1, 0.0, false, -1, -1, 1.0, 0.0, 2.0);
    nodes.push(1, 0, 1, 0.5, false, 1, 2, 0.0, 1.0, 4.0);
    nodes.push(1, 1, -1, 0.0, false, -1, -1, -2.0, 0.0, 2.0);
    nodes.push(1, 2, -1, 0.0, false, -1, -1, 0.0, 0.0, 2.0);
    let features = vec![
        FeatureSpec::numeric("x"),
        FeatureSpec {
            name: "segment".into(),
            kind: FeatureKind::Categorical {
                categories: vec!["Basic".into(), "Premium".into()],
            },
        },
    ];
    TreeEnsemble::try_new(Objective::BinaryLogistic, 0.0, features, nodes).expect("valid")
}

fn ctx() -> SessionContext {
    let ctx = SessionContext::new();
    let resolver = Fixed(HashMap::from([(
        "churn".to_string(),
        Arc::new(ScoringModel::new("churn", model())),
    )]));
    for udf in functions(Arc::new(resolver)) {
        ctx.register_udf(udf.as_ref().clone());
    }
    ctx
}

async fn run(sql: &str) -> Result<Vec<RecordBatch>> {
    ctx().sql(sql).await?.collect().await
}

const DATA: &str = "(VALUES (1.0, 'Basic'), (2.0, 'Premium'), (NULL, 'Gold')) AS t(x, segment)";

#[tokio::test]
async fn scores_by_position_with_missing_and_unseen_values() {
    let batches = run(&format!(
        "SELECT predict('churn', x, segment) AS p, predict_label('churn', x, segment, 0.5) AS l FROM {DATA}"
    ))
    .await
    .expect("runs");
    let p = batches[0].column(0).as_primitive::<Float64Type>();
    let sigmoid = |m: f64| 1.0 / (1.0 + (-m).exp());
    // row 1: -1 - 2; row 2: +1 + 0; row 3: x missing → right (+1), 'Gold' unseen → missing → right (0)
    let expected = [sigmoid(-3.0), sigmoid(1.0), sigmoid(1.0)];
    for (got, want) in p.values().iter().zip(expected) {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    let l = batches[0].column(1).as_primitive::<Int32Type>();
    assert_eq!(l.values().to_vec(), vec![0, 1, 1]);
}

#[tokio::test]
async fn wrong_calls_are_planning_errors_that_show_the_signature() {
    let err = |sql: String| async move { run(&sql).await.expect_err("refused").to_string() };
    let e = err(format!("SELECT predict('churn', x) FROM {DATA}")).await;
    assert!(e.contains("model 'churn' takes 2 features, got 1; expected predict('churn', x DOUBLE, segment VARCHAR)"), "{e}");
    let e = err(format!("SELECT predict('churn', segment, x) FROM {DATA}")).await;
    assert!(
        e.contains("feature 1 ('x') of model 'churn' cannot take Utf8"),
        "{e}"
    );
    let e = err(format!(
        "SELECT predict('churn', x AS y, segment) FROM {DATA}"
    ))
    .await;
    assert!(!e.is_empty());
    let e = err(format!("SELECT predict('nope', x, segment) FROM {DATA}")).await;
    assert!(e.contains("model 'nope' does not exist"), "{e}");
    let e = err(format!("SELECT predict(segment, x, segment) FROM {DATA}")).await;
    assert!(
        e.contains("must be the model's name as a string literal"),
        "{e}"
    );
    let e = err(format!(
        "SELECT predict_label('churn', x, segment, 2) FROM {DATA}"
    ))
    .await;
    assert!(e.contains("constant threshold in [0, 1]"), "{e}");
    let e = err(
        "SELECT predict('churn', a, segment) FROM (VALUES (1.0, 'Basic')) AS t(a, segment)"
            .to_string(),
    )
    .await;
    assert!(
        e.contains("argument 2 is column 'a' but feature 1 of model 'churn' is 'x'"),
        "{e}"
    );
    // an expression is not name-checked
    run("SELECT predict('churn', CAST(a AS DOUBLE), segment) FROM (VALUES (1.0, 'Basic')) AS t(a, segment)")
        .await
        .expect("expressions bind by position");
}
