//! What every part of the runtime shares: the ports, the settings, the wake-up signals and the
//! health registry.

use std::sync::Arc;

use parking_lot::RwLock;
use tokio::sync::Notify;

use crate::config::RuntimeConfig;
use crate::health::{ActorStats, Health};
use crate::ports::{
    Bus, Clock, Messenger, Responder, ScoreError, ScoreInput, Scorer, ScorerInfo, Scoring,
    Screener, Store,
};

/// Wakes a service early instead of waiting for its next poll.
#[derive(Debug, Default, Clone)]
pub struct Signals {
    /// A commit added a timer (or a test moved the clock).
    pub timers: Arc<Notify>,
    /// A commit wrote outbox rows.
    pub outbox: Arc<Notify>,
    /// A commit wrote deliveries.
    pub deliveries: Arc<Notify>,
    /// A commit wrote responses to a call center.
    pub responses: Arc<Notify>,
}

pub struct Deps {
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn Bus>,
    pub scorer: ScorerSlot,
    pub screener: Arc<dyn Screener>,
    pub clock: Arc<dyn Clock>,
    pub messenger: Arc<dyn Messenger>,
    pub responder: Arc<dyn Responder>,
    pub config: RuntimeConfig,
    pub signals: Signals,
    pub health: Health,
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The active model, swappable at run time (hot reload) without stopping scoring: a swap takes
/// effect for the next ticket; tickets already being scored finish on the old model.
pub struct ScorerSlot {
    current: RwLock<Arc<dyn Scorer>>,
    stats: Arc<ActorStats>,
}

impl std::fmt::Debug for ScorerSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScorerSlot")
            .field("info", &self.info())
            .finish()
    }
}

impl ScorerSlot {
    pub fn new(scorer: Arc<dyn Scorer>, health: &Health) -> Self {
        let stats = health.register("scorer");
        stats.set_state(crate::health::ActorState::Running);
        Self {
            current: RwLock::new(scorer),
            stats,
        }
    }

    pub async fn score(&self, input: ScoreInput) -> Result<Scoring, ScoreError> {
        let scorer = self.current.read().clone();
        let _guard = self.stats.track();
        let res = scorer.score(input).await;
        if res.is_err() {
            self.stats.failed();
        }
        res
    }

    /// Replaces the model; returns the previous one's description.
    pub fn swap(&self, next: Arc<dyn Scorer>) -> ScorerInfo {
        let old = std::mem::replace(&mut *self.current.write(), next);
        self.stats.restarted();
        old.info()
    }

    pub fn info(&self) -> ScorerInfo {
        self.current.read().info()
    }
}
