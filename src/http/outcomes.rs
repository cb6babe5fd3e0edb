//! Outcomes (contract §3): whether an excavation damaged a facility. Operators report them with
//! a token; a call center may report them with its webhook signature.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::error::ApiError;
use super::openapi::ErrorBody;
use super::state::AppState;
use crate::db::outcomes::{self, NewOutcome, OutcomeRecord};
use crate::db::principals::Role;
use crate::intake::signature::{self, NativeHeaders};

pub const FACILITIES: &[&str] = &[
    "gas", "electric", "telecom", "water", "sewer", "steam", "other",
];

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    pub damage: bool,
    /// `gas`, `electric`, `telecom`, `water`, `sewer`, `steam` or `other`.
    pub facility: Option<String>,
    /// When the outcome was observed (RFC 3339); default now.
    pub reported_at: Option<DateTime<Utc>>,
    pub notes: Option<String>,
}

/// Who is reporting: an operator (bearer token) or the center itself (signed like a webhook).
async fn reporter(
    state: &AppState,
    req: &HttpRequest,
    center: &str,
    body: &[u8],
) -> Result<String, ApiError> {
    if req.headers().contains_key("webhook-signature") {
        let c = state.centers.get(&state.db, center).await?.ok_or_else(|| {
            ApiError::new(
                actix_web::http::StatusCode::NOT_FOUND,
                "UNKNOWN_CENTER",
                format!("no call center is registered as '{center}'"),
            )
        })?;
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        let headers = NativeHeaders {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
        };
        signature::verify_native(
            &c.secrets,
            headers,
            body,
            Utc::now().timestamp(),
            state.settings.webhooks.tolerance_secs,
        )
        .map_err(|_| {
            ApiError::new(
                actix_web::http::StatusCode::UNAUTHORIZED,
                "SIGNATURE_INVALID",
                "the signature does not match any secret of this center",
            )
        })?;
        return Ok(format!("center:{center}"));
    }
    let p = super::auth::authenticate(req.clone()).await?;
    if p.role != Role::Operator {
        return Err(ApiError::forbidden("this needs the operator role"));
    }
    Ok(p.audit_name())
}

/// `POST /v1/tickets/{center}/{ticket_number}/outcome`.
#[utoipa::path(post, path = "/v1/tickets/{center}/{ticket_number}/outcome", tag = "outcomes",
    params(("center" = String, Path), ("ticket_number" = String, Path)), request_body = OutcomeBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = OutcomeRecord),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such ticket", body = ErrorBody),
        (status = 422, description = "The body does not fit", body = ErrorBody),
    ))]
pub async fn record(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (center, ticket_number) = path.into_inner();
    let by = reporter(&state, &req, &center, &body).await?;
    let parsed: OutcomeBody = serde_json::from_slice(&body).map_err(|e| {
        if e.is_data() {
            ApiError::new(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                "VALIDATION_FAILED",
                format!("the body does not fit: {e}"),
            )
        } else {
            ApiError::malformed(format!("the body is not valid JSON: {e}"))
        }
    })?;
    if let Some(f) = &parsed.facility
        && !FACILITIES.contains(&f.as_str())
    {
        return Err(ApiError::invalid(
            "facility",
            format!("facility must be one of: {}", FACILITIES.join(", ")),
        ));
    }
    if parsed.notes.as_ref().is_some_and(|n| n.len() > 4_000) {
        return Err(ApiError::invalid(
            "notes",
            "notes are longer than 4000 bytes",
        ));
    }
    let now = state.clock.now();
    let o = NewOutcome {
        center,
        ticket_number,
        damage: parsed.damage,
        facility: parsed.facility,
        reported_at: parsed.reported_at.unwrap_or(now),
        notes: parsed.notes,
        recorded_by: by,
    };
    let rec = state
        .store
        .writer()
        .run(move |tx| outcomes::record(tx, &o, now))
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    Ok(HttpResponse::Created().json(rec))
}
