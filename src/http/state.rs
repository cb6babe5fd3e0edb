//! What every handler shares: the application, and what only HTTP needs (the metrics
//! handle, the open event streams, which peers are trusted proxies).

use std::sync::Arc;

use ipnet::IpNet;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::app::App;

pub struct AppState {
    pub app: App,
    pub metrics: PrometheusHandle,
    /// Open event streams (`http.max_streams`); when none is free a new stream gets 503.
    pub streams: Arc<tokio::sync::Semaphore>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub proxies: Vec<IpNet>,
    /// What `/metrics` reads on every scrape.
    pub gauges: crate::telemetry::gauges::Sources,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl AppState {
    /// The client address of a request, `X-Forwarded-For` counting only from trusted proxies.
    pub fn client(&self, req: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
        super::client_ip::of(req, &self.proxies)
    }
}
