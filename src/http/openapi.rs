//! The OpenAPI 3.1 document, generated from the handlers' annotations and served at
//! `/openapi.json`.

use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// The error envelope of every non-2xx answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    pub request_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `MALFORMED_PAYLOAD`, `SIGNATURE_INVALID`, `UNAVAILABLE`, ...
    pub code: String,
    pub message: String,
    #[schema(value_type = Object)]
    pub details: Option<serde_json::Value>,
}

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Aegis", version = "1", description = "811 locate ticket intake, risk scoring, alerting and audit (contract v1)."),
    paths(
        super::webhooks::native_webhook,
        super::webhooks::onecall_webhook,
        super::alerts::list,
        super::alerts::stream,
        super::alerts::get,
        super::alerts::ack,
        super::alerts::resolve,
        super::outcomes::record,
        super::admin::workflows,
        super::admin::workflow,
        super::admin::retry,
        super::admin::cancel,
        super::admin::dead_letters,
        super::admin::redrive,
        super::admin::actors,
        super::admin::model,
        super::admin::reload_model,
        super::admin::stats,
        super::health::healthz,
        super::health::readyz,
        super::health::metrics,
        openapi_json,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&Bearer),
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", responses((status = 200, description = "This document")))]
pub async fn openapi_json() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(ApiDoc::openapi())
}
