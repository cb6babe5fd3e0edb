//! What operators watch: readiness, counts of everything by state, the supervised actors, the
//! tickets whose answer to the center is due, and the system page that puts them together.

use aegis_actors::health::ActorReport;
use aegis_actors::ports::StoreError;
use aegis_actors::ports::store::Store;
use chrono::TimeDelta;

use super::errors::{Refusal, refusal};
use super::model::ModelUseError;
use super::{App, Service};
use crate::db::read::due::{self, DueItem};
use crate::db::read::{self, Stats};

/// The widest due window asked for: 30 days.
pub const MAX_DUE_WITHIN: u64 = 30 * 24 * 3_600;

/// Whether the database and the bus answer.
#[derive(Debug, Clone, Copy)]
pub struct Readiness {
    pub database: bool,
    pub bus: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DueError {
    #[error("within is at most {MAX_DUE_WITHIN} seconds")]
    TooWide,
    #[error("within is a number of seconds, not '{0}'")]
    NotSeconds(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(DueError, self => match self {
    Self::TooWide | Self::NotSeconds(_) => Refusal::invalid("within", self.to_string()),
    Self::Store(e) => e.refusal(),
});

/// `within` as a page's address writes it (seconds), or the configured window when absent.
pub fn within_of(text: Option<&str>) -> Result<Option<u64>, DueError> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().map_err(|_| DueError::NotSeconds(t.to_owned())))
        .transpose()
}

/// Everything the operators' system page shows.
#[derive(Debug)]
pub struct SystemView {
    pub stats: Stats,
    pub actors: Vec<ActorReport>,
    pub model: super::model::ModelInfo,
}

impl Service {
    pub async fn readiness(&self) -> Readiness {
        Readiness {
            database: self.store.ready().await,
            bus: self.bus.ready(),
        }
    }
}

impl App {
    /// Workflows, alerts, responses and notifications by state; dead letters and outbox.
    pub async fn stats(&self) -> Result<Stats, StoreError> {
        let now = self.clock.now();
        let recipients = self.settings.escalation.recipients();
        self.db
            .with_read(move |c| read::stats(c, &recipients, now))
            .await
    }
}

impl Service {
    /// Every supervised actor with its state, restarts, mailbox and throughput.
    pub fn actors(&self) -> Vec<ActorReport> {
        self.runtime.deps.health.report()
    }
}

impl App {
    /// Tickets without a posted answer due within `within` seconds (default
    /// `due.warn_before_secs`) and up to a week overdue, earliest first.
    pub async fn due(&self, within: Option<u64>) -> Result<Vec<DueItem>, DueError> {
        let within = within.unwrap_or(self.settings.due.warn_before_secs);
        if within > MAX_DUE_WITHIN {
            return Err(DueError::TooWide);
        }
        let within = TimeDelta::seconds(i64::try_from(within).unwrap_or(i64::MAX));
        let now = self.clock.now();
        Ok(self
            .db
            .with_read(move |c| due::due_within(c, now, within, 500))
            .await?)
    }
}

impl Service {
    pub async fn system(&self) -> Result<SystemView, ModelUseError> {
        Ok(SystemView {
            stats: self.stats().await?,
            actors: self.actors(),
            model: self.model().await?,
        })
    }
}
