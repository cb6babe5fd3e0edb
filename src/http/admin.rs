//! Operator endpoints (contract §4): workflows, their histories and repairs, an explicit
//! response to the center, dead letters, actors, counts and the model — each a translation of
//! an application use case to JSON.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::auth::Operator;
use super::error::{ApiError, ErrorBody};
use crate::app::dead_letters::DeadLetterQuery as DeadLetterFilter;
use crate::app::views::{
    DeadLetterView, ModelRecord, Page, ResponseView, Stats, WorkflowDetail, WorkflowItem,
};
use crate::app::workflows::WorkflowQuery as WorkflowFilter;
use crate::web::state::AppState;

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
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such workflow", body = ErrorBody),
    )
)]
pub async fn workflow(
    state: web::Data<AppState>,
    _who: Operator,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.app.workflow(&id).await?))
}

/// `GET /v1/admin/stats`: workflows by state, alerts by state, dead letters, outbox.
#[utoipa::path(
    get,
    path = "/v1/admin/stats",
    tag = "operators",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Counts", body = Stats),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
    )
)]
pub async fn stats(state: web::Data<AppState>, _who: Operator) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.app.stats().await?))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct WorkflowQuery {
    /// A lifecycle state.
    #[param(value_type = Option<super::openapi_names::StateName>)]
    pub state: Option<String>,
    pub center: Option<String>,
    /// A risk band.
    #[param(value_type = Option<super::openapi_names::BandName>)]
    pub band: Option<String>,
    /// A screening category: `conflict`, `close`, `clear` or `unknown`.
    #[param(value_type = Option<super::openapi_names::ScreeningName>)]
    pub screening: Option<String>,
    pub ticket_number: Option<String>,
    /// Created at or after (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Created before (RFC 3339).
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^[0-9]{1,18}\.[0-9a-f-]{1,36}$")]
    pub cursor: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
}

/// `GET /v1/admin/workflows`: search, newest first, cursor paginated.
#[utoipa::path(get, path = "/v1/admin/workflows", tag = "operators", params(WorkflowQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of workflows", body = Page<WorkflowItem>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 422, description = "A filter does not parse", body = ErrorBody),
    ))]
pub async fn workflows(
    state: web::Data<AppState>,
    _who: Operator,
    q: web::Query<WorkflowQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.app.list_workflows(&q.into_inner().into()).await?))
}

impl From<WorkflowQuery> for WorkflowFilter {
    fn from(q: WorkflowQuery) -> Self {
        Self {
            state: q.state,
            center: q.center,
            band: q.band,
            screening: q.screening,
            ticket_number: q.ticket_number,
            since: q.since,
            until: q.until,
            cursor: q.cursor,
            limit: q.limit,
        }
    }
}

/// The answer to a repair.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RepairAnswer {
    pub workflow_id: String,
    pub state: String,
    pub version: i64,
    pub changed: bool,
}

/// `POST /v1/admin/workflows/{id}/retry`: a failed workflow resumes where it stopped.
#[utoipa::path(post, path = "/v1/admin/workflows/{id}/retry", tag = "operators", params(("id" = String, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "Resumed", body = RepairAnswer),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such workflow", body = ErrorBody),
        (status = 409, description = "The workflow has not failed", body = ErrorBody),
    ))]
pub async fn retry(
    state: web::Data<AppState>,
    who: Operator,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let o = state.app.retry(&id, who.0.audit_name()).await?;
    Ok(HttpResponse::Ok().json(RepairAnswer {
        workflow_id: id,
        state: o.state.as_str().to_owned(),
        version: o.version,
        changed: o.changed,
    }))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    pub reason: Option<String>,
}

/// `POST /v1/admin/workflows/{id}/cancel`: ends an unfinished workflow (and its alert).
#[utoipa::path(post, path = "/v1/admin/workflows/{id}/cancel", tag = "operators", params(("id" = String, Path)), request_body = Option<CancelBody>,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Cancelled", body = RepairAnswer),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such workflow", body = ErrorBody),
        (status = 409, description = "The workflow has ended", body = ErrorBody),
    ))]
