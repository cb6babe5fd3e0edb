//! The application layer: one module per use case, between the adapters (HTTP, console,
//! telemetry) and what they must not touch themselves — storage (`db`), the actor runtime and
//! the outside services. Each use case takes typed input and returns a typed error
//! ([`errors`] writes the policy down once); HTTP and the console translate the same use cases
//! to JSON and HTML.
//!
//! | module | use cases |
//! |---|---|
//! | [`receive_ticket`] | a center's webhook delivery: signature, format, dead letters, admission, sequence marks |
//! | [`reconciliation`] | a center's daily summary reconciled, operators told of missing tickets; gaps and lists |
//! | [`workflows`] | the workflow list and read-back, retry, cancel, an explicit response to the center |
//! | [`alerts`] | the alert list and alert page, acknowledge, resolve, the live feed |
//! | [`queue`] | the officers' queue: open alerts by priority, each row said in words |
//! | [`ack_links`] | an acknowledgement link: what it shows, acknowledging through it |
//! | [`dead_letters`] | listing, redriving and dismissing dead letters |
//! | [`people`] | users, their contact channels, rosters |
//! | [`response_api`] | a center's PositiveResponse API and its disposition → code mapping |
//! | [`facilities`] | facility layers imported, listed, retired; coverage; automatic clearing per center |
//! | [`outcomes`] | damage reports (the labels for retraining) |
//! | [`sign_in`] | console passwords and sessions; API tokens; failed attempts limited |
//! | [`model`] | the active model and its hot swap |
//! | [`operations`] | health, readiness, counts, actors, due tickets |

pub mod ack_links;
pub mod alerts;
mod auth_throttle;
mod center_cache;
pub mod commands;
pub mod dead_letters;
pub mod errors;
pub mod facilities;
pub mod list_params;
pub mod model;
pub mod operations;
pub mod outcomes;
pub mod passwords;
pub mod people;
pub mod queue;
pub mod receive_ticket;
pub mod reconciliation;
pub mod response_api;
pub mod sign_in;
pub mod views;
pub mod workflows;

use std::sync::Arc;

use aegis_actors::Runtime;
use aegis_actors::ports::{Bus, Clock, ManualClock};
use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::db::Db;
use crate::db::store::DbStore;
use crate::facilities::layer_screener::LayerScreener;
use crate::notify::links::LinkSigner;
use crate::positive_response::PositiveResponseClient;
use crate::risk::scorer::ScorerOptions;
use crate::telemetry::silence::LastDeliveries;

pub use errors::{Kind, Refusal, UseCaseError};

/// What the composition root hands the application.
pub struct Parts {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub store: Arc<DbStore>,
    pub bus: Arc<dyn Bus>,
    pub runtime: Runtime,
    pub clock: Arc<dyn Clock>,
    /// Present only when `testing.manual_clock` is on.
    pub manual_clock: Option<Arc<ManualClock>>,
    pub links: LinkSigner,
    pub responder: PositiveResponseClient,
    pub last_deliveries: LastDeliveries,
    pub scorer_options: ScorerOptions,
    /// Where operators may point Aegis (channel URLs, response APIs).
    pub outbound: crate::outbound::Outbound,
    /// The facility layers that screen on this node.
    pub screener: Arc<LayerScreener>,
    /// How much damaging each facility class weighs (the queue's priority).
    pub consequence: aegis_workflows::priority::ConsequenceWeights,
}

/// The application: every use case is a method, grouped by module.
pub struct App {
    settings: Arc<Settings>,
    db: Db,
    store: Arc<DbStore>,
    bus: Arc<dyn Bus>,
    runtime: Runtime,
    clock: Arc<dyn Clock>,
    /// Moved by the test hook; builds without the `testing` feature never read it.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    manual_clock: Option<Arc<ManualClock>>,
    links: LinkSigner,
    responder: PositiveResponseClient,
    last_deliveries: LastDeliveries,
    scorer_options: ScorerOptions,
    outbound: crate::outbound::Outbound,
    screener: Arc<LayerScreener>,
    /// One import at a time on this node: each holds a whole file in memory.
    imports: tokio::sync::Semaphore,
    centers: center_cache::CenterCache,
    credentials: sign_in::Credentials,
    consequence: aegis_workflows::priority::ConsequenceWeights,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

impl App {
    pub fn new(p: Parts) -> Self {
        let auth = &p.settings.auth;
        let credentials =
            sign_in::Credentials::new(auth.max_failures_per_minute, auth.max_concurrent_hashes);
        Self {
            settings: p.settings,
            db: p.db,
            store: p.store,
            bus: p.bus,
            runtime: p.runtime,
            clock: p.clock,
            manual_clock: p.manual_clock,
            links: p.links,
            responder: p.responder,
            last_deliveries: p.last_deliveries,
            scorer_options: p.scorer_options,
            outbound: p.outbound,
            screener: p.screener,
            imports: tokio::sync::Semaphore::new(1),
            centers: center_cache::CenterCache::default(),
            credentials,
            consequence: p.consequence,
        }
    }

    /// The configuration, for adapters' own limits (body sizes, stream counts, public URL).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Now, on the application's clock (manual in some tests).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Stops the runtime's actors (after the HTTP server has drained).
    pub fn stop(&self) {
        self.runtime.stop();
    }

    /// The last delivery taken from each watched center (the silence alarm's input).
    pub fn last_deliveries(&self) -> &LastDeliveries {
        &self.last_deliveries
    }

    /// What the metrics exporter reads on every scrape and every few seconds.
    pub fn telemetry_sources(&self) -> crate::telemetry::gauges::Sources {
        crate::telemetry::gauges::Sources {
            db: self.db.clone(),
            store: self.store.clone(),
            bus: self.bus.clone(),
            health: self.runtime.deps.health.clone(),
            clock: self.clock.clone(),
            recipients: self.runtime.deps.config.escalation.recipients(),
            due_warn_before_secs: self.settings.due.warn_before_secs,
            gap_grace: self.settings.reconcile.grace(),
            centers: self.settings.centers.clone(),
            last_deliveries: self.last_deliveries.clone(),
        }
    }

    /// Moves the manual clock (`testing.manual_clock`) on and wakes the timers; `None` when the
    /// clock is not manual.
    #[cfg(feature = "testing")]
    pub fn advance_clock(&self, by: chrono::TimeDelta) -> Option<DateTime<Utc>> {
        let clock = self.manual_clock.as_ref()?;
        let now = clock.advance(by);
        self.runtime.deps.signals.timers.notify_one();
        Some(now)
    }
}
