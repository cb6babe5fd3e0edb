//! A gradient-boosted forest loaded from XGBoost's own model format (JSON or UBJSON), evaluated
//! natively: the same trees, the same `value < split` rule and missing-value directions as
//! XGBoost, so predictions equal the library's (the golden test proves it).

use std::path::Path;

use aegis_workflows::features::Schema;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::tree::{Node, Tree};
use super::ubjson;

/// Attribute names Aegis writes into the models it trains.
pub const ATTR_VERSION: &str = "aegis_model_version";
pub const ATTR_SCHEMA: &str = "aegis_feature_schema";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read model file {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("no model file {path}: {reason}")]
    Missing { path: String, reason: String },
    #[error("not an XGBoost model: {0}")]
    Format(String),
    #[error("unsupported model: {0}")]
    Unsupported(String),
    #[error(
        "the model's features do not match Aegis's schema ({schema}): {detail}; retrain with `aegis train` or name the features as `aegis score --list-features` shows"
    )]
    FeatureMismatch { schema: String, detail: String },
}

/// Deeper trees are not what XGBoost trains (its `max_depth` tops out far below) but what a
/// hostile file would use to make explanation recursion and tables explode.
pub const MAX_TREE_DEPTH: usize = 64;
/// Nodes in one model at most: a 1,000-tree depth-6 model has 127,000.
pub const MAX_NODES: usize = 2_000_000;

fn fmt_err(m: impl Into<String>) -> ModelError {
    ModelError::Format(m.into())
}

/// Checks the learner is what Aegis evaluates (binary:logistic, gbtree); its base score.
fn binary_logistic_gbtree(learner: &Value) -> Result<f64, ModelError> {
    let objective = learner
        .pointer("/objective/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    if objective != "binary:logistic" {
        return Err(ModelError::Unsupported(format!(
            "objective '{objective}' (Aegis needs binary:logistic)"
        )));
    }
    let booster = learner
        .pointer("/gradient_booster/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    if booster != "gbtree" {
        return Err(ModelError::Unsupported(format!("booster '{booster}'")));
    }
    let base_score = learner
        .get("learner_model_param")
        .ok_or_else(|| fmt_err("no learner_model_param"))?
        .get("base_score")
        .and_then(num)
        .ok_or_else(|| fmt_err("no base_score"))?;
    if !(base_score > 0.0 && base_score < 1.0) {
        return Err(fmt_err(format!(
            "base_score {base_score} is not a probability"
        )));
    }
    Ok(base_score)
}

/// The model's feature names, as many as `num_feature`. A model scores features by position;
/// only their names say which position is what, so a model that does not name them (or names
/// them with anything but text) is refused rather than read by position.
fn named_features(learner: &Value) -> Result<Vec<String>, ModelError> {
    let n_features = learner
        .pointer("/learner_model_param/num_feature")
        .and_then(num)
        .map(|f| f as usize)
        .ok_or_else(|| fmt_err("no num_feature"))?;
    let names: Vec<String> = learner
        .get("feature_names")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            fmt_err(
                "the model names no features (learner.feature_names); train it with feature names",
            )
        })?
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.as_str()
                .map(str::to_owned)
                .ok_or_else(|| fmt_err(format!("feature name {i} is not text")))
        })
        .collect::<Result<_, _>>()?;
    if n_features != names.len() {
        return Err(fmt_err(format!(
            "num_feature is {n_features} but {} features are named",
            names.len()
        )));
    }
    Ok(names)
}

/// The trees, at most [`MAX_NODES`] nodes in all, each splitting on the `n_features` named.
fn trees_of(learner: &Value, n_features: usize) -> Result<Vec<Tree>, ModelError> {
    let model = learner
        .pointer("/gradient_booster/model")
        .ok_or_else(|| fmt_err("no gradient_booster.model"))?;
    if let Some(p) = model
        .pointer("/gbtree_model_param/num_parallel_tree")
        .and_then(num)
        && p as usize != 1
    {
        return Err(ModelError::Unsupported(
            "random forests (num_parallel_tree > 1)".into(),
        ));
    }
    let raw_trees = model
        .get("trees")
        .and_then(Value::as_array)
        .ok_or_else(|| fmt_err("no trees"))?;
    let nodes: usize = raw_trees
        .iter()
        .map(|t| {
            t.get("left_children")
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        })
        .sum();
    if nodes > MAX_NODES {
        return Err(ModelError::Unsupported(format!(
            "{nodes} nodes (at most {MAX_NODES})"
        )));
    }
    raw_trees
        .iter()
        .map(|t| parse_tree(t, n_features))
        .collect()
}

