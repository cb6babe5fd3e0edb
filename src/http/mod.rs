//! The HTTP interface (contract in `../shared/contract/`): webhooks for call centers, APIs for
//! officers and operators, health, metrics and the OpenAPI document. Every answer carries
//! `x-request-id`; every error uses the contract's envelope.

pub mod ack_links;
pub mod admin;
pub mod alerts;
pub mod auth;
pub mod body;
pub mod due;
pub mod error;
pub mod facilities;
pub mod health;
pub mod investigations;
pub mod openapi;
pub mod openapi_names;
pub mod optional_json;
pub mod outcomes;
pub mod people;
pub mod reports;
pub mod response_api;
pub mod signed;
pub mod summaries;
#[cfg(feature = "testing")]
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
    ("POST", "/v1/webhooks/{center}/openticket"),
    ("POST", "/v1/webhooks/{center}/summary"),
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
    ("POST", "/v1/admin/workflows/{id}/respond"),
    ("GET", "/v1/admin/workflows/{id}/investigations"),
    ("POST", "/v1/admin/workflows/{id}/investigations"),
    ("PATCH", "/v1/admin/workflows/{id}/investigations/{inv}"),
    (
        "POST",
        "/v1/admin/workflows/{id}/investigations/{inv}/close",
    ),
    ("GET", "/v1/admin/investigations"),
    ("GET", "/v1/reports/{name}"),
    ("GET", "/v1/admin/centers/{code}/response-api"),
    ("PUT", "/v1/admin/centers/{code}/response-api"),
    ("PUT", "/v1/admin/centers/{code}/response-codes"),
    ("PUT", "/v1/admin/centers/{code}/auto-clear"),
    ("GET", "/v1/admin/facility-layers"),
    ("GET", "/v1/admin/facility-layers/{name}"),
    ("PUT", "/v1/admin/facility-layers/{name}"),
    ("DELETE", "/v1/admin/facility-layers/{name}"),
    ("POST", "/v1/admin/facility-layers/{name}/reactivate"),
    ("GET", "/v1/admin/facility-coverage"),
    ("PUT", "/v1/admin/facility-coverage"),
    ("GET", "/v1/admin/dead-letters"),
    ("POST", "/v1/admin/dead-letters/{id}/redrive"),
    ("POST", "/v1/admin/dead-letters/{id}/dismiss"),
    ("GET", "/v1/admin/actors"),
    ("GET", "/v1/admin/model"),
    ("POST", "/v1/admin/model/reload"),
    ("GET", "/v1/admin/model/quality"),
    ("GET", "/v1/admin/stats"),
    ("GET", "/v1/admin/reconciliations"),
    ("GET", "/v1/admin/due"),
    ("GET", "/v1/admin/sequence-gaps"),
    ("GET", "/v1/admin/users"),
    ("GET", "/v1/admin/users/{name}"),
    ("PUT", "/v1/admin/users/{name}/channels"),
    ("GET", "/v1/admin/rosters"),
    ("PUT", "/v1/admin/rosters/{name}"),
    ("GET", "/v1/ack/{token}"),
    ("POST", "/v1/ack/{token}"),
];

/// A path of [`ROUTES`]: its other methods answer 405 with `Allow`, not the app's 404.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

