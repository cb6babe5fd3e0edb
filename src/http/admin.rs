//! Operator endpoints (contract §4): workflows, their histories and repairs.

use actix_web::{HttpResponse, web};

use super::auth::Operator;
use super::error::ApiError;
use super::state::AppState;
use crate::db::queries::{self, WorkflowDetail};

/// `GET /v1/admin/workflows/{id}`: state, ticket, score, alert, full event history and a
/// verification of its hash chain.
#[utoipa::path(
    get,
    path = "/v1/admin/workflows/{id}",
    tag = "operators",
    params(("id" = String, Path, description = "Workflow id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The workflow", body = WorkflowDetail),
        (status = 401, description = "Not authenticated", body = super::openapi::ErrorBody),
        (status = 403, description = "Not an operator", body = super::openapi::ErrorBody),
        (status = 404, description = "No such workflow", body = super::openapi::ErrorBody),
    )
)]
pub async fn workflow(
    state: web::Data<AppState>,
    _who: Operator,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let detail = state
        .db
        .with_read(move |c| queries::workflow_detail(c, &id))
        .await?
        .ok_or_else(|| ApiError::not_found("workflow"))?;
    Ok(HttpResponse::Ok().json(detail))
}

/// `GET /v1/admin/stats`: workflows by state, alerts by state, dead letters, outbox.
#[utoipa::path(
    get,
    path = "/v1/admin/stats",
    tag = "operators",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Counts", body = queries::Stats),
        (status = 401, description = "Not authenticated", body = super::openapi::ErrorBody),
        (status = 403, description = "Not an operator", body = super::openapi::ErrorBody),
    )
)]
pub async fn stats(state: web::Data<AppState>, _who: Operator) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let s = state.db.with_read(move |c| queries::stats(c, now)).await?;
    Ok(HttpResponse::Ok().json(s))
}
