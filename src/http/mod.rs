//! The HTTP interface (contract in `../shared/contract/`): webhooks for call centers, APIs for
//! officers and operators, health, metrics and the OpenAPI document. Every answer carries
//! `x-request-id`; every error uses the contract's envelope.

pub mod admin;
pub mod auth;
pub mod centers;
pub mod error;
pub mod health;
pub mod openapi;
pub mod request_id;
pub mod state;
pub mod testing;
pub mod webhooks;

use actix_web::{HttpResponse, web};

use error::ApiError;

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig, testing: bool) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .route("/openapi.json", web::get().to(openapi::openapi_json))
        .service(
            web::scope("/v1")
                .route(
                    "/webhooks/{center}",
                    web::post().to(webhooks::native_webhook),
                )
                .route(
                    "/webhooks/{center}/onecall",
                    web::post().to(webhooks::onecall_webhook),
                )
                .route("/admin/workflows/{id}", web::get().to(admin::workflow))
                .route("/admin/stats", web::get().to(admin::stats)),
        );
    if testing {
        cfg.route("/v1/testing/clock", web::post().to(testing::advance_clock));
    }
}

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
