//! Exact SHAP values for tree ensembles (Lundberg et al., "Consistent Individualized Feature
//! Attribution for Tree Ensembles", Algorithm 2), written to follow XGBoost's own
//! `pred_contribs` step for step, in single precision as it does, so the numbers agree with
//! the library's (checked by the golden test).

use super::forest::Forest;
use super::tree::Tree;

#[derive(Debug, Clone, Copy, Default)]
struct PathElement {
    feature: i64,
    zero_fraction: f32,
    one_fraction: f32,
    pweight: f32,
}

fn extend_path(path: &mut [PathElement], depth: usize, zero: f32, one: f32, feature: i64) {
    path[depth] = PathElement {
        feature,
        zero_fraction: zero,
        one_fraction: one,
        pweight: if depth == 0 { 1.0 } else { 0.0 },
    };
    let d1 = (depth + 1) as f32;
    for i in (0..depth).rev() {
        path[i + 1].pweight += one * path[i].pweight * (i + 1) as f32 / d1;
        path[i].pweight = zero * path[i].pweight * (depth - i) as f32 / d1;
    }
}

fn unwind_path(path: &mut [PathElement], depth: usize, index: usize) {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next_one_portion = path[depth].pweight;
    let d1 = (depth + 1) as f32;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = path[i].pweight;
            path[i].pweight = next_one_portion * d1 / ((i + 1) as f32 * one);
            next_one_portion = tmp - path[i].pweight * zero * (depth - i) as f32 / d1;
        } else {
            path[i].pweight = (path[i].pweight * d1) / (zero * (depth - i) as f32);
        }
    }
    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
}

fn unwound_path_sum(path: &[PathElement], depth: usize, index: usize) -> f32 {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next_one_portion = path[depth].pweight;
    let mut total = 0.0f32;
    let d1 = (depth + 1) as f32;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = next_one_portion * d1 / ((i + 1) as f32 * one);
            total += tmp;
            next_one_portion = path[i].pweight - tmp * zero * ((depth - i) as f32 / d1);
        } else if zero != 0.0 {
            total += (path[i].pweight / zero) / ((depth - i) as f32 / d1);
        }
    }
    total
}

struct Walk<'a> {
    tree: &'a Tree,
    row: &'a [f32],
    phi: &'a mut [f32],
}

impl Walk<'_> {
    /// `buf` holds the parent's path at `buf[..=depth]`-style offsets: each level copies its
    /// parent's path to the slot after it, as XGBoost does with one preallocated array.
    #[allow(clippy::too_many_arguments)]
    fn recurse(
        &mut self,
        buf: &mut [PathElement],
        parent_start: usize,
        node: usize,
        mut depth: usize,
        parent_zero: f32,
        parent_one: f32,
        parent_feature: i64,
    ) {
        let start = parent_start + depth + 1;
        buf.copy_within(parent_start..parent_start + depth + 1, start);
        {
            let path = &mut buf[start..];
            extend_path(path, depth, parent_zero, parent_one, parent_feature);
        }
        let t = self.tree;
        if t.is_leaf(node) {
            let path = &buf[start..];
            let leaf = t.value[node];
            for i in 1..=depth {
                let w = unwound_path_sum(path, depth, i);
                let el = path[i];
                if let Ok(f) = usize::try_from(el.feature) {
                    self.phi[f] += w * (el.one_fraction - el.zero_fraction) * leaf;
                }
            }
            return;
        }
        let split = i64::from(t.feature[node]);
        let hot = t.next(node, self.row);
        let cold = if hot == t.left[node] as usize {
            t.right[node] as usize
        } else {
            t.left[node] as usize
        };
        let w = t.cover[node];
        let hot_zero = t.cover[hot] / w;
        let cold_zero = t.cover[cold] / w;
        let mut incoming_zero = 1.0f32;
        let mut incoming_one = 1.0f32;
        let found = (0..=depth).find(|&i| buf[start + i].feature == split);
        if let Some(pi) = found {
            incoming_zero = buf[start + pi].zero_fraction;
            incoming_one = buf[start + pi].one_fraction;
            unwind_path(&mut buf[start..], depth, pi);
            depth -= 1;
        }
        self.recurse(
            buf,
            start,
            hot,
            depth + 1,
            hot_zero * incoming_zero,
            incoming_one,
            split,
        );
        self.recurse(
            buf,
            start,
            cold,
            depth + 1,
            cold_zero * incoming_zero,
            0.0,
            split,
        );
    }
}

