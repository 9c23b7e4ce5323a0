//! XGBoost JSON → Firn model.

use datafusion::common::{Result, plan_datafusion_err, plan_err};
use firnml_udfs::model::{FeatureKind, FeatureSpec, NodeTable, Objective, TreeEnsemble};
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};

use super::json_path::At;
use super::*;

/// Reads an XGBoost JSON model (gbtree; `binary:logistic` or `reg:squarederror`; numeric
/// features) into Firn's format. Nodes keep XGBoost's ids when every child's id is greater
/// than its parent's and no node is unreachable; otherwise they are renumbered breadth-first.
pub fn import(json: &str) -> Result<TreeEnsemble> {
    let document: Value = serde_json::from_str(json)
        .map_err(|e| plan_datafusion_err!("invalid XGBoost model: not JSON: {e}"))?;
    let root = At {
        value: &document,
        path: String::new(),
    };
    let learner = root.get("learner")?;
    let booster = learner.get("gradient_booster")?;
    match booster.get("name")?.str()? {
        "gbtree" => {}
        "dart" => {
            return plan_err!(
                "cannot import an XGBoost dart model: Firn imports gbtree boosters only"
            );
        }
        other => {
            return plan_err!(
                "cannot import an XGBoost '{other}' booster: Firn imports gbtree boosters only"
            );
        }
    }
    let objective = match learner.get("objective")?.get("name")?.str()? {
        "binary:logistic" => Objective::BinaryLogistic,
        "reg:squarederror" => Objective::SquaredError,
        other => {
            return plan_err!(
                "cannot import XGBoost objective '{other}': Firn imports binary:logistic and reg:squarederror"
            );
        }
    };
    let params = learner.get("learner_model_param")?;
    for (key, most) in [("num_class", 1), ("num_target", 1)] {
        if let Some(count) = params.opt(key).map(|at| at.int()).transpose()?
            && count > most
        {
            return plan_err!(
                "cannot import an XGBoost model with {key} = {count}: Firn imports single-output models only"
            );
        }
    }
    let base_score = import_base_score(&learner, &params.get("base_score")?, objective)?;
    let features = import_features(&learner, params.get("num_feature")?.int()?)?;

    let model = booster.get("model")?;
    let trees = model.get("trees")?.items()?;
    if let Some(info) = model.opt("tree_info")
        && info.ints()?.iter().any(|&group| group != 0)
    {
        return plan_err!(
            "cannot import a multi-class XGBoost model (tree_info has groups other than 0)"
        );
    }
    let mut nodes = NodeTable::default();
    for (t, tree) in trees.iter().enumerate() {
        import_tree(tree, t as u32, features.len(), &mut nodes)?;
    }
    TreeEnsemble::try_new(objective, base_score, features, nodes)
}

/// `base_score` (`"5E-1"`, `"[5E-1]"` or a number) converted to a margin.
pub(super) fn import_base_score(learner: &At, at: &At, objective: Objective) -> Result<f64> {
    let text = match at.value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return at.bad("a number in a string"),
    };
    let text = text.as_str();
    let inner = text
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(text);
    let values: Vec<&str> = inner.split(',').collect();
    let [value] = values[..] else {
        return plan_err!(
            "cannot import an XGBoost model with {} base scores: Firn imports single-output models only",
            values.len()
        );
    };
    // XGBoost holds base_score as float32.
    let Some(score) = value.trim().parse::<f32>().ok().filter(|v| v.is_finite()) else {
        return at.bad("a finite number");
    };
    let margin = match objective {
        Objective::SquaredError => f64::from(score),
        Objective::BinaryLogistic if score > 0.0 && score < 1.0 => {
            (f64::from(score) / (1.0 - f64::from(score))).ln()
        }
        Objective::BinaryLogistic => {
            return at.bad("a probability strictly between 0 and 1 for binary:logistic");
        }
    };
    // Firn's exact margin, unless base_score was changed after Firn wrote it.
    let exact = learner
        .opt("attributes")
        .and_then(|a| a.opt(BASE_MARGIN_ATTR));
    let exact = exact.and_then(|at| at.value.as_str()?.parse::<f64>().ok());
    Ok(match exact {
        Some(m) if m.is_finite() && objective.transform(m) as f32 == score => m,
        _ => margin,
    })
}

