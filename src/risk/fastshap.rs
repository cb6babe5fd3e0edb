//! Exact SHAP values from tables computed once per model (the idea of Yang's "Fast TreeSHAP",
//! variant 2), for the shallow trees Aegis trains.
//!
//! In a tree, a leaf's share of a feature's SHAP value depends on the row only through which
//! of the leaf's path conditions the row satisfies: a bitmask over at most `depth` distinct
//! features. The Shapley sums over every such mask are computed at load, so scoring a row is a
//! pass over the leaves with table look-ups instead of TreeSHAP's per-leaf polynomial unwinding
//! (which costs O(leaves · depth²) per tree and per row). The values are the same SHAP values,
//! up to floating-point rounding; the tests compare them with TreeSHAP (`treeshap.rs`) and the
//! golden test with XGBoost's own.

use super::tree::Tree;

/// Tables are built only while they stay this small (number of `f32` entries over the whole
/// model, 4 bytes each); deeper models fall back to the recursive algorithm.
const MAX_ENTRIES: usize = 4 << 20;
const MAX_DEPTH: usize = 10;

/// One condition on a leaf's path: at `node` the row must go to `child`, and that condition
/// belongs to the leaf's distinct feature number `slot`.
#[derive(Debug, Clone, Copy)]
struct Step {
    node: u32,
    child: u32,
    slot: u8,
}

#[derive(Debug, Clone)]
struct Leaf {
    /// Range of this leaf's entries in `Tables::steps`.
    steps: (u32, u32),
    /// Range in `Tables::slots`: the distinct features on the path, in path order.
    slots: (u32, u32),
    /// Start of this leaf's table in `Tables::weights`: for each slot `i`, `2^(k-1)` entries
    /// indexed by the mask of the *other* slots the row satisfies, premultiplied by the leaf
    /// value.
    weights: u32,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    feature: u32,
    /// Product of the cover fractions of this feature's splits along the path: the chance of
    /// following the path when the feature is unknown.
    zero: f32,
}

#[derive(Debug, Clone)]
struct TreeTables {
    leaves: Vec<Leaf>,
    nodes: usize,
}

/// The precomputed tables of a whole forest.
#[derive(Debug, Clone)]
pub(crate) struct Tables {
    trees: Vec<TreeTables>,
    /// Nodes of the largest tree: the size of the scratch space a row needs.
    max_nodes: usize,
    /// The expected margin over all trees (the SHAP bias), summed in single precision as
    /// XGBoost does.
    pub(crate) bias: f32,
    steps: Vec<Step>,
    slots: Vec<Slot>,
    weights: Vec<f32>,
}

/// Shapley weight of a coalition of `s` players out of `k`: s! (k - s - 1)! / k!.
fn shapley_weight(s: usize, k: usize) -> f64 {
    let mut w = 1.0 / k as f64;
    // s! (k-1-s)! / (k-1)! = 1 / C(k-1, s)
    let mut c = 1.0;
    for j in 0..s {
        c = c * (k - 1 - j) as f64 / (j + 1) as f64;
    }
    w /= c;
    w
}

impl Tables {
    /// Builds the tables, or `None` when the trees are too deep for them to stay small.
    pub(crate) fn build(trees: &[Tree]) -> Option<Self> {
        // Past this depth the tables (k 2^(k-1) entries per leaf) outgrow the budget anyway;
        // refusing early spares the model load the work of finding out.
        if trees.iter().any(|t| t.depth > MAX_DEPTH) {
            return None;
        }
        let mut tables = Self {
            trees: Vec::with_capacity(trees.len()),
            max_nodes: trees.iter().map(|t| t.nodes.len()).max().unwrap_or(0),
            bias: trees.iter().map(|t| t.mean[0] as f32).sum(),
            steps: Vec::new(),
            slots: Vec::new(),
            weights: Vec::new(),
        };
        for tree in trees {
            let leaves = tables.add_tree(tree)?;
            tables.trees.push(TreeTables {
                leaves,
                nodes: tree.nodes.len(),
            });
        }
        Some(tables)
    }

    fn add_tree(&mut self, tree: &Tree) -> Option<Vec<Leaf>> {
        let mut leaves = Vec::new();
        // Depth-first; `path` holds the inner nodes above the node being visited.
        let mut path: Vec<usize> = Vec::new();
        let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
        while let Some((node, depth)) = stack.pop() {
            path.truncate(depth);
            if tree.is_leaf(node) {
                leaves.push(self.add_leaf(tree, &path, node)?);
                continue;
            }
            path.push(node);
            stack.push((tree.right[node] as usize, depth + 1));
            stack.push((tree.left[node] as usize, depth + 1));
        }
        Some(leaves)
    }

