//! Daily summaries (contract §9): `POST /v1/webhooks/{center}/summary`, signed as the
//! center's webhooks are, as USA North 811's e-mail text or as JSON, reconciled and kept by the
//! application (`app::reconciliation`). `GET /v1/admin/reconciliations` lists the results, and
//! `GET /v1/admin/sequence-gaps` the deliveries a OneCall center skipped.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::auth::Operator;
use super::body::{media_type, read_body};
use super::error::{ApiError, ErrorBody};
use super::signed::signed_by;
use crate::app::reconciliation::ReconciliationQuery as Query;
use crate::app::views::{GapView, ReconciliationView};
use crate::formats::summary::SummaryBody;
use crate::web::state::AppState;

/// `POST /v1/webhooks/{center}/summary`.
#[utoipa::path(
    post,
    path = "/v1/webhooks/{center}/summary",
    tag = "webhooks",
    params(("center" = String, Path, description = "Call center code")),
    request_body(content = SummaryBody, content_type = "application/json", description = "The summary as JSON, or as `text/plain` in the layout of USA North 811's e-mail (contract §9)"),
    responses(
        (status = 200, description = "Reconciled and kept", body = ReconciliationView),
        (status = 401, description = "Signature missing or invalid", body = ErrorBody),
        (status = 404, description = "Unknown center", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Neither JSON nor text", body = ErrorBody),
        (status = 422, description = "Not a summary (kept as a dead letter); every problem listed", body = ErrorBody),
    )
)]
pub async fn summary(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let app = &state.app;
    let center = app.center(&path.into_inner()).await?;
    let content_type = media_type(&req);
    if content_type != "application/json" && content_type != "text/plain" {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the summary as text/plain (the e-mail's text) or application/json",
        ));
    }
    let slot = super::body::slot(&state.body_slots, &center.code)?;
    let body = read_body(
        payload,
        &req,
        app.settings().http.max_body_bytes,
        state.body_timeout(),
    )
    .await?;
    drop(slot);
    let view = app
        .reconcile_summary(&center, &content_type, &body, &signed_by(&req))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReconciliationQuery {
    pub center: Option<String>,
    /// The summary's day, `YYYY-MM-DD`.
    #[param(format = Date)]
    pub date: Option<String>,
}

/// `GET /v1/admin/reconciliations?center=&date=`: results, newest first (at most 200).
#[utoipa::path(get, path = "/v1/admin/reconciliations", tag = "operators", params(ReconciliationQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Reconciliations", body = Vec<ReconciliationView>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 422, description = "A filter does not parse", body = ErrorBody),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    _who: Operator,
    q: web::Query<ReconciliationQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let items = state
        .app
        .reconciliations(&Query {
            center: q.center,
            date: q.date,
        })
        .await?;
    Ok(HttpResponse::Ok().json(items))
}

/// `GET /v1/admin/sequence-gaps`: OneCall sequence numbers skipped and not filled within
/// `reconcile.gap_grace_secs`, by center and station (the last two weeks).
#[utoipa::path(get, path = "/v1/admin/sequence-gaps", tag = "operators",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Gaps", body = Vec<GapView>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
    ))]
pub async fn gaps(state: web::Data<AppState>, _who: Operator) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.app.sequence_gaps().await?))
}
