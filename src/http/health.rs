//! Unauthenticated operational endpoints: liveness, readiness and metrics.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::web::state::AppState;

/// `GET /healthz`: the process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "Up")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database and the bus answer.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "Ready"),
    (status = 503, description = "The database or the bus is unreachable"),
))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let r = state.app.readiness().await;
    let body = json!({ "database": r.database, "bus": r.bus });
    if r.database && r.bus {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(body)
    }
}

/// `GET /metrics`: Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus metrics", content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    crate::telemetry::gauges::refresh_runtime(&state.app);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
