//! Operators' use cases on the risk model: what is scoring now (version, feature schema,
//! thresholds) beside the models trained into this database, and swapping in another model
//! without stopping scoring. A reload reads only files inside `model.dir`.

use aegis_actors::ports::{ScorerInfo, StoreError};

use super::Service;
use super::errors::{Kind, Refusal, refusal};
use crate::db::read::{self, ModelRecord};
use crate::risk::forest::ModelError;

#[derive(Debug)]
pub struct ModelInfo {
    pub active: ScorerInfo,
    /// The schema the active model reads (v1 models still score, on v1's features).
    pub feature_schema: String,
    pub medium: f64,
    pub high: f64,
    pub trained: Vec<ModelRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelUseError {
    #[error("{0}")]
    Missing(String),
    #[error("{0}")]
    Unusable(String),
    #[error("the thresholds are misconfigured: {0}")]
    Thresholds(String),
    #[error("the model could not be loaded: {0}")]
    Join(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(ModelUseError, self => match self {
    Self::Missing(m) => Refusal::new(Kind::NotFound, "NOT_FOUND", m.clone()),
    Self::Unusable(m) => Refusal::invalid("path", m.clone()),
    Self::Thresholds(_) | Self::Join(_) => Refusal::internal(self),
    Self::Store(e) => e.refusal(),
});

impl Service {
    pub async fn model(&self) -> Result<ModelInfo, ModelUseError> {
        let trained = self.db.with_read(read::trained_models).await?;
        let t = self
            .settings
            .thresholds()
            .map_err(|e| ModelUseError::Thresholds(e.to_string()))?;
        let active = self.runtime.deps.scorer.info();
        Ok(ModelInfo {
            feature_schema: active.feature_schema.clone(),
            active,
            medium: t.medium,
            high: t.high,
            trained,
        })
    }

    /// Loads `path` (inside `model.dir`; default: the configured or bundled model) and swaps it
    /// in; the previous and the current model.
    pub async fn reload_model(
        &self,
        path: Option<String>,
        by: &str,
    ) -> Result<(ScorerInfo, ScorerInfo), ModelUseError> {
        let settings = self.settings.clone();
        let forest = tokio::task::spawn_blocking(move || -> Result<_, ModelUseError> {
            let Some(p) = path else {
                // The configured model (or the bundled one): the operator's own configuration.
                return crate::startup::load_model(&settings)
                    .map_err(|e| ModelUseError::Unusable(format!("{e:#}")));
            };
            let dir = std::path::Path::new(&settings.model.dir);
            let file = crate::risk::model_file::resolve_in(dir, &p).map_err(|e| match e {
                ModelError::Missing { .. } => ModelUseError::Missing(e.to_string()),
                other => ModelUseError::Unusable(other.to_string()),
            })?;
            crate::risk::forest::Forest::load(&file, settings.model.max_bytes)
                .map_err(|e| ModelUseError::Unusable(e.to_string()))
        })
        .await
        .map_err(|e| ModelUseError::Join(e.to_string()))??;
        let scorer = crate::risk::scorer::ForestScorer::start(forest, self.scorer_options.clone())
            .map_err(|e| ModelUseError::Unusable(e.to_string()))?;
        let current = aegis_actors::ports::Scorer::info(scorer.as_ref());
        let previous = self.runtime.deps.scorer.swap(scorer);
        tracing::info!(by, previous = %previous.model_version, current = %current.model_version, "model reloaded");
        Ok((previous, current))
    }
}
