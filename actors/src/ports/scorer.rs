//! The risk model, as a port.

use aegis_workflows::features::FeatureVector;
use serde::{Deserialize, Serialize};

use super::BoxFuture;

/// What the scorer needs to score one ticket.
#[derive(Debug, Clone)]
pub struct ScoreInput {
    /// For logs and for the test-only fault hook; never a model input.
    pub ticket_number: String,
    pub features: FeatureVector,
}

/// One feature's share of a score (a SHAP value, in log-odds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub feature: String,
    pub value: Option<f32>,
    pub contribution: f32,
}

/// A model's answer for one ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scoring {
    pub probability: f64,
    pub model_version: String,
    /// The feature schema the model read (`aegis-features-v1` or `-v2`).
    pub feature_schema: String,
    /// The largest contributions by magnitude, largest first.
    pub top_features: Vec<Contribution>,
}

/// The active model, for the admin API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorerInfo {
    pub model_version: String,
    pub source: String,
    pub features: Vec<String>,
    pub trees: usize,
    /// The feature schema the model reads.
    pub feature_schema: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoreError {
    #[error("the scorer panicked: {0}")]
    Panicked(String),
    #[error("the scorer is overloaded")]
    Overloaded,
    #[error("the scorer is gone")]
    Unavailable,
    #[error("scoring failed: {0}")]
    Failed(String),
}

pub trait Scorer: Send + Sync + 'static {
    fn score(&self, input: ScoreInput) -> BoxFuture<'static, Result<Scoring, ScoreError>>;
    fn info(&self) -> ScorerInfo;
}