/// A binary-logistic gradient-boosted forest.
#[derive(Debug, Clone)]
pub struct Forest {
    pub version: String,
    pub feature_names: Vec<String>,
    /// `base_score` in margin (log-odds) space.
    pub base_margin: f64,
    pub(crate) trees: Vec<Tree>,
    pub source: String,
    /// Features a contribution vector covers (the bias follows): computed once at load, since
    /// scanning every node per row cost more than the scoring itself.
    width: usize,
    /// Precomputed exact-SHAP tables; `None` for trees too deep to tabulate.
    shap: Option<super::fastshap::Tables>,
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        // XGBoost writes many parameters as strings ("5E-1"), and 3.x writes base_score as a
        // one-element vector ("[5E-1]").
        Value::String(s) => s.trim_matches(|c| c == '[' || c == ']').trim().parse().ok(),
        _ => None,
    }
}

fn array<'a>(tree: &'a Value, key: &str) -> Result<&'a Vec<Value>, ModelError> {
    tree.get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| fmt_err(format!("tree is missing '{key}'")))
}

fn ints(tree: &Value, key: &str) -> Result<Vec<i64>, ModelError> {
    array(tree, key)?
        .iter()
        .map(|v| {
            v.as_i64()
                .ok_or_else(|| fmt_err(format!("'{key}' holds a non-integer")))
        })
        .collect()
}

fn floats(tree: &Value, key: &str) -> Result<Vec<f32>, ModelError> {
    array(tree, key)?
        .iter()
        .map(|v| {
            num(v)
                .map(|f| f as f32)
                .ok_or_else(|| fmt_err(format!("'{key}' holds a non-number")))
        })
        .collect()
}

/// A tree's node arrays, each the same length, every number finite.
struct Arrays {
    left: Vec<i64>,
    right: Vec<i64>,
    feature: Vec<i64>,
    value: Vec<f32>,
    cover: Vec<f32>,
    default_left: Vec<i64>,
}

fn tree_arrays(t: &Value) -> Result<Arrays, ModelError> {
    let a = Arrays {
        left: ints(t, "left_children")?,
        right: ints(t, "right_children")?,
        feature: ints(t, "split_indices")?,
        value: floats(t, "split_conditions")?,
        cover: floats(t, "sum_hessian")?,
        default_left: ints(t, "default_left")?,
    };
    let n = a.left.len();
    let lengths = [
        a.right.len(),
        a.feature.len(),
        a.value.len(),
        a.cover.len(),
        a.default_left.len(),
    ];
    if n == 0 || lengths.iter().any(|&l| l != n) {
        return Err(fmt_err("tree arrays differ in length"));
    }
    if let Some(i) = a.value.iter().position(|v| !v.is_finite()) {
        return Err(fmt_err(format!(
            "node {i} has a value that is not a finite number"
        )));
    }
    if let Some(i) = a.cover.iter().position(|v| !v.is_finite() || *v < 0.0) {
        return Err(fmt_err(format!(
            "node {i} has a cover that is not a finite, non-negative number"
        )));
    }
    if let Some(types) = t.get("split_type").and_then(Value::as_array)
        && types.iter().any(|v| v.as_i64().unwrap_or(0) != 0)
    {
        return Err(ModelError::Unsupported("categorical splits".into()));
    }
    Ok(a)
}

/// The children as node indices (-1 for none), each in range, every split node with two and
/// splitting on a feature the model has.
fn children(a: &Arrays, n_features: usize) -> Result<(Vec<i32>, Vec<i32>), ModelError> {
    let n = a.left.len();
    let to_child = |c: i64| -> Result<i32, ModelError> {
        if c == -1 {
            Ok(-1)
        } else if c > 0 && (c as usize) < n {
            Ok(c as i32)
        } else {
            Err(fmt_err(format!("child index {c} is out of range")))
        }
    };
    let left: Vec<i32> = a
        .left
        .iter()
        .map(|&c| to_child(c))
        .collect::<Result<_, _>>()?;
    let right: Vec<i32> = a
        .right
        .iter()
        .map(|&c| to_child(c))
        .collect::<Result<_, _>>()?;
    for i in 0..n {
        let (l, r) = (left[i], right[i]);
        if (l < 0) != (r < 0) {
            return Err(fmt_err("a node has exactly one child"));
        }
        if l >= 0 && a.feature[i] as usize >= n_features.max(1) {
            return Err(fmt_err(format!(
                "split on feature {} of {n_features}",
                a.feature[i]
            )));
        }
    }
    Ok((left, right))
}