    fn add_leaf(&mut self, tree: &Tree, path: &[usize], leaf: usize) -> Option<Leaf> {
        // The child taken at each inner node is the next node down.
        let nodes: Vec<usize> = path.iter().copied().chain([leaf]).collect();
        let step_start = self.steps.len();
        let slot_start = self.slots.len();
        let mut features: Vec<u32> = Vec::new();
        let mut zeros: Vec<f64> = Vec::new();
        for pair in nodes.windows(2) {
            let (node, child) = (pair[0], pair[1]);
            let feature = tree.feature[node];
            let fraction = f64::from(tree.cover[child]) / f64::from(tree.cover[node]);
            let slot = match features.iter().position(|&f| f == feature) {
                Some(s) => {
                    zeros[s] *= fraction;
                    s
                }
                None => {
                    features.push(feature);
                    zeros.push(fraction);
                    features.len() - 1
                }
            };
            self.steps.push(Step {
                node: u32::try_from(node).ok()?,
                child: u32::try_from(child).ok()?,
                slot: u8::try_from(slot).ok()?,
            });
        }
        let k = features.len();
        if k >= 16 {
            return None;
        }
        let half = if k == 0 { 0 } else { 1usize << (k - 1) };
        if self.weights.len() + k * half > MAX_ENTRIES {
            return None;
        }
        let weight_start = self.weights.len();
        let value = f64::from(tree.value[leaf]);
        for i in 0..k {
            let others: Vec<usize> = (0..k).filter(|&j| j != i).collect();
            for mask in 0..half {
                // Sum over coalitions S within the satisfied set `mask`: features in S are
                // known (and satisfied, so they contribute 1), the other features are unknown
                // and contribute their cover fraction.
                let mut total = 0.0;
                let mut sub = mask;
                loop {
                    let mut product = 1.0;
                    for (bit, &j) in others.iter().enumerate() {
                        if sub & (1 << bit) == 0 {
                            product *= zeros[j];
                        }
                    }
                    total += shapley_weight(sub.count_ones() as usize, k) * product;
                    if sub == 0 {
                        break;
                    }
                    sub = (sub - 1) & mask;
                }
                self.weights.push((value * total) as f32);
            }
        }
        for (f, z) in features.iter().zip(&zeros) {
            self.slots.push(Slot {
                feature: *f,
                zero: *z as f32,
            });
        }
        Some(Leaf {
            steps: (
                u32::try_from(step_start).ok()?,
                u32::try_from(self.steps.len()).ok()?,
            ),
            slots: (
                u32::try_from(slot_start).ok()?,
                u32::try_from(self.slots.len()).ok()?,
            ),
            weights: u32::try_from(weight_start).ok()?,
        })
    }

    /// Adds each tree's SHAP values for `row` to `phi` (one entry per feature; the caller adds
    /// the bias). `taken` is reusable space: the child the row goes to from each node.
    pub(crate) fn add_contributions(
        &self,
        trees: &[Tree],
        row: &[f32],
        phi: &mut [f32],
        taken: &mut Vec<u32>,
    ) {
        taken.clear();
        taken.resize(self.max_nodes, 0);
        for (tree, tables) in trees.iter().zip(&self.trees) {
            for (n, slot) in taken.iter_mut().enumerate().take(tables.nodes) {
                if !tree.is_leaf(n) {
                    *slot = tree.next(n, row) as u32;
                }
            }
            for leaf in &tables.leaves {
                let (s0, s1) = (leaf.steps.0 as usize, leaf.steps.1 as usize);
                let (f0, f1) = (leaf.slots.0 as usize, leaf.slots.1 as usize);
                let k = f1 - f0;
                let mut satisfied: u32 = (1 << k) - 1;
                for step in &self.steps[s0..s1] {
                    // Without a branch: which way a row goes is unpredictable.
                    let missed = u32::from(taken[step.node as usize] != step.child);
                    satisfied &= !(missed << step.slot);
                }
                let half = 1usize << k.saturating_sub(1);
                let base = leaf.weights as usize;
                for (i, slot) in self.slots[f0..f1].iter().enumerate() {
                    let below = satisfied & ((1 << i) - 1);
                    let above = (satisfied >> (i + 1)) << i;
                    let others = (below | above) as usize;
                    let one = ((satisfied >> i) & 1) as f32;
                    phi[slot.feature as usize] +=
                        (one - slot.zero) * self.weights[base + i * half + others];
                }
            }
        }
    }
}
