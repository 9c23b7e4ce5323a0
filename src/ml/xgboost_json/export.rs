//! Firn model → XGBoost JSON.

use datafusion::common::{Result, internal_datafusion_err, plan_err};
use firnml_udfs::model::{FeatureKind, Objective, TreeEnsemble};
use serde::Serialize;
use std::collections::BTreeMap;

use super::*;

#[derive(Serialize)]
pub(super) struct Document<'a> {
    learner: Learner<'a>,
    version: [u32; 3],
}

#[derive(Serialize)]
pub(super) struct Learner<'a> {
    attributes: BTreeMap<&'static str, String>,
    feature_names: Vec<&'a str>,
    feature_types: Vec<&'static str>,
    gradient_booster: GradientBooster,
    learner_model_param: LearnerModelParam,
    objective: ObjectiveParam,
}

#[derive(Serialize)]
pub(super) struct GradientBooster {
    model: GbTree,
    name: &'static str,
}

#[derive(Serialize)]
pub(super) struct GbTree {
    gbtree_model_param: BTreeMap<&'static str, String>,
    iteration_indptr: Vec<usize>,
    tree_info: Vec<u32>,
    trees: Vec<Tree>,
}

#[derive(Serialize)]
pub(super) struct LearnerModelParam {
    base_score: String,
    boost_from_average: &'static str,
    num_class: &'static str,
    num_feature: String,
    num_target: &'static str,
}

#[derive(Serialize)]
pub(super) struct ObjectiveParam {
    name: &'static str,
    reg_loss_param: BTreeMap<&'static str, &'static str>,
}

/// One tree in XGBoost's array layout (fields in the order XGBoost writes them).
#[derive(Serialize, Default)]
pub(super) struct Tree {
    base_weights: Vec<f32>,
    categories: [u32; 0],
    categories_nodes: [u32; 0],
    categories_segments: [u32; 0],
    categories_sizes: [u32; 0],
    default_left: Vec<u8>,
    id: usize,
    left_children: Vec<i32>,
    loss_changes: Vec<f32>,
    parents: Vec<i32>,
    right_children: Vec<i32>,
    split_conditions: Vec<f32>,
    split_indices: Vec<i32>,
    split_type: Vec<u8>,
    sum_hessian: Vec<f32>,
    tree_param: BTreeMap<&'static str, String>,
}

/// `model` as an XGBoost JSON model document (see the module docs for the float32 effects).
pub fn export(model: &TreeEnsemble) -> Result<String> {
    let num_features = model.features().len();
    let trees = (0..model.num_trees())
        .map(|t| export_tree(model, t))
        .collect::<Result<Vec<_>>>()?;
    let mut attributes = BTreeMap::from([(BASE_MARGIN_ATTR, format!("{:e}", model.base_score()))]);
    let categories: BTreeMap<&str, &[String]> = model
        .features()
        .iter()
        .filter_map(|f| match &f.kind {
            FeatureKind::Categorical { categories } => {
                Some((f.name.as_str(), categories.as_slice()))
            }
            FeatureKind::Numeric => None,
        })
        .collect();
    if !categories.is_empty() {
        let text =
            serde_json::to_string(&categories).map_err(|e| internal_datafusion_err!("{e}"))?;
        attributes.insert(CATEGORIES_ATTR, text);
    }
    let document = Document {
        learner: Learner {
            attributes,
            feature_names: model.features().iter().map(|f| f.name.as_str()).collect(),
            feature_types: vec!["float"; num_features],
            gradient_booster: GradientBooster {
                model: GbTree {
                    gbtree_model_param: BTreeMap::from([
                        ("num_parallel_tree", "1".into()),
                        ("num_trees", trees.len().to_string()),
                    ]),
                    iteration_indptr: (0..=trees.len()).collect(),
                    tree_info: vec![0; trees.len()],
                    trees,
                },
                name: "gbtree",
            },
            learner_model_param: LearnerModelParam {
                base_score: export_base_score(model.objective(), model.base_score())?,
                boost_from_average: "1",
                num_class: "0",
                num_feature: num_features.to_string(),
                num_target: "1",
            },
            // scale_pos_weight only weights training gradients; predictions do not use it.
            objective: ObjectiveParam {
                name: model.objective().name(),
                reg_loss_param: BTreeMap::from([("scale_pos_weight", "1")]),
            },
        },
        version: WRITTEN_VERSION,
    };
    serde_json::to_string(&document)
        .map_err(|e| internal_datafusion_err!("cannot serialise the XGBoost model: {e}"))
}

/// `base_score` in XGBoost's space (a probability for logistic) as a float32 string like `5E-1`.
pub(super) fn export_base_score(objective: Objective, margin: f64) -> Result<String> {
    let value = objective.transform(margin) as f32;
    let representable = match objective {
        Objective::BinaryLogistic => value > 0.0 && value < 1.0,
        Objective::SquaredError => value.is_finite(),
    };
    if !representable {
        return plan_err!(
            "cannot export to XGBoost: base_score margin {margin} becomes {value} in float32"
        );
    }
    Ok(format!("{value:E}"))
}

pub(super) fn export_tree(model: &TreeEnsemble, t: usize) -> Result<Tree> {
    let nodes = model.nodes();
    let range = model.tree_range(t);
    let size = range.len();
    let mut tree = Tree {
        id: t,
        parents: vec![NO_PARENT; size],
        ..Tree::default()
    };
    for (id, i) in range.enumerate() {
        let to_f32 = |value: f64, what: &str| {
            let narrow = value as f32;
            if narrow.is_finite() {
                Ok(narrow)
            } else {
                plan_err!(
                    "cannot export to XGBoost: tree {t} node {id} has {what} {value}, outside float32's range"
                )
            }
        };
        if nodes.is_leaf(i) {
            tree.left_children.push(-1);
            tree.right_children.push(-1);
            tree.split_indices.push(0);
            tree.split_conditions
                .push(to_f32(nodes.leaf_value[i], "leaf value")?);
        } else {
            // Validation keeps children inside the tree (positive, below its size).
            for child in [nodes.left[i], nodes.right[i]] {
                tree.parents[child as usize] = id as i32;
            }
            tree.left_children.push(nodes.left[i]);
            tree.right_children.push(nodes.right[i]);
            tree.split_indices.push(nodes.feature[i]);
            tree.split_conditions
                .push(to_f32(nodes.threshold[i], "threshold")?);
        }
        tree.default_left.push(u8::from(nodes.default_left[i]));
        tree.base_weights
            .push(to_f32(nodes.leaf_value[i], "weight")?);
        tree.loss_changes.push(to_f32(nodes.gain[i], "gain")?);
        tree.sum_hessian.push(to_f32(nodes.cover[i], "cover")?);
        tree.split_type.push(0);
    }
    tree.tree_param = BTreeMap::from([
        ("num_deleted", "0".into()),
        ("num_feature", model.features().len().to_string()),
        ("num_nodes", size.to_string()),
        ("size_leaf_vector", "1".into()),
    ]);
    Ok(tree)
}
