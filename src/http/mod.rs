//! The HTTP interface (contract in `../shared/contract/`): webhooks for call centers, APIs for
//! officers and operators, health, metrics and the OpenAPI document. Every answer carries
//! `x-request-id`; every error uses the contract's envelope.

pub mod admin;
pub mod alerts;
pub mod auth;
pub mod centers;
pub mod commands;
pub mod error;
pub mod health;
pub mod openapi;
pub mod outcomes;
pub mod params;
pub mod request_id;
pub mod state;
pub mod testing;
pub mod webhooks;

use actix_web::{HttpResponse, web};

use error::ApiError;

/// Every route the application serves, as (method, path template); the OpenAPI document must
/// describe each (a test checks).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("POST", "/v1/webhooks/{center}"),
    ("POST", "/v1/webhooks/{center}/onecall"),
    ("GET", "/v1/alerts"),
    ("GET", "/v1/alerts/stream"),
    ("GET", "/v1/alerts/{id}"),
    ("POST", "/v1/alerts/{id}/ack"),
    ("POST", "/v1/alerts/{id}/resolve"),
    ("POST", "/v1/tickets/{center}/{ticket_number}/outcome"),
    ("GET", "/v1/admin/workflows"),
    ("GET", "/v1/admin/workflows/{id}"),
    ("POST", "/v1/admin/workflows/{id}/retry"),
    ("POST", "/v1/admin/workflows/{id}/cancel"),
    ("GET", "/v1/admin/dead-letters"),
    ("POST", "/v1/admin/dead-letters/{id}/redrive"),
    ("GET", "/v1/admin/actors"),
    ("GET", "/v1/admin/model"),
    ("POST", "/v1/admin/model/reload"),
    ("GET", "/v1/admin/stats"),
];

/// Registers every route of [`ROUTES`].
pub fn routes(cfg: &mut web::ServiceConfig, testing: bool) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .route("/openapi.json", web::get().to(openapi::openapi_json));
    let mut v1 = web::scope("/v1")
        .route(
            "/webhooks/{center}",
            web::post().to(webhooks::native_webhook),
        )
        .route(
            "/webhooks/{center}/onecall",
            web::post().to(webhooks::onecall_webhook),
        )
        .route("/alerts", web::get().to(alerts::list))
        .route("/alerts/stream", web::get().to(alerts::stream))
        .route("/alerts/{id}", web::get().to(alerts::get))
        .route("/alerts/{id}/ack", web::post().to(alerts::ack))
        .route("/alerts/{id}/resolve", web::post().to(alerts::resolve))
        .route(
            "/tickets/{center}/{ticket_number}/outcome",
            web::post().to(outcomes::record),
        )
        .route("/admin/workflows", web::get().to(admin::workflows))
        .route("/admin/workflows/{id}", web::get().to(admin::workflow))
        .route("/admin/workflows/{id}/retry", web::post().to(admin::retry))
        .route(
            "/admin/workflows/{id}/cancel",
            web::post().to(admin::cancel),
        )
        .route("/admin/dead-letters", web::get().to(admin::dead_letters))
        .route(
            "/admin/dead-letters/{id}/redrive",
            web::post().to(admin::redrive),
        )
        .route("/admin/actors", web::get().to(admin::actors))
        .route("/admin/model", web::get().to(admin::model))
        .route("/admin/model/reload", web::post().to(admin::reload_model))
        .route("/admin/stats", web::get().to(admin::stats));
    if testing {
        v1 = v1.route("/testing/clock", web::post().to(testing::advance_clock));
    }
    cfg.service(v1);
}

/// Largest JSON body the officer and operator APIs read (notes, dispositions, outcomes); webhooks
/// read their own bodies under `http.max_body_bytes`.
pub const API_BODY_LIMIT: usize = 64 * 1024;

/// Errors from extractors (bad JSON, bad query strings) in the contract's envelope.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _req| {
            use actix_web::error::JsonPayloadError as J;
            let e = match &err {
                J::OverflowKnownLength { .. } | J::Overflow { .. } => ApiError::new(
                    actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "PAYLOAD_TOO_LARGE",
                    "the body is too large",
                ),
                J::ContentType => ApiError::new(
                    actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "UNSUPPORTED_MEDIA_TYPE",
                    "send JSON with 'Content-Type: application/json'",
                ),
                J::Deserialize(d) if d.is_data() => ApiError::new(
                    actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "VALIDATION_FAILED",
                    format!("the body does not fit: {d}"),
                ),
                other => ApiError::malformed(format!("the body is not valid JSON: {other}")),
            };
            e.into()
        })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        ApiError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_FAILED",
            format!("bad query parameters: {err}"),
        )
        .into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_err, _req| ApiError::not_found("resource").into())
}

/// Unknown routes and methods answer in the envelope too.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("route"))
}