/// Reusable scratch space for [`contributions`].
#[derive(Debug, Default)]
pub struct Scratch {
    path: Vec<PathElement>,
    phi: Vec<f32>,
    taken: Vec<u32>,
}

/// SHAP values of one row: one per feature, then the bias (expected margin). They sum to the
/// row's margin. From the forest's precomputed tables when it has them, else by the
/// recursive algorithm.
pub fn contributions(forest: &Forest, row: &[f32], scratch: &mut Scratch) -> Vec<f64> {
    let Some(tables) = forest.shap_tables() else {
        return recursive(forest, row, scratch);
    };
    let nf = forest.contribution_width();
    scratch.phi.clear();
    scratch.phi.resize(nf + 1, 0.0);
    tables.add_contributions(&forest.trees, row, &mut scratch.phi, &mut scratch.taken);
    let mut out: Vec<f64> = scratch.phi.iter().map(|&v| f64::from(v)).collect();
    out[nf] = f64::from(tables.bias) + forest.base_margin;
    out
}

/// SHAP values by TreeSHAP itself, step for step as XGBoost computes them.
pub fn recursive(forest: &Forest, row: &[f32], scratch: &mut Scratch) -> Vec<f64> {
    let nf = forest.contribution_width();
    scratch.phi.clear();
    scratch.phi.resize(nf + 1, 0.0);
    let maxd = forest.max_depth() + 2;
    scratch.path.clear();
    scratch
        .path
        .resize(maxd * (maxd + 1) / 2 + maxd + 2, PathElement::default());
    for tree in &forest.trees {
        scratch.phi[nf] += tree.mean[0] as f32;
        let mut walk = Walk {
            tree,
            row,
            phi: &mut scratch.phi,
        };
        // As XGBoost's TreeShap(root, unique_depth = 0, parent_path = buf): the root writes its
        // path after an empty parent slot, starting with a placeholder element (feature -1)
        // that is never credited.
        walk.recurse(&mut scratch.path, 0, 0, 0, 1.0, 1.0, -1);
    }
    let mut out: Vec<f64> = scratch.phi.iter().map(|&v| f64::from(v)).collect();
    out[nf] += forest.base_margin;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::forest::tests::tiny_model;
    use proptest::prelude::*;
    use serde_json::json;

    /// A forest of complete trees of `depth` over `features` features, split thresholds and
    /// leaf values from `values`, covers from `covers` (leaves), defaults from `defaults`.
    fn forest(depth: usize, features: usize, trees: &[(Vec<f32>, Vec<f32>, Vec<bool>)]) -> Forest {
        let nodes = (1usize << (depth + 1)) - 1;
        let inner = (1usize << depth) - 1;
        let trees: Vec<_> = trees
            .iter()
            .map(|(values, covers, defaults)| {
                let mut cover = vec![0.0f32; nodes];
                for i in (0..nodes).rev() {
                    cover[i] = if i >= inner {
                        covers[i - inner]
                    } else {
                        cover[2 * i + 1] + cover[2 * i + 2]
                    };
                }
                let left: Vec<i64> = (0..nodes)
                    .map(|i| if i < inner { 2 * i as i64 + 1 } else { -1 })
                    .collect();
                let right: Vec<i64> = (0..nodes)
                    .map(|i| if i < inner { 2 * i as i64 + 2 } else { -1 })
                    .collect();
                let split: Vec<usize> = (0..nodes).map(|i| (i * 7 + 3) % features).collect();
                json!({
                    "left_children": left, "right_children": right,
                    "split_indices": split, "split_conditions": values[..nodes],
                    "default_left": defaults[..nodes].iter().map(|&d| u8::from(d)).collect::<Vec<_>>(),
                    "sum_hessian": cover,
                })
            })
            .collect();
        let mut model = tiny_model();
        let names: Vec<String> = (0..features).map(|i| format!("f{i}")).collect();
        model["learner"]["feature_names"] = json!(names);
        model["learner"]["feature_types"] = json!(vec!["float"; features]);
        model["learner"]["learner_model_param"]["num_feature"] = json!(features.to_string());
        model["learner"]["gradient_booster"]["model"]["trees"] = json!(trees);
        Forest::from_bytes(model.to_string().as_bytes(), "random").unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn tables_give_treeshaps_values(
            depth in 1usize..=6,
            features in 1usize..=4,
            trees in prop::collection::vec(
                (
                    prop::collection::vec(-1.0f32..1.0, 127),
                    prop::collection::vec(0.5f32..100.0, 64),
                    prop::collection::vec(any::<bool>(), 127),
                ),
                1..4,
            ),
            rows in prop::collection::vec(
                prop::collection::vec(prop_oneof![Just(f32::NAN), -1.0f32..1.0], 4),
                1..8,
            ),
        ) {
            let f = forest(depth, features, &trees);
            prop_assert!(f.shap_tables().is_some());
            let mut s = Scratch::default();
            for row in &rows {
                let row = &row[..features];
                let fast = contributions(&f, row, &mut s);
                let slow = recursive(&f, row, &mut s);
                for (a, b) in fast.iter().zip(&slow) {
                    prop_assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{fast:?} vs {slow:?}");
                }
                let total: f64 = fast.iter().sum();
                prop_assert!((total - f.margin(row)).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn a_model_too_deep_to_tabulate_is_explained_by_treeshap() {
        let depth = 11;
        let nodes = (1usize << (depth + 1)) - 1;
        let values: Vec<f32> = (0..nodes)
            .map(|i| ((i * 37 % 101) as f32) / 50.0 - 1.0)
            .collect();
        let covers: Vec<f32> = (0..nodes).map(|i| 1.0 + (i % 13) as f32).collect();
        let defaults: Vec<bool> = (0..nodes).map(|i| i % 3 == 0).collect();
        let f = forest(depth, 4, &[(values, covers, defaults)]);
        assert!(f.shap_tables().is_none());
        let mut s = Scratch::default();
        let row = [0.3f32, f32::NAN, -0.2, 0.9];
        let phi = contributions(&f, &row, &mut s);
        assert_eq!(phi, recursive(&f, &row, &mut s));
        let total: f64 = phi.iter().sum();
        assert!(
            (total - f.margin(&row)).abs() < 1e-4,
            "{total} vs {}",
            f.margin(&row)
        );
    }

    #[test]
    fn tables_give_treeshaps_values_on_the_bundled_model() {
        use crate::risk::generate::{Generator, GeneratorConfig};
        let f = Forest::from_bytes(crate::risk::BUNDLED_MODEL, "bundled").unwrap();
        assert!(f.shap_tables().is_some());
        let mut s = Scratch::default();
        let cfg = GeneratorConfig {
            seed: 3,
            expected_tickets: 2_000,
            ..GeneratorConfig::default()
        };
        for g in Generator::new(&cfg).take(2_000) {
            let row = g.features().to_dense();
            let fast = contributions(&f, &row, &mut s);
            let slow = recursive(&f, &row, &mut s);
            for (a, b) in fast.iter().zip(&slow) {
                assert!((a - b).abs() <= 1e-5, "{fast:?} vs {slow:?}");
            }
        }
    }

    #[test]
    fn shap_values_sum_to_the_margin_and_credit_only_used_features() {
        let f = Forest::from_bytes(tiny_model().to_string().as_bytes(), "t").unwrap();
        let mut s = Scratch::default();
        for row in [[0.0f32, 9.0], [1.0, 9.0], [f32::NAN, 9.0]] {
            let phi = contributions(&f, &row, &mut s);
            let total: f64 = phi.iter().sum();
            assert!((total - f.margin(&row)).abs() < 1e-5, "{phi:?}");
            assert_eq!(phi[1], 0.0);
        }
        // For a single stump, SHAP equals the leaf minus the expected value.
        let phi = contributions(&f, &[0.0, 0.0], &mut s);
        let expected = (-3.0 + 2.0) / 4.0;
        assert!((phi[0] - (-1.0 - expected)).abs() < 1e-6, "{phi:?}");
    }
}