pub async fn cancel(
    state: web::Data<AppState>,
    who: Operator,
    id: web::Path<String>,
    body: super::optional_json::OptionalJson<CancelBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let reason = body.into_inner().and_then(|b| b.reason);
    let o = state.app.cancel(&id, who.0.audit_name(), reason).await?;
    Ok(HttpResponse::Ok().json(RepairAnswer {
        workflow_id: id,
        state: o.state.as_str().to_owned(),
        version: o.version,
        changed: o.changed,
    }))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct DeadLetterQuery {
    #[param(value_type = Option<super::openapi_names::DeadLetterKindName>)]
    pub kind: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^[0-9]{1,18}\.[0-9a-f-]{1,36}$")]
    pub cursor: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
}

/// `GET /v1/admin/dead-letters`: newest first.
#[utoipa::path(get, path = "/v1/admin/dead-letters", tag = "operators", params(DeadLetterQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of dead letters", body = Page<DeadLetterView>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 422, description = "A filter does not parse", body = ErrorBody),
    ))]
pub async fn dead_letters(
    state: web::Data<AppState>,
    _who: Operator,
    q: web::Query<DeadLetterQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let filter = DeadLetterFilter {
        kind: q.kind,
        cursor: q.cursor,
        limit: q.limit,
    };
    Ok(HttpResponse::Ok().json(state.app.list_dead_letters(&filter).await?))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RedriveAnswer {
    pub dead_letter_id: String,
    pub workflow_id: String,
    pub state: String,
}

/// `POST /v1/admin/dead-letters/{id}/redrive`: a failed step's workflow is retried; an
/// unidentifiable payload is read again (after a parser fix, say) and admitted as a ticket.
#[utoipa::path(post, path = "/v1/admin/dead-letters/{id}/redrive", tag = "operators", params(("id" = String, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "Redriven", body = RedriveAnswer),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such dead letter", body = ErrorBody),
        (status = 409, description = "Already redriven, its workflow is no longer failed, or its payload is still not a ticket", body = ErrorBody),
    ))]
pub async fn redrive(
    state: web::Data<AppState>,
    who: Operator,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let r = state.app.redrive(&id, who.0.audit_name()).await?;
    Ok(HttpResponse::Ok().json(RedriveAnswer {
        dead_letter_id: r.dead_letter_id,
        workflow_id: r.workflow_id,
        state: r.state,
    }))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissBody {
    /// Why it is not redriven (kept with the dead letter).
    #[schema(max_length = 4000)]
    pub reason: Option<String>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DismissAnswer {
    pub dead_letter_id: String,
    pub dismissed_by: String,
    pub reason: String,
}

/// `POST /v1/admin/dead-letters/{id}/dismiss`: an operator decides a dead letter is not to be
/// redriven (a conflicting revision sent by mistake, say). It is kept, with who and why, and
/// no longer counts as waiting.
#[utoipa::path(post, path = "/v1/admin/dead-letters/{id}/dismiss", tag = "operators", params(("id" = String, Path)), request_body = Option<DismissBody>,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Dismissed", body = DismissAnswer),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such dead letter", body = ErrorBody),
        (status = 409, description = "Already redriven or dismissed", body = ErrorBody),
        (status = 422, description = "The reason is too long", body = ErrorBody),
    ))]
pub async fn dismiss(
    state: web::Data<AppState>,
    who: Operator,
    id: web::Path<String>,
    body: super::optional_json::OptionalJson<DismissBody>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.into_inner().and_then(|b| b.reason);
    let d = state.app.dismiss(&id, who.0.audit_name(), reason).await?;
    Ok(HttpResponse::Ok().json(DismissAnswer {
        dead_letter_id: d.dead_letter_id,
        dismissed_by: d.dismissed_by,
        reason: d.reason,
    }))
}

/// `GET /v1/admin/actors`: every supervised actor with its state, restarts, mailbox depth and
/// messages processed; `ticket-actors` counts the active ticket actors.
#[utoipa::path(get, path = "/v1/admin/actors", tag = "operators", security(("bearer" = [])),
    responses(
        (status = 200, description = "Actors", body = Vec<Object>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
    ))]
