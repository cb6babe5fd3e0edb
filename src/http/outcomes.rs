//! Outcomes (contract §3): whether an excavation damaged a facility. Operators report them with
//! a token; a call center may report them with its webhook signature.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::error::ApiError;
use super::openapi::ErrorBody;
use super::state::AppState;
use crate::db::outcomes::{self, NewOutcome, OutcomeRecord, Recorded};
use crate::db::principals::Role;
use crate::intake::signature::{self, NativeHeaders};

pub const FACILITIES: &[&str] = &[
    "gas", "electric", "telecom", "water", "sewer", "steam", "other",
];

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    pub damage: bool,
    #[schema(value_type = Option<super::openapi_names::FacilityName>)]
    pub facility: Option<String>,
    /// When the outcome was observed (RFC 3339); default now.
    pub reported_at: Option<DateTime<Utc>>,
    pub notes: Option<String>,
}

/// A recorded outcome; `duplicate` when this report had been recorded before (nothing counted
/// twice).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OutcomeAnswer {
    #[serde(flatten)]
    pub outcome: OutcomeRecord,
    pub duplicate: bool,
}

/// Who is reporting: an operator (bearer token) or the center itself (signed like a webhook).
async fn reporter(
    state: &AppState,
    req: &HttpRequest,
    center: &str,
    body: &[u8],
) -> Result<(String, Option<String>), ApiError> {
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
        return Ok((format!("center:{center}"), headers.id.map(str::to_owned)));
    }
    let p = super::auth::authenticate(req.clone()).await?;
    if p.role != Role::Operator {
        return Err(ApiError::forbidden("this needs the operator role"));
    }
    Ok((p.audit_name(), None))
}

/// `POST /v1/tickets/{center}/{ticket_number}/outcome`.
#[utoipa::path(post, path = "/v1/tickets/{center}/{ticket_number}/outcome", tag = "outcomes",
    params(("center" = String, Path), ("ticket_number" = String, Path)), request_body = OutcomeBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = OutcomeAnswer),
        (status = 200, description = "Already recorded: the same report again (nothing counted twice)", body = OutcomeAnswer),
        (status = 409, description = "A different report for the same ticket revision and time, or the same delivery id", body = ErrorBody),
        (status = 413, description = "The body is larger than 64 KiB", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such ticket", body = ErrorBody),
        (status = 422, description = "The body does not fit", body = ErrorBody),
    ))]
pub async fn record(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (center, ticket_number) = path.into_inner();
    // The body is bounded (and refused in the envelope) before anyone is authenticated.
    let body = super::webhooks::read_body(payload, &req, super::API_BODY_LIMIT).await?;
    let (by, delivery_id) = reporter(&state, &req, &center, &body).await?;
    let parsed: OutcomeBody = serde_json::from_slice(&body).map_err(|e| ApiError::from_json(&e))?;
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
        delivery_id,
    };
    let recorded = state
        .store
        .writer()
        .run(move |tx| outcomes::record(tx, &o, now))
        .await?;
    match recorded {
        Recorded::New(rec) => Ok(HttpResponse::Created().json(OutcomeAnswer {
            outcome: rec,
            duplicate: false,
        })),
        Recorded::Duplicate(rec) => Ok(HttpResponse::Ok().json(OutcomeAnswer {
            outcome: rec,
            duplicate: true,
        })),
        Recorded::Conflict(rec) => Err(ApiError::conflict(
            "CONFLICT",
            "an outcome for this ticket revision and time (or with this delivery id) was already recorded with other content",
        )
        .with_details(serde_json::json!({ "outcome_id": rec.id }))),
        Recorded::NoTicket => Err(ApiError::not_found("ticket")),
    }
}
