//! What every handler shares: the application, and what only HTTP needs (the metrics
//! handle, the open event streams, which peers are trusted proxies).

use std::sync::Arc;

use ipnet::IpNet;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::app::Service;

pub struct AppState {
    pub app: Arc<Service>,
    pub metrics: PrometheusHandle,
    /// Open event streams (`http.max_streams`); when none is free a new stream gets 503.
    pub streams: Arc<tokio::sync::Semaphore>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub proxies: Vec<IpNet>,
    /// Centers' bodies being read at once.
    pub body_slots: super::body_slots::BodySlots,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl AppState {
    /// How long a body may take to arrive.
    pub fn body_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.app.settings().http.body_read_timeout_ms)
    }

    /// The client address of a request, `X-Forwarded-For` counting only from trusted proxies.
    pub fn client(&self, req: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
        crate::web::client_ip::of(req, &self.proxies)
    }
}
