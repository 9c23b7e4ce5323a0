//! TreeSHAP against XGBoost's own `pred_contribs`: the fixture model XGBoost
//! 3.2 saved (`tests/data/xgboost_small.json`, 5 trees of depth ≤ 3 over 3
//! features, missing values in the rows) and the contributions it computed for
//! 60 rows (`tests/data/xgboost_small_expected.json`, written by
//! `benches/peer/make_xgboost_fixture.py`). This crate has no XGBoost importer
//! (that is `firnml::ml::xgboost_json`) nor a JSON parser, so the test reads the
//! few arrays it needs with a minimal one below.
use super::*;
use crate::model::ensemble::{FeatureSpec, NodeTable, Objective};
use crate::model::predict::CompactForest;

const MODEL: &str = include_str!("../../../../tests/data/xgboost_small.json");
const EXPECTED: &str = include_str!("../../../../tests/data/xgboost_small_expected.json");

/// A JSON value (enough of JSON for the fixtures: no escapes in strings).
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn parse(text: &str) -> Json {
        let mut at = 0;
        let value = Self::value(text.as_bytes(), &mut at);
        assert!(text[at..].trim().is_empty(), "trailing text at {at}");
        value
    }

    fn skip_space(bytes: &[u8], at: &mut usize) {
        while bytes.get(*at).is_some_and(u8::is_ascii_whitespace) {
            *at += 1;
        }
    }

    fn value(bytes: &[u8], at: &mut usize) -> Json {
        Self::skip_space(bytes, at);
        let rest = &bytes[*at..];
        let literal = |word: &[u8], value: Json, at: &mut usize| {
            assert!(rest.starts_with(word), "bad literal at {at}");
            *at += word.len();
            value
        };
        match rest[0] {
            b'n' => literal(b"null", Json::Null, at),
            b't' => literal(b"true", Json::Bool(true), at),
            b'f' => literal(b"false", Json::Bool(false), at),
            b'"' => Json::String(Self::string(bytes, at)),
            b'[' => {
                *at += 1;
                let mut items = Vec::new();
                loop {
                    Self::skip_space(bytes, at);
                    if bytes[*at] == b']' {
                        *at += 1;
                        return Json::Array(items);
                    }
                    items.push(Self::value(bytes, at));
                    Self::skip_space(bytes, at);
                    if bytes[*at] == b',' {
                        *at += 1;
                    }
                }
            }
            b'{' => {
                *at += 1;
                let mut members = Vec::new();
                loop {
                    Self::skip_space(bytes, at);
                    match bytes[*at] {
                        b'}' => {
                            *at += 1;
                            return Json::Object(members);
                        }
                        b',' => *at += 1,
                        _ => {
                            let key = Self::string(bytes, at);
                            Self::skip_space(bytes, at);
                            assert_eq!(bytes[*at], b':', "expected ':' at {at}");
                            *at += 1;
                            members.push((key, Self::value(bytes, at)));
                        }
                    }
                }
            }
            _ => {
                let start = *at;
                while bytes
                    .get(*at)
                    .is_some_and(|b| b.is_ascii_digit() || b"+-.eE".contains(b))
                {
                    *at += 1;
                }
                let text = std::str::from_utf8(&bytes[start..*at]).expect("ASCII");
                Json::Number(text.parse().unwrap_or_else(|_| panic!("number {text:?}")))
            }
        }
    }

    fn string(bytes: &[u8], at: &mut usize) -> String {
        assert_eq!(bytes[*at], b'"', "expected a string at {at}");
        let start = *at + 1;
        let end = start
            + bytes[start..]
                .iter()
                .position(|&b| b == b'"')
                .expect("closed string");
        assert!(!bytes[start..end].contains(&b'\\'), "escapes unsupported");
        *at = end + 1;
        String::from_utf8(bytes[start..end].to_vec()).expect("UTF-8")
    }

    fn get(&self, key: &str) -> &Json {
        match self {
            Json::Object(members) => members
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("no member {key}")),
            _ => panic!("not an object"),
        }
    }

    fn items(&self) -> &[Json] {
        match self {
            Json::Array(items) => items,
            _ => panic!("not an array"),
        }
    }

    /// A number, NaN for null.
    fn number(&self) -> f64 {
        match self {
            Json::Number(v) => *v,
            Json::Null => f64::NAN,
            _ => panic!("not a number"),
        }
    }

    fn numbers(&self) -> Vec<f64> {
        self.items().iter().map(Json::number).collect()
    }
}