pub async fn actors(state: web::Data<AppState>, _who: Operator) -> HttpResponse {
    HttpResponse::Ok().json(state.app.actors())
}

/// The active model and the models trained into this database.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ModelAnswer {
    #[schema(value_type = Object)]
    pub active: aegis_actors::ports::ScorerInfo,
    pub feature_schema: String,
    pub thresholds: ThresholdsView,
    pub trained: Vec<ModelRecord>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ThresholdsView {
    pub medium: f64,
    pub high: f64,
}

/// `GET /v1/admin/model`.
#[utoipa::path(get, path = "/v1/admin/model", tag = "operators", security(("bearer" = [])),
    responses(
        (status = 200, description = "The model", body = ModelAnswer),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
    ))]
pub async fn model(state: web::Data<AppState>, _who: Operator) -> Result<HttpResponse, ApiError> {
    let m = state.app.model().await?;
    Ok(HttpResponse::Ok().json(ModelAnswer {
        active: m.active,
        feature_schema: m.feature_schema.clone(),
        thresholds: ThresholdsView {
            medium: m.medium,
            high: m.high,
        },
        trained: m.trained,
    }))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReloadBody {
    /// A model file in the server's `model.dir` (relative to it, or absolute inside it);
    /// default: the configured `model.path` (or the bundled one).
    #[schema(pattern = r"\.(json|ubj)$")]
    pub path: Option<String>,
}

/// `POST /v1/admin/model/reload`: loads a model and swaps it in without stopping scoring.
#[utoipa::path(post, path = "/v1/admin/model/reload", tag = "operators", request_body = Option<ReloadBody>, security(("bearer" = [])),
    responses(
        (status = 200, description = "Swapped", body = Object),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such model file in the model directory", body = ErrorBody),
        (status = 422, description = "The model cannot be used (outside the model directory, unreadable, malformed, or features that do not match)", body = ErrorBody),
    ))]
pub async fn reload_model(
    state: web::Data<AppState>,
    who: Operator,
    body: super::optional_json::OptionalJson<ReloadBody>,
) -> Result<HttpResponse, ApiError> {
    let requested = body.into_inner().and_then(|b| b.path);
    let (previous, current) = state
        .app
        .reload_model(requested, &who.0.audit_name())
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "previous": previous, "current": current })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct QualityParams {
    /// Tickets scored from (RFC 3339; default a year before `until`).
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Tickets scored before (RFC 3339; default now).
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// `GET /v1/admin/model/quality`: per model version, how its scores fared on the tickets that
/// have an outcome, beside its training hold-out (contract §16).
#[utoipa::path(get, path = "/v1/admin/model/quality", tag = "operators", params(QualityParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "The model's quality", body = crate::app::model_quality::QualityReport),
        (status = 400, description = "A malformed time", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 422, description = "A period that is empty or longer than three years", body = ErrorBody),
    ))]
pub async fn model_quality(
    state: web::Data<AppState>,
    _who: Operator,
    q: web::Query<QualityParams>,
) -> Result<HttpResponse, ApiError> {
    let report = state.app.model_quality(q.from, q.until).await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RespondBody {
    /// One of the center's active locate codes.
    #[schema(min_length = 1, max_length = 64)]
    pub code: String,
    /// Sent to the center as the response's reason.
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// `POST /v1/admin/workflows/{id}/respond`: an operator's explicit response to the center,
/// posted durably (the answer says it is pending; the read-back follows it).
#[utoipa::path(post, path = "/v1/admin/workflows/{id}/respond", tag = "operators", params(("id" = String, Path)), request_body = RespondBody,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued for posting", body = ResponseView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such workflow", body = ErrorBody),
        (status = 409, description = "The center has no response API", body = ErrorBody),
        (status = 422, description = "Not an active locate code of the center, or a note too long", body = ErrorBody),
    ))]
pub async fn respond(
    state: web::Data<AppState>,
    who: Operator,
    id: web::Path<String>,
    body: crate::http::optional_json::Object<RespondBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let latest = state
        .app
        .respond(&id, who.0.audit_name(), body.code, body.note)
        .await?;
    Ok(HttpResponse::Accepted().json(latest))
}
