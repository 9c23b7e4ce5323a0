//! Tests of XGBoost JSON export and import.
use firnml_udfs::model::CompactForest;

use super::import::float32_threshold;
use super::*;
use crate::ml::dataset::Dataset;
use crate::ml::forust::ForustTrainer;
use crate::ml::params::GbdtParams;
use crate::ml::rng::Rng;
use crate::ml::trainer::Trainer;
use firnml_udfs::model::{FeatureKind, FeatureSpec, NodeTable, Objective, TreeEnsemble};
use serde_json::Value;

const FIXTURE: &str = include_str!("../../../tests/data/xgboost_small.json");
const FIXTURE_EXPECTED: &str = include_str!("../../../tests/data/xgboost_small_expected.json");

/// Classification data with missing values in two of three features.
fn synthetic(rows: usize, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let mut columns: Vec<Vec<f64>> = (0..3).map(|_| Vec::with_capacity(rows)).collect();
    let mut labels = Vec::with_capacity(rows);
    for _ in 0..rows {
        let (a, b, c) = (rng.normal(), rng.normal(), rng.below(4) as f64);
        labels.push(f64::from(1.2 * a - b + 0.4 * c + 0.8 * rng.normal() > 0.5));
        columns[0].push(if rng.chance(0.1) { f64::NAN } else { a });
        columns[1].push(if rng.chance(0.05) { f64::NAN } else { b });
        columns[2].push(c);
    }
    let features = ["a", "b", "c"].map(FeatureSpec::numeric).to_vec();
    Dataset {
        features,
        columns,
        labels,
    }
}

fn forust_model() -> (TreeEnsemble, Dataset) {
    let data = synthetic(2_000, 11);
    let params = GbdtParams {
        n_estimators: 30,
        max_depth: 5,
        learning_rate: 0.2,
        seed: 3,
        ..GbdtParams::default()
    };
    (ForustTrainer.fit(&data, &params).expect("trains"), data)
}

fn margins(model: &TreeEnsemble, data: &Dataset) -> Vec<f64> {
    CompactForest::new(model).predict_margin(&data.column_slices())
}

#[test]
fn forust_model_round_trips() {
    let (model, train) = forust_model();
    let json = export(&model).expect("exports");
    let back = import(&json).expect("imports");
    assert_eq!(
        (back.objective(), back.base_score(), back.features()),
        (model.objective(), model.base_score(), model.features())
    );
    // Same trees; thresholds only move to the lowest f64 with the same float32 (every forust value is already f32).
    let (a, b) = (model.nodes(), back.nodes());
    let thresholds: Vec<f64> = (0..a.len())
        .map(|i| {
            if a.is_leaf(i) {
                0.0
            } else {
                float32_threshold(a.threshold[i] as f32)
            }
        })
        .collect();
    assert_eq!(b.threshold, thresholds);
    assert_eq!(
        NodeTable {
            threshold: a.threshold.clone(),
            ..b.clone()
        },
        *a
    );
    for data in [train, synthetic(3_000, 12)] {
        for (row, (m, n)) in margins(&model, &data)
            .iter()
            .zip(margins(&back, &data))
            .enumerate()
        {
            assert!(
                (m - n).abs() < 1e-12,
                "row {row}: exported {m}, imported {n}"
            );
        }
    }
}