/// The fixture's model as Firn's node table. XGBoost keeps its values as
/// float32 and sends a row left when `(x as f32) < condition`; the rows are
/// rounded to float32 below (as XGBoost's DMatrix stores them), so the
/// float32 conditions widened to f64 route them the same way.
fn fixture_model() -> TreeEnsemble {
    let learner = Json::parse(MODEL).get("learner").clone();
    let names: Vec<FeatureSpec> = learner
        .get("feature_names")
        .items()
        .iter()
        .map(|n| match n {
            Json::String(name) => FeatureSpec::numeric(name.clone()),
            _ => panic!("feature name"),
        })
        .collect();
    assert_eq!(
        learner.get("objective").get("name"),
        &Json::String("binary:logistic".into())
    );
    // base_score "[5.125E-1]" is a probability (float32); the margin is its logit.
    let base = match learner.get("learner_model_param").get("base_score") {
        Json::String(s) => f64::from(
            s.trim_matches(['[', ']'])
                .parse::<f32>()
                .expect("base_score"),
        ),
        _ => panic!("base_score"),
    };
    let mut nodes = NodeTable::default();
    let trees = learner.get("gradient_booster").get("model").get("trees");
    for (t, tree) in trees.items().iter().enumerate() {
        let column = |key: &str| tree.get(key).numbers();
        let (left, right) = (column("left_children"), column("right_children"));
        let (features, conditions) = (column("split_indices"), column("split_conditions"));
        let (default_left, weights) = (column("default_left"), column("base_weights"));
        let (gains, covers) = (column("loss_changes"), column("sum_hessian"));
        for i in 0..left.len() {
            // The fixture numbers children after their parents, as Firn's table does.
            let f32_value = |v: f64| f64::from(v as f32);
            if left[i] < 0.0 {
                nodes.push(
                    t as u32,
                    i as u32,
                    -1,
                    0.0,
                    false,
                    -1,
                    -1,
                    f32_value(conditions[i]),
                    0.0,
                    f32_value(covers[i]),
                );
            } else {
                nodes.push(
                    t as u32,
                    i as u32,
                    features[i] as i32,
                    f32_value(conditions[i]),
                    default_left[i] == 1.0,
                    left[i] as i32,
                    right[i] as i32,
                    f32_value(weights[i]),
                    f32_value(gains[i]),
                    f32_value(covers[i]),
                );
            }
        }
    }
    TreeEnsemble::try_new(
        Objective::BinaryLogistic,
        (base / (1.0 - base)).ln(),
        names,
        nodes,
    )
    .expect("valid model")
}

#[test]
fn equals_xgboost_pred_contribs() {
    let model = fixture_model();
    assert_eq!(model.num_trees(), 5);
    let expected = Json::parse(EXPECTED);
    let rows = expected.get("rows").items();
    let width = model.features().len() + 1;
    // Column-major, rounded to float32 like XGBoost's DMatrix; null is missing.
    let columns: Vec<Vec<f64>> = (0..width - 1)
        .map(|f| {
            rows.iter()
                .map(|r| f64::from(r.items()[f].number() as f32))
                .collect()
        })
        .collect();
    assert!(columns.iter().flatten().any(|v| v.is_nan()));
    let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let want: Vec<f64> = expected
        .get("contribs")
        .items()
        .iter()
        .flat_map(Json::numbers)
        .collect();
    assert_eq!(want.len(), rows.len() * width);
    // The fixture is the model: Firn's margins are XGBoost's.
    let margins = CompactForest::new(&model).predict_margin(&slices);
    for (m, w) in margins.iter().zip(expected.get("margin").numbers()) {
        assert!((m - w).abs() < 1e-5, "margin {m}, XGBoost {w}");
    }
    for algorithm in [ShapAlgorithm::LeafTables, ShapAlgorithm::PathWalk] {
        let forest = ShapForest::with_algorithm(&model, algorithm);
        if algorithm == ShapAlgorithm::LeafTables {
            assert_eq!(forest.tabulated_trees(), model.num_trees());
        }
        let got = forest.shap_values(&slices);
        for (row, (g, w)) in got
            .chunks_exact(width)
            .zip(want.chunks_exact(width))
            .enumerate()
        {
            for (f, (a, b)) in g.iter().zip(w).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-5,
                    "{algorithm:?}, row {row}, feature {f}: Firn {a}, XGBoost {b}"
                );
            }
            let sum: f64 = g.iter().sum();
            assert!(
                (sum - margins[row]).abs() <= 1e-9,
                "{algorithm:?}, row {row}: SHAP sum {sum}, margin {}",
                margins[row]
            );
        }
    }
}
