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
//! | [`investigations`] | damage investigations opened, edited, closed, listed |
//! | [`reports`] | the program's reports: volume, damage rate, timeliness, alerts, Part D, DIRT |
//! | [`history`] | a year of history replayed through the lifecycle on a replay clock |
//! | [`centers`] | call centers registered, their secrets rotated and retired, removed |
//! | [`accounts`] | officers and operators added and revoked, console passwords |
//! | [`sign_in`] | console passwords and sessions; API tokens; failed attempts limited |
//! | [`model`] | the active model and its hot swap |
//! | [`model_quality`] | the model checked against recorded outcomes, beside its training hold-out |
//! | [`operations`] | health, readiness, counts, actors, due tickets |

pub mod accounts;
pub mod ack_links;
pub mod alerts;
mod auth_throttle;
mod center_cache;
pub mod centers;
pub mod commands;
pub mod dead_letters;
pub mod demo;
pub mod errors;
pub mod facilities;
pub mod history;
pub mod investigations;
pub mod list_params;
pub mod model;
pub mod model_quality;
pub mod operations;
pub mod outcomes;
pub mod passwords;
pub mod patterns;
pub mod people;
pub mod queue;
pub mod receive_ticket;
pub mod reconciliation;
pub mod reports;
pub mod response_api;
pub mod sign_in;
pub mod training;
pub mod views;
pub mod watch;
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
pub use watch::LastDeliveries;

pub use errors::{Kind, Refusal, UseCaseError};

/// What every application has: configuration, storage and the screener; the command line's
/// application is this alone ([`App`]), with no actor running.
pub struct Parts {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub store: Arc<DbStore>,
    pub clock: Arc<dyn Clock>,
    /// Where operators may point Aegis (channel URLs, response APIs).
    pub outbound: crate::outbound::Outbound,
    /// The facility layers that screen on this node; the command line has none (a running
    /// node follows its changes through the database's screening generation).
    pub screener: Option<Arc<LayerScreener>>,
    /// How much damaging each facility class weighs (the queue's priority).
    pub consequence: aegis_workflows::priority::ConsequenceWeights,
}

/// What only a serving node has: the actor runtime and what talks to the outside.
pub struct Serving {
    pub bus: Arc<dyn Bus>,
    pub runtime: Runtime,
    /// Present only when `testing.manual_clock` is on, or a history is being replayed.
    pub manual_clock: Option<Arc<ManualClock>>,
    pub links: LinkSigner,
    pub responder: PositiveResponseClient,
    pub last_deliveries: LastDeliveries,
    pub scorer_options: ScorerOptions,
}

/// The application: every use case that needs no running actor is a method, grouped by
/// module. The command line drives this; `aegis serve` wraps it in a [`Service`].
pub struct App {
    settings: Arc<Settings>,
    db: Db,
    store: Arc<DbStore>,
    clock: Arc<dyn Clock>,
    outbound: crate::outbound::Outbound,
    screener: Option<Arc<LayerScreener>>,
    /// One import at a time on this node: each holds a whole file in memory.
    imports: tokio::sync::Semaphore,
    centers: center_cache::CenterCache,
    credentials: sign_in::Credentials,
    consequence: aegis_workflows::priority::ConsequenceWeights,
}

/// The application as a serving node runs it: [`App`] and the use cases that drive the actor
/// runtime (tickets admitted, commands to workflows, the model swapped, acknowledgement links,
/// the live feed). The HTTP API and the console stand on this; every [`App`] use case is
/// reached through it too.
pub struct Service {
    app: App,
    bus: Arc<dyn Bus>,
    runtime: Runtime,
    /// Moved by the test hook; builds without the `testing` feature never read it.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    manual_clock: Option<Arc<ManualClock>>,
    links: LinkSigner,
    responder: PositiveResponseClient,
    last_deliveries: LastDeliveries,
    scorer_options: ScorerOptions,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").finish_non_exhaustive()
    }
}

impl std::ops::Deref for Service {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
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
            clock: p.clock,
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

    /// How much damaging each facility class weighs (which facility is named first).
    pub fn consequence(&self) -> &aegis_workflows::priority::ConsequenceWeights {
        &self.consequence
    }

    /// Now, on the application's clock (manual in some tests).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

impl Service {
    pub fn new(app: App, s: Serving) -> Self {
        Self {
            app,
            bus: s.bus,
            runtime: s.runtime,
            manual_clock: s.manual_clock,
            links: s.links,
            responder: s.responder,
            last_deliveries: s.last_deliveries,
            scorer_options: s.scorer_options,
        }
    }

    /// Stops the runtime's actors (after the HTTP server has drained).
    pub fn stop(&self) {
        self.runtime.stop();
    }

    /// The last delivery taken from each watched center (the silence alarm's input).
    pub fn last_deliveries(&self) -> &LastDeliveries {
        &self.last_deliveries
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