fn parse_tree(t: &Value, n_features: usize) -> Result<Tree, ModelError> {
    let a = tree_arrays(t)?;
    let n = a.left.len();
    let (left, right) = children(&a, n_features)?;
    let nodes = (0..n)
        .map(|i| Node {
            feature: a.feature[i] as u32,
            value: a.value[i],
            left: left[i],
            right: right[i],
            default_left: a.default_left[i] != 0,
        })
        .collect();
    let mut tree = Tree {
        nodes,
        left,
        right,
        feature: a.feature.into_iter().map(|f| f as u32).collect(),
        value: a.value,
        cover: a.cover,
        mean: vec![0.0; n],
        depth: 0,
    };
    let order = walk(&mut tree)?;
    fill_means(&mut tree, &order);
    Ok(tree)
}

/// Walks from the root, noting the tree's depth; a node reached twice would be a cycle or a
/// shared child. The pre-order it returns has every child after its parent.
fn walk(tree: &mut Tree) -> Result<Vec<usize>, ModelError> {
    let n = tree.left.len();
    let mut seen = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, d)) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            return Err(fmt_err("a node is reached twice"));
        }
        if d > MAX_TREE_DEPTH {
            return Err(ModelError::Unsupported(format!(
                "a tree deeper than {MAX_TREE_DEPTH} levels"
            )));
        }
        tree.depth = tree.depth.max(d);
        order.push(i);
        if !tree.is_leaf(i) {
            stack.push((tree.left[i] as usize, d + 1));
            stack.push((tree.right[i] as usize, d + 1));
        }
    }
    Ok(order)
}

/// Each node's mean value, as XGBoost's FillNodeMeanValue: children weighted by cover, over
/// the node's own; the reverse of the pre-order sees children first.
fn fill_means(tree: &mut Tree, order: &[usize]) {
    for &i in order.iter().rev() {
        tree.mean[i] = if tree.is_leaf(i) {
            f64::from(tree.value[i])
        } else {
            let (l, r) = (tree.left[i] as usize, tree.right[i] as usize);
            let (cl, cr) = (f64::from(tree.cover[l]), f64::from(tree.cover[r]));
            let c = f64::from(tree.cover[i]);
            if c > 0.0 {
                (tree.mean[l] * cl + tree.mean[r] * cr) / c
            } else {
                0.0
            }
        };
    }
}

