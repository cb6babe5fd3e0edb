//! Outcomes (contract §3): whether an excavation damaged a facility. Operators report them with
//! a token; a call center may report them with its webhook signature.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::body::{API_BODY_LIMIT, read_body};
use super::error::{ApiError, ErrorBody};
use super::signed::signed_by;
use crate::app::outcomes::{OutcomeReport, Reporter};
use crate::app::views::OutcomeRecord;
use crate::web::state::AppState;

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

/// Who is reporting: the center itself (signed like a webhook) or an operator (bearer token).
async fn reporter(
    state: &AppState,
    req: &HttpRequest,
    center: &str,
    body: &[u8],
) -> Result<Reporter, ApiError> {
    if req.headers().contains_key("webhook-signature") {
        return Ok(state
            .app
            .center_reporter(center, &signed_by(req), body)
            .await?);
    }
    let token = super::auth::presented_token(req);
    let p = state
        .app
        .authenticate_operator(token.as_deref(), state.client(req))
        .await?;
    Ok(Reporter {
        name: p.audit_name(),
        delivery_id: None,
    })
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
    let body = read_body(payload, &req, API_BODY_LIMIT, state.body_timeout()).await?;
    let by = reporter(&state, &req, &center, &body).await?;
    let parsed: OutcomeBody = serde_json::from_slice(&body).map_err(|e| ApiError::from_json(&e))?;
    let report = OutcomeReport {
        damage: parsed.damage,
        facility: parsed.facility,
        reported_at: parsed.reported_at,
        notes: parsed.notes,
    };
    let r = state
        .app
        .record_outcome(&center, &ticket_number, report, by)
        .await?;
    let answer = OutcomeAnswer {
        outcome: r.outcome,
        duplicate: r.duplicate,
    };
    Ok(if r.duplicate {
        HttpResponse::Ok().json(answer)
    } else {
        HttpResponse::Created().json(answer)
    })
}