/// Registers every route of [`ROUTES`].
pub fn routes(cfg: &mut web::ServiceConfig, testing: bool) {
    use web::{delete, get, patch, post, put};
    cfg.service(resource("/healthz").route(get().to(health::healthz)))
        .service(resource("/readyz").route(get().to(health::readyz)))
        .service(resource("/metrics").route(get().to(health::metrics)))
        .service(resource("/openapi.json").route(get().to(openapi::openapi_json)));
    let v1 = web::scope("/v1")
        .service(resource("/webhooks/{center}").route(post().to(webhooks::native_webhook)))
        .service(resource("/webhooks/{center}/onecall").route(post().to(webhooks::onecall_webhook)))
        .service(
            resource("/webhooks/{center}/openticket")
                .route(post().to(webhooks::openticket_webhook)),
        )
        .service(resource("/webhooks/{center}/summary").route(post().to(summaries::summary)))
        .service(resource("/alerts").route(get().to(alerts::list)))
        .service(resource("/alerts/stream").route(get().to(alerts::stream)))
        .service(resource("/alerts/{id}").route(get().to(alerts::get)))
        .service(resource("/alerts/{id}/ack").route(post().to(alerts::ack)))
        .service(resource("/alerts/{id}/resolve").route(post().to(alerts::resolve)))
        .service(
            resource("/tickets/{center}/{ticket_number}/outcome")
                .route(post().to(outcomes::record)),
        )
        .service(resource("/admin/workflows").route(get().to(admin::workflows)))
        .service(resource("/admin/workflows/{id}").route(get().to(admin::workflow)))
        .service(resource("/admin/workflows/{id}/retry").route(post().to(admin::retry)))
        .service(resource("/admin/workflows/{id}/cancel").route(post().to(admin::cancel)))
        .service(resource("/admin/workflows/{id}/respond").route(post().to(admin::respond)))
        .service(
            resource("/admin/workflows/{id}/investigations")
                .route(get().to(investigations::of_workflow))
                .route(post().to(investigations::open)),
        )
        .service(
            resource("/admin/workflows/{id}/investigations/{inv}")
                .route(patch().to(investigations::edit)),
        )
        .service(
            resource("/admin/workflows/{id}/investigations/{inv}/close")
                .route(post().to(investigations::close)),
        )
        .service(resource("/admin/investigations").route(get().to(investigations::list)))
        .service(resource("/reports/{name}").route(get().to(reports::report)))
        .service(
            resource("/admin/centers/{code}/response-api")
                .route(get().to(response_api::get_api))
                .route(put().to(response_api::put_api)),
        )
        .service(
            resource("/admin/centers/{code}/response-codes")
                .route(put().to(response_api::put_codes)),
        )
        .service(
            resource("/admin/centers/{code}/auto-clear")
                .route(put().to(facilities::put_auto_clear)),
        )
        .service(resource("/admin/facility-layers").route(get().to(facilities::list_layers)))
        .service(
            resource("/admin/facility-layers/{name}")
                .route(get().to(facilities::get_layer))
                .route(put().to(facilities::put_layer))
                .route(delete().to(facilities::retire_layer)),
        )
        .service(
            resource("/admin/facility-layers/{name}/reactivate")
                .route(post().to(facilities::reactivate_layer)),
        )
        .service(
            resource("/admin/facility-coverage")
                .app_data(json_config(facilities::COVERAGE_BODY_LIMIT))
                .route(get().to(facilities::get_coverage))
                .route(put().to(facilities::put_coverage)),
        )
        .service(resource("/admin/dead-letters").route(get().to(admin::dead_letters)))
        .service(resource("/admin/dead-letters/{id}/redrive").route(post().to(admin::redrive)))
        .service(resource("/admin/dead-letters/{id}/dismiss").route(post().to(admin::dismiss)))
        .service(resource("/admin/actors").route(get().to(admin::actors)))
        .service(resource("/admin/model").route(get().to(admin::model)))
        .service(resource("/admin/model/reload").route(post().to(admin::reload_model)))
        .service(resource("/admin/model/quality").route(get().to(admin::model_quality)))
        .service(resource("/admin/stats").route(get().to(admin::stats)))
        .service(resource("/admin/reconciliations").route(get().to(summaries::list)))
        .service(resource("/admin/due").route(get().to(due::list)))
        .service(resource("/admin/sequence-gaps").route(get().to(summaries::gaps)))
        .service(resource("/admin/users").route(get().to(people::users)))
        .service(resource("/admin/users/{name}").route(get().to(people::user)))
        .service(resource("/admin/users/{name}/channels").route(put().to(people::set_channels)))
        .service(resource("/admin/rosters").route(get().to(people::rosters)))
        .service(resource("/admin/rosters/{name}").route(put().to(people::put_roster)))
        .service(
            resource("/ack/{token}")
                .route(get().to(ack_links::show))
                .route(post().to(ack_links::confirm)),
        );
    #[cfg(feature = "testing")]
    let v1 = if testing {
        v1.service(resource("/testing/clock").route(post().to(testing::advance_clock)))
    } else {
        v1
    };
    #[cfg(not(feature = "testing"))]
    let _ = testing;
    cfg.service(v1);
}

/// A known path asked with a method it does not serve: 405, with the methods it does.
pub async fn method_not_allowed(req: actix_web::HttpRequest) -> HttpResponse {
    let pattern = req.match_pattern().unwrap_or_default();
    let allowed: Vec<&str> = ROUTES
        .iter()
        .filter(|(_, path)| *path == pattern)
        .map(|(method, _)| *method)
        .collect();
    let allow = allowed.join(", ");
    let mut resp = actix_web::ResponseError::error_response(&ApiError::new(
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("this path answers {allow}"),
    ));
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&allow) {
        resp.headers_mut().insert(actix_web::http::header::ALLOW, v);
    }
    resp
}

pub use body::API_BODY_LIMIT;

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