#[test]
fn export_is_laid_out_like_xgboost() {
    let (model, _) = forust_model();
    let doc: Value = serde_json::from_str(&export(&model).expect("exports")).expect("JSON");
    let learner = &doc["learner"];
    let base_score = learner["learner_model_param"]["base_score"]
        .as_str()
        .expect("string");
    let probability: f32 = base_score
        .parse()
        .expect("a scalar, not XGBoost 3's [..] spelling");
    assert_eq!(
        probability,
        Objective::BinaryLogistic.transform(model.base_score()) as f32
    );
    assert!(base_score.contains('E'), "{base_score}");
    assert_eq!(
        learner["feature_types"],
        serde_json::json!(["float", "float", "float"])
    );
    assert_eq!(learner["objective"]["name"], "binary:logistic");
    let tree = &learner["gradient_booster"]["model"]["trees"][0];
    let size = model.tree_range(0).len();
    assert_eq!(tree["tree_param"]["num_nodes"], size.to_string());
    assert_eq!(tree["parents"][0], NO_PARENT);
    assert_eq!(tree["left_children"].as_array().map(Vec::len), Some(size));
    assert!(
        tree["default_left"]
            .as_array()
            .expect("array")
            .iter()
            .all(|d| d == 0 || d == 1)
    );
    assert_eq!(tree["categories_nodes"], serde_json::json!([]));
}

/// XGBoost's rows from the fixture (null = missing) as one column per feature.
fn fixture_rows(expected: &Value) -> Vec<Vec<f64>> {
    let rows = expected["rows"].as_array().expect("rows");
    (0..3)
        .map(|f| {
            rows.iter()
                .map(|r| r[f].as_f64().unwrap_or(f64::NAN))
                .collect()
        })
        .collect()
}

fn floats(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect()
}