pub(super) fn import_features(learner: &At, num_features: i64) -> Result<Vec<FeatureSpec>> {
    // Firn's features are table columns; the bound also keeps a corrupt count from exhausting memory.
    let Some(count) = usize::try_from(num_features)
        .ok()
        .filter(|&n| n <= MAX_FEATURES)
    else {
        return plan_err!(
            "cannot import an XGBoost model with num_feature = {num_features}: Firn imports 0 to {MAX_FEATURES} features"
        );
    };
    let names = match learner.opt("feature_names") {
        Some(at) => at
            .items()?
            .iter()
            .map(|item| item.str().map(str::to_string))
            .collect::<Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    let names = if names.is_empty() {
        (0..count).map(|i| format!("f{i}")).collect()
    } else {
        names
    };
    if names.len() != count {
        return plan_err!(
            "invalid XGBoost model: {} feature names for num_feature = {count}",
            names.len()
        );
    }
    if let Some(types) = learner.opt("feature_types") {
        for item in types.items()? {
            match item.str()? {
                "float" | "int" | "i" | "q" => {}
                "c" => {
                    return plan_err!(
                        "cannot import XGBoost categorical features ({}): Firn imports numeric features only",
                        item.path
                    );
                }
                other => {
                    return plan_err!(
                        "invalid XGBoost model: unknown feature type '{other}' at {}",
                        item.path
                    );
                }
            }
        }
    }
    let mut categories: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(at) = learner
        .opt("attributes")
        .and_then(|a| a.opt(CATEGORIES_ATTR))
    {
        categories = serde_json::from_str(at.str()?)
            .or_else(|_| at.bad("a JSON object of category lists"))?;
    }
    let features: Vec<FeatureSpec> = names
        .into_iter()
        .map(|name| match categories.remove(&name) {
            Some(categories) => FeatureSpec {
                name,
                kind: FeatureKind::Categorical { categories },
            },
            None => FeatureSpec::numeric(name),
        })
        .collect();
    if let Some(name) = categories.keys().next() {
        return plan_err!(
            "invalid XGBoost model: attribute {CATEGORIES_ATTR} names '{name}', which is not a feature"
        );
    }
    Ok(features)
}

pub(super) fn import_tree(
    tree: &At,
    tree_id: u32,
    num_features: usize,
    nodes: &mut NodeTable,
) -> Result<()> {
    let left = tree.get("left_children")?.ints()?;
    let size = left.len();
    let same_size = |key: &str| -> Result<()> {
        let len = tree.get(key)?.items()?.len();
        if len == size {
            Ok(())
        } else {
            plan_err!(
                "invalid XGBoost model: {} has {len} entries, left_children has {size}",
                tree.join(key)
            )
        }
    };
    for key in [
        "right_children",
        "split_indices",
        "split_conditions",
        "default_left",
        "base_weights",
        "loss_changes",
        "sum_hessian",
    ] {
        same_size(key)?;
    }
    let right = tree.get("right_children")?.ints()?;
    let split_indices = tree.get("split_indices")?.ints()?;
    let conditions = tree.get("split_conditions")?.floats()?;
    let default_left = tree.get("default_left")?.flags()?;
    let weights = tree.get("base_weights")?.floats()?;
    let gains = tree.get("loss_changes")?.floats()?;
    let hessians = tree.get("sum_hessian")?.floats()?;
    let categorical_nodes = tree
        .opt("categories_nodes")
        .map(|at| at.items())
        .transpose()?
        .map_or(0, |v| v.len());
    let split_types = tree
        .opt("split_type")
        .map(|at| at.ints())
        .transpose()?
        .unwrap_or_default();
    if categorical_nodes > 0
        || split_types
            .iter()
            .enumerate()
            .any(|(i, &kind)| kind != 0 && left.get(i) != Some(&-1))
    {
        return plan_err!(
            "cannot import {}: it has categorical splits, and Firn imports numeric splits only",
            tree.path
        );
    }
    if let Some(leaf_size) = tree
        .opt("tree_param")
        .and_then(|p| p.opt("size_leaf_vector"))
    {
        let leaf_size = leaf_size.int()?;
        if leaf_size > 1 {
            return plan_err!(
                "cannot import {}: its leaves hold {leaf_size} values (a multi-output tree)",
                tree.path
            );
        }
    }
    let order = node_order(tree, &left, &right)?;
    let mut new_id = vec![-1i32; size];
    for (id, &old) in order.iter().enumerate() {
        new_id[old] = id as i32;
    }
    for (id, &old) in order.iter().enumerate() {
        let (cover, weight) = (
            f64::from(hessians[old] as f32),
            f64::from(weights[old] as f32),
        );
        if left[old] == -1 {
            let value = f64::from(conditions[old] as f32);
            nodes.push(
                tree_id, id as u32, -1, 0.0, false, -1, -1, value, 0.0, cover,
            );
            continue;
        }
        let feature = split_indices[old];
        if feature < 0 || feature as usize >= num_features {
            return plan_err!(
                "invalid XGBoost model: {}.split_indices[{old}] is {feature}, but the model has {num_features} features",
                tree.path
            );
        }
        let condition = conditions[old] as f32;
        if !condition.is_finite() {
            return plan_err!(
                "invalid XGBoost model: {}.split_conditions[{old}] is {} (not a finite float32)",
                tree.path,
                conditions[old]
            );
        }
        let (l, r) = (new_id[left[old] as usize], new_id[right[old] as usize]);
        let gain = f64::from(gains[old] as f32);
        nodes.push(
            tree_id,
            id as u32,
            feature as i32,
            float32_threshold(condition),
            default_left[old],
            l,
            r,
            weight,
            gain,
            cover,
        );
    }
    Ok(())
}

/// The order to number a tree's nodes in (indices into XGBoost's arrays): XGBoost's own when
/// children come after parents and every node is in use, breadth-first from the root otherwise.
pub(super) fn node_order(tree: &At, left: &[i64], right: &[i64]) -> Result<Vec<usize>> {
    let size = left.len();
    if size == 0 {
        return plan_err!("invalid XGBoost model: {} has no nodes", tree.path);
    }
    let mut seen = vec![false; size];
    let mut order = Vec::with_capacity(size);
    let mut queue = VecDeque::from([0usize]);
    seen[0] = true;
    while let Some(node) = queue.pop_front() {
        order.push(node);
        match (left[node], right[node]) {
            (-1, -1) => {}
            (l, r) => {
                for child in [l, r] {
                    let Some(index) = usize::try_from(child)
                        .ok()
                        .filter(|&c| c < size && !seen[c])
                    else {
                        return plan_err!(
                            "invalid XGBoost model: {} node {node} has child {child}, not a new node of the tree",
                            tree.path
                        );
                    };
                    seen[index] = true;
                    queue.push_back(index);
                }
            }
        }
    }
    let keeps_ids = order.len() == size
        && (0..size).all(|i| left[i] == -1 || (left[i] > i as i64 && right[i] > i as i64));
    Ok(if keeps_ids {
        (0..size).collect()
    } else {
        order
    })
}

/// The smallest `f64` that rounds (to nearest, ties to even) to `condition` or above as `f32`,
/// so that `x < threshold` ⟺ `(x as f32) < condition` for every `f64` `x`: XGBoost's comparison.
pub(super) fn float32_threshold(condition: f32) -> f64 {
    // Below f32::MIN, rounding treats 2^128 as the next magnitude (and overflows there).
    let below = match condition.next_down() {
        below if below.is_infinite() => -(2f64.powi(128)),
        below => f64::from(below),
    };
    // The midpoint is exact in f64; it rounds to whichever neighbour has an even mantissa.
    let midpoint = (below + f64::from(condition)) / 2.0;
    if condition.to_bits() & 1 == 0 {
        midpoint
    } else {
        midpoint.next_up()
    }
}
