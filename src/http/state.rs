//! What every handler shares.

use std::sync::Arc;

use aegis_actors::Runtime;
use aegis_actors::ports::{Bus, Clock};
use metrics_exporter_prometheus::PrometheusHandle;

use super::auth::AuthGuard;
use super::centers::CenterCache;
use crate::config::Settings;
use crate::db::Db;
use crate::db::store::DbStore;
use crate::risk::scorer::ScorerOptions;
use aegis_actors::ports::ManualClock;

pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub store: Arc<DbStore>,
    pub bus: Arc<dyn Bus>,
    pub runtime: Runtime,
    pub clock: Arc<dyn Clock>,
    /// Present only when `testing.manual_clock` is on.
    pub manual_clock: Option<Arc<ManualClock>>,
    pub centers: CenterCache,
    pub auth: AuthGuard,
    pub metrics: PrometheusHandle,
    pub scorer_options: ScorerOptions,
    /// Open event streams (`http.max_streams`); when none is free a new stream gets 503.
    pub streams: Arc<tokio::sync::Semaphore>,
    /// Verifies acknowledgement links.
    pub links: crate::notify::links::LinkSigner,
    /// Speaks the centers' PositiveResponse APIs (for fetching code lists on demand).
    pub responder: crate::positive_response::PositiveResponseClient,
    /// The last delivery taken from each watched center, for the silence alarm.
    pub last_deliveries: crate::telemetry::silence::LastDeliveries,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}