#[test]
fn imports_a_model_xgboost_saved() {
    let model = import(FIXTURE).expect("imports");
    let expected: Value = serde_json::from_str(FIXTURE_EXPECTED).expect("JSON");
    assert_eq!(model.num_trees(), 5);
    let names: Vec<&str> = model.features().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["tenure_z", "tickets", "plan"]);
    let columns = fixture_rows(&expected);
    assert!(columns[0].iter().any(|v| v.is_nan()));
    let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let got = CompactForest::new(&model).predict_margin(&slices);
    let want = floats(&expected["margin"]);
    for (row, contribs) in expected["contribs"]
        .as_array()
        .expect("contribs")
        .iter()
        .enumerate()
    {
        let (g, w) = (got[row], want[row]);
        assert!((g - w).abs() < 1e-5, "row {row}: XGBoost {w}, Firn {g}");
        // pred_contribs add up to the margin: the fixture is self-consistent
        assert!(
            (floats(contribs).iter().sum::<f64>() - w).abs() < 1e-5,
            "row {row}"
        );
    }
    // XGBoost 3's "[..]" base_score, in probability space
    assert!(FIXTURE.contains(r#""base_score":"[5.125E-1]""#));
    assert!((Objective::BinaryLogistic.transform(model.base_score()) - 0.5125).abs() < 1e-7);
    // imported models export and import unchanged
    assert_eq!(
        import(&export(&model).expect("exports")).expect("imports"),
        model
    );
}

#[test]
fn float32_thresholds_route_like_xgboost() {
    for condition in [
        0.0f32,
        -0.0,
        0.3,
        -0.3,
        1.0,
        -1.0,
        2.5,
        7.3,
        1e-40,
        f32::MAX,
        -f32::MAX,
        16_777_217.0,
    ] {
        let t = float32_threshold(condition);
        for x in [
            t,
            t.next_up(),
            t.next_down(),
            f64::from(condition),
            f64::from(condition.next_down()),
        ] {
            assert_eq!(
                x < t,
                (x as f32) < condition,
                "condition {condition}, x {x}"
            );
        }
        assert_eq!(t as f32, condition);
    }
    // a value written as 0.3 in a CSV sits on XGBoost's 0.3f32 condition, above 0.3f64
    assert!(0.3f64 < f64::from(0.3f32) && 0.3f64 >= float32_threshold(0.3));
}

/// A stump in XGBoost's layout: `x < 0.5` → -1 else 1, missing left; then `edit`.
fn stump_json(edit: impl FnOnce(&mut Value)) -> String {
    let mut doc = serde_json::json!({
        "learner": {
            "attributes": {}, "feature_names": ["x"], "feature_types": ["float"],
            "gradient_booster": {"name": "gbtree", "model": {
                "gbtree_model_param": {"num_parallel_tree": "1", "num_trees": "1"}, "tree_info": [0],
                "trees": [{"base_weights": [0.0, -1.0, 1.0], "default_left": [1, 0, 0], "id": 0,
                    "left_children": [1, -1, -1], "right_children": [2, -1, -1], "loss_changes": [1.0, 0.0, 0.0],
                    "parents": [NO_PARENT, 0, 0], "split_conditions": [0.5, -1.0, 1.0], "split_indices": [0, 0, 0],
                    "split_type": [0, 0, 0], "sum_hessian": [2.0, 1.0, 1.0], "categories_nodes": [],
                    "tree_param": {"num_nodes": "3", "size_leaf_vector": "1"}}]}},
            "learner_model_param": {"base_score": "5E-1", "num_class": "0", "num_feature": "1", "num_target": "1"},
            "objective": {"name": "reg:squarederror", "reg_loss_param": {"scale_pos_weight": "1"}}},
        "version": [2, 1, 0]});
    edit(&mut doc);
    doc.to_string()
}

fn predict(model: &TreeEnsemble, x: &[f64]) -> Vec<f64> {
    CompactForest::new(model).predict_margin(&[x])
}

#[test]
fn reads_base_score_spellings_and_renumbers_nodes() {
    for spelling in [
        serde_json::json!("5E-1"),
        serde_json::json!("[5E-1]"),
        serde_json::json!(0.5),
    ] {
        let json = stump_json(|d| d["learner"]["learner_model_param"]["base_score"] = spelling);
        assert_eq!(
            predict(&import(&json).expect("imports"), &[0.0, 1.0, f64::NAN]),
            [-0.5, 1.5, -0.5]
        );
    }
    // Children listed before their parent, plus an unused (pruned) node 1: renumbered breadth-first.
    let json = stump_json(|d| {
        let tree = &mut d["learner"]["gradient_booster"]["model"]["trees"][0];
        for (key, values) in [
            ("left_children", serde_json::json!([3, -1, -1, -1])),
            ("right_children", serde_json::json!([2, -1, -1, -1])),
            ("split_conditions", serde_json::json!([0.5, 9.0, 1.0, -1.0])),
            (
                "default_left",
                serde_json::json!([true, false, false, false]),
            ),
        ] {
            tree[key] = values;
        }
        for key in [
            "base_weights",
            "loss_changes",
            "sum_hessian",
            "split_indices",
            "split_type",
        ] {
            tree[key] = serde_json::json!([0, 0, 0, 0]);
        }
    });
    let model = import(&json).expect("imports");
    assert_eq!(model.nodes().node_id, [0, 1, 2]);
    assert_eq!(model.nodes().left[0], 1);
    assert_eq!(predict(&model, &[0.0, 1.0, f64::NAN]), [-0.5, 1.5, -0.5]);
}

/// A change to a valid document.
type Edit = fn(&mut Value);

#[test]
fn refuses_what_firn_cannot_import() {
    let error = |edit: Edit| import(&stump_json(edit)).expect_err("refused").to_string();
    let cases: [(Edit, &str); 10] = [
        (
            |d| d["learner"]["gradient_booster"]["name"] = "dart".into(),
            "dart model",
        ),
        (
            |d| d["learner"]["objective"]["name"] = "multi:softprob".into(),
            "objective 'multi:softprob'",
        ),
        (
            |d| d["learner"]["learner_model_param"]["num_class"] = "3".into(),
            "num_class = 3",
        ),
        (
            |d| d["learner"]["gradient_booster"]["model"]["trees"][0]["split_type"][0] = 1.into(),
            "categorical splits",
        ),
        (
            |d| d["learner"]["feature_types"][0] = "c".into(),
            "categorical features",
        ),
        (
            |d| d["learner"]["learner_model_param"]["base_score"] = "[0.1,0.2]".into(),
            "2 base scores",
        ),
        (
            |d| {
                d["learner"]["gradient_booster"]["model"]["trees"][0]
                    .as_object_mut()
                    .map(|t| t.remove("sum_hessian"))
                    .map_or((), drop)
            },
            "missing field 'learner.gradient_booster.model.trees[0].sum_hessian'",
        ),
        (
            |d| {
                d["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"][0] = 0.into()
            },
            "node 0 has child 0",
        ),
        (
            |d| {
                d["learner"]["gradient_booster"]["model"]["trees"][0]["split_indices"][0] = 4.into()
            },
            "split_indices[0] is 4",
        ),
        (
            |d| {
                d["learner"]["gradient_booster"]["model"]["trees"][0]["default_left"][0] =
                    "yes".into()
            },
            "default_left[0]' should be 0 or 1",
        ),
    ];
    for (edit, message) in cases {
        let err = error(edit);
        assert!(err.contains(message), "expected '{message}' in: {err}");
    }
    assert!(
        import("{")
            .expect_err("not JSON")
            .to_string()
            .contains("not JSON")
    );
    assert!(
        import("[]")
            .expect_err("no learner")
            .to_string()
            .contains("missing field 'learner'")
    );
}

#[test]
fn categorical_features_travel_as_ordinal_codes() {
    let categories = vec!["Basic".to_string(), "Premium".to_string()];
    let features = vec![FeatureSpec {
        name: "plan".into(),
        kind: FeatureKind::Categorical { categories },
    }];
    let mut nodes = NodeTable::default();
    nodes.push(0, 0, 0, 0.5, false, 1, 2, 0.0, 1.0, 2.0);
    nodes.push(0, 1, -1, 0.0, false, -1, -1, -0.25, 0.0, 1.0);
    nodes.push(0, 2, -1, 0.0, false, -1, -1, 0.75, 0.0, 1.0);
    let model =
        TreeEnsemble::try_new(Objective::BinaryLogistic, -0.1, features, nodes).expect("valid");
    let json = export(&model).expect("exports");
    assert!(json.contains(r#""feature_types":["float"]"#) && json.contains(CATEGORIES_ATTR));
    let back = import(&json).expect("imports");
    assert_eq!(back.features(), model.features());
    let codes = [0.0, 1.0, f64::NAN];
    assert_eq!(predict(&back, &codes), predict(&model, &codes));
}

/// Writes a forust model's export, rows and Firn's margins for `benches/peer/interop_check.py`:
/// `FIRN_INTEROP_DIR=/tmp/interop cargo test --lib xgboost_json -- --ignored`.
#[test]
#[ignore = "a dev tool: writes files for the XGBoost peer check"]
fn write_interop_sample() {
    let dir =
        std::path::PathBuf::from(std::env::var("FIRN_INTEROP_DIR").expect("FIRN_INTEROP_DIR"));
    // The training rows (many sit exactly on a threshold), then fresh ones.
    let (model, train) = forust_model();
    let fresh = synthetic(3_000, 13);
    let columns = train
        .columns
        .iter()
        .zip(&fresh.columns)
        .map(|(a, b)| [a.as_slice(), b].concat())
        .collect();
    let data = Dataset {
        columns,
        labels: [train.labels, fresh.labels].concat(),
        ..fresh
    };
    let mut csv = String::from("a,b,c\n");
    for row in 0..data.rows() {
        let cells: Vec<String> = data
            .columns
            .iter()
            .map(|c| {
                if c[row].is_nan() {
                    String::new()
                } else {
                    c[row].to_string()
                }
            })
            .collect();
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("firn_export.json"),
        export(&model).expect("exports"),
    )
    .expect("write");
    std::fs::write(dir.join("rows.csv"), csv).expect("write");
    let margins = serde_json::to_string(&margins(&model, &data)).expect("JSON");
    std::fs::write(dir.join("firn_margin.json"), margins).expect("write");
}
