//! One regression tree of a forest, laid out for evaluation and for the explainers: nodes packed
//! for traversal, and the same facts as parallel vectors (children, features, split values,
//! covers, means) that TreeSHAP and the precomputed SHAP tables read.

/// One node packed for traversal: everything `next` reads sits in one cache line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    pub feature: u32,
    pub value: f32,
    pub left: i32,
    pub right: i32,
    pub default_left: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Tree {
    /// The nodes as traversed; the vectors below hold the same facts for the explainers.
    pub nodes: Vec<Node>,
    pub left: Vec<i32>,
    pub right: Vec<i32>,
    pub feature: Vec<u32>,
    /// Split threshold for inner nodes, leaf value for leaves (XGBoost's own layout).
    pub value: Vec<f32>,
    /// Hessian sum of each node, XGBoost's cover; TreeSHAP weighs paths by it.
    pub cover: Vec<f32>,
    /// Mean prediction below each node, weighted by cover (for contributions).
    pub mean: Vec<f64>,
    pub depth: usize,
}

impl Tree {
    #[inline]
    pub fn is_leaf(&self, n: usize) -> bool {
        self.nodes[n].left < 0
    }

    /// The child a row goes to from inner node `n`.
    #[inline]
    pub fn next(&self, n: usize, row: &[f32]) -> usize {
        let node = &self.nodes[n];
        let x = row[node.feature as usize];
        let go_left = if x.is_nan() {
            node.default_left
        } else {
            x < node.value
        };
        (if go_left { node.left } else { node.right }) as usize
    }

    #[inline]
    pub fn leaf(&self, row: &[f32]) -> usize {
        let mut n = 0;
        while self.nodes[n].left >= 0 {
            n = self.next(n, row);
        }
        n
    }
}