impl Forest {
    /// Loads a model file, XGBoost JSON or UBJSON, of at most `max_bytes`.
    pub fn load(path: &Path, max_bytes: u64) -> Result<Self, ModelError> {
        let io = |reason: String| ModelError::Io {
            path: path.display().to_string(),
            reason,
        };
        let file = std::fs::File::open(path).map_err(|e| io(e.to_string()))?;
        let meta = file.metadata().map_err(|e| io(e.to_string()))?;
        // A device or a pipe (`/dev/zero`) would be read forever.
        if !meta.is_file() {
            return Err(io("not a regular file".into()));
        }
        if meta.len() > max_bytes {
            return Err(io(format!("larger than {max_bytes} bytes")));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        // The file may grow between the check and the read: read one byte past the cap at most.
        std::io::Read::read_to_end(&mut std::io::Read::take(file, max_bytes + 1), &mut bytes)
            .map_err(|e| io(e.to_string()))?;
        if bytes.len() as u64 > max_bytes {
            return Err(io(format!("larger than {max_bytes} bytes")));
        }
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    pub fn from_bytes(bytes: &[u8], source: &str) -> Result<Self, ModelError> {
        // Both formats start with an opening brace (UBJSON's object marker), so try JSON and fall
        // back.
        let value: Value = match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(json_err) => ubjson::parse(bytes).map_err(|ubj_err| {
                fmt_err(format!("neither JSON ({json_err}) nor UBJSON ({ubj_err})"))
            })?,
        };
        let digest = hex::encode(Sha256::digest(bytes));
        Self::from_value(&value, source, &digest)
    }

    fn from_value(v: &Value, source: &str, digest: &str) -> Result<Self, ModelError> {
        let learner = v.get("learner").ok_or_else(|| fmt_err("no 'learner'"))?;
        let base_score = binary_logistic_gbtree(learner)?;
        let feature_names = named_features(learner)?;
        let trees = trees_of(learner, feature_names.len())?;
        let version = learner
            .get("attributes")
            .and_then(|a| a.get(ATTR_VERSION))
            .and_then(Value::as_str)
            .map_or_else(|| format!("sha256:{}", &digest[..12]), str::to_owned);
        let width = feature_names.len().max(features_used(&trees));
        let shap = super::fastshap::Tables::build(&trees);
        Ok(Self {
            version,
            feature_names,
            base_margin: (base_score / (1.0 - base_score)).ln(),
            trees,
            source: source.to_owned(),
            width,
            shap,
        })
    }

    /// Refuses a model whose feature names differ from `expected` (names, order and count).
    pub fn check_features(&self, expected: &[&str], schema: &str) -> Result<(), ModelError> {
        let mismatch = |detail: String| ModelError::FeatureMismatch {
            schema: schema.to_owned(),
            detail,
        };
        if self.feature_names.is_empty() {
            return Err(mismatch("the model has no feature names".into()));
        }
        if self.feature_names.len() != expected.len() {
            return Err(mismatch(format!(
                "it has {} features, Aegis extracts {}",
                self.feature_names.len(),
                expected.len()
            )));
        }
        if let Some((i, (got, want))) = self
            .feature_names
            .iter()
            .zip(expected)
            .enumerate()
            .find(|(_, (g, w))| g.as_str() != **w)
        {
            return Err(mismatch(format!(
                "feature {i} is '{got}', expected '{want}'"
            )));
        }
        Ok(())
    }

    /// The feature schema the model was trained on: v2 or (still scored) v1, told by its
    /// feature names; any other is refused with what differs from the current schema.
    pub fn feature_schema(&self) -> Result<Schema, ModelError> {
        if let Some(s) = Schema::of_names(&self.feature_names) {
            return Ok(s);
        }
        // Report against the schema it is closest to in length, so the detail helps.
        let near = if self.feature_names.len() <= Schema::V1.count() {
            Schema::V1
        } else {
            Schema::V2
        };
        self.check_features(&near.names(), near.as_str())?;
        Ok(near)
    }

    pub fn tree_count(&self) -> usize {
        self.trees.len()
    }

    pub fn max_depth(&self) -> usize {
        self.trees.iter().map(|t| t.depth).max().unwrap_or(0)
    }

    /// Margin (log-odds) of one row; missing values are NaN.
    pub fn margin(&self, row: &[f32]) -> f64 {
        // XGBoost accumulates leaf values in single precision; doing the same keeps results
        // identical to the library, not merely close.
        let mut sum = 0f32;
        for t in &self.trees {
            sum += t.value[t.leaf(row)];
        }
        f64::from(sum) + self.base_margin
    }

    pub fn probability(&self, row: &[f32]) -> f64 {
        sigmoid(self.margin(row))
    }

    /// The margin and XGBoost's approximate contributions in one walk of the trees (the cheap
    /// path for tickets nobody needs exact SHAP values for). `phi` gets one value per feature
    /// and the bias last.
    pub fn margin_and_approx(&self, row: &[f32], phi: &mut Vec<f64>) -> f64 {
        let nf = self.width;
        phi.clear();
        phi.resize(nf + 1, 0.0);
        let mut sum = 0f32;
        for t in &self.trees {
            let mut n = 0;
            phi[nf] += t.mean[0];
            while t.nodes[n].left >= 0 {
                let next = t.next(n, row);
                phi[t.nodes[n].feature as usize] += t.mean[next] - t.mean[n];
                n = next;
            }
            sum += t.nodes[n].value;
        }
        phi[nf] += self.base_margin;
        f64::from(sum) + self.base_margin
    }

    /// XGBoost's approximate contributions (`approx_contribs`, Saabas): along each tree's
    /// path, the change of the mean prediction is credited to the split's feature. Fast, and
    /// like SHAP values they sum to the margin; the last entry is the bias.
    pub fn approx_contributions(&self, row: &[f32]) -> Vec<f64> {
        let nf = self.width;
        let mut phi = vec![0.0; nf + 1];
        for t in &self.trees {
            let mut n = 0;
            phi[nf] += t.mean[0];
            while !t.is_leaf(n) {
                let next = t.next(n, row);
                phi[t.feature[n] as usize] += t.mean[next] - t.mean[n];
                n = next;
            }
        }
        phi[nf] += self.base_margin;
        phi
    }

    pub(crate) fn shap_tables(&self) -> Option<&super::fastshap::Tables> {
        self.shap.as_ref()
    }

    /// How many features a contribution vector covers; the bias comes after them.
    pub(crate) fn contribution_width(&self) -> usize {
        self.width
    }
}

fn features_used(trees: &[Tree]) -> usize {
    trees
        .iter()
        .flat_map(|t| {
            t.feature
                .iter()
                .zip(&t.left)
                .filter(|(_, l)| **l >= 0)
                .map(|(f, _)| *f as usize + 1)
        })
        .max()
        .unwrap_or(0)
}

pub fn sigmoid(m: f64) -> f64 {
    1.0 / (1.0 + (-m).exp())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// One stump on feature 0 (< 0.5 goes left; missing goes right) and one leaf.
    pub fn tiny_model() -> Value {
        json!({
          "learner": {
            "attributes": {"aegis_model_version": "tiny-1"},
            "feature_names": ["a", "b"],
            "feature_types": ["float", "float"],
            "gradient_booster": {
              "model": {
                "gbtree_model_param": {"num_parallel_tree": "1", "num_trees": "2"},
                "trees": [
                  {"left_children": [1, -1, -1], "right_children": [2, -1, -1],
                   "split_indices": [0, 0, 0], "split_conditions": [0.5, -1.0, 2.0],
                   "default_left": [0, 0, 0], "sum_hessian": [4.0, 3.0, 1.0], "split_type": [0, 0, 0]},
                  {"left_children": [-1], "right_children": [-1], "split_indices": [0],
                   "split_conditions": [0.25], "default_left": [0], "sum_hessian": [4.0]}
                ]
              },
              "name": "gbtree"
            },
            "learner_model_param": {"base_score": "[5E-1]", "num_feature": "2"},
            "objective": {"name": "binary:logistic"}
          },
          "version": [3, 0, 0]
        })
    }

    fn tiny() -> Forest {
        Forest::from_bytes(tiny_model().to_string().as_bytes(), "test").unwrap()
    }

    #[test]
    fn evaluates_like_xgboost_rules() {
        let f = tiny();
        assert_eq!(f.version, "tiny-1");
        assert_eq!(f.base_margin, 0.0);
        assert_eq!(f.margin(&[0.0, 0.0]), -0.75);
        assert_eq!(
            f.margin(&[0.5, 0.0]),
            2.25,
            "a value equal to the split goes right"
        );
        assert_eq!(
            f.margin(&[f32::NAN, 0.0]),
            2.25,
            "missing follows default_left = false"
        );
        assert!((f.probability(&[0.0, 0.0]) - sigmoid(-0.75)).abs() < 1e-15);
    }

    #[test]
    fn approx_contributions_sum_to_the_margin() {
        let f = tiny();
        for row in [[0.0f32, 1.0], [1.0, 1.0], [f32::NAN, 0.0]] {
            let phi = f.approx_contributions(&row);
            let s: f64 = phi.iter().sum();
            assert!((s - f.margin(&row)).abs() < 1e-9);
            assert_eq!(phi[1], 0.0, "feature b is never split on");
        }
    }

    #[test]
    fn refuses_what_it_cannot_score() {
        let mut m = tiny_model();
        m["learner"]["objective"]["name"] = json!("reg:squarederror");
        assert!(matches!(
            Forest::from_bytes(m.to_string().as_bytes(), "x"),
            Err(ModelError::Unsupported(_))
        ));
        let mut m = tiny_model();
        m["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"] = json!([0, -1, -1]);
        assert!(Forest::from_bytes(m.to_string().as_bytes(), "x").is_err());
        let mut m = tiny_model();
        m["learner"]["gradient_booster"]["model"]["trees"][0]["split_type"] = json!([1, 0, 0]);
        assert!(matches!(
            Forest::from_bytes(m.to_string().as_bytes(), "x"),
            Err(ModelError::Unsupported(_))
        ));
        assert!(Forest::from_bytes(b"garbage", "x").is_err());
        assert!(Forest::from_bytes(b"{}", "x").is_err());
    }

    #[test]
    fn feature_names_must_match_the_schema() {
        let f = tiny();
        assert!(f.check_features(&["a", "b"], "s").is_ok());
        let e = f.check_features(&["a", "c"], "s").unwrap_err().to_string();
        assert!(e.contains("feature 1 is 'b', expected 'c'"), "{e}");
        assert!(f.check_features(&["a"], "s").is_err());
    }
}
