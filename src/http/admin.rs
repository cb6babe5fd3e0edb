//! Operator endpoints (contract §4): workflows, their histories and repairs.

use actix_web::{HttpResponse, web};

use super::auth::Operator;
use super::error::ApiError;
use super::state::AppState;
use crate::db::read::{self, WorkflowDetail};

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
        .with_read(move |c| read::workflow_detail(c, &id))
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
        (status = 200, description = "Counts", body = read::Stats),
        (status = 401, description = "Not authenticated", body = super::openapi::ErrorBody),
        (status = 403, description = "Not an operator", body = super::openapi::ErrorBody),
    )
)]
pub async fn stats(state: web::Data<AppState>, _who: Operator) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let recipients = state.runtime.deps.config.escalation.recipients();
    let s = state
        .db
        .with_read(move |c| read::stats(c, &recipients, now))
        .await?;
    Ok(HttpResponse::Ok().json(s))
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
        (status = 200, description = "A page of workflows", body = read::Page<read::WorkflowItem>),
        (status = 401, description = "Not authenticated", body = super::openapi::ErrorBody),
        (status = 403, description = "Not an operator", body = super::openapi::ErrorBody),
        (status = 422, description = "A filter does not parse", body = super::openapi::ErrorBody),
    ))]
pub async fn workflows(
    state: web::Data<AppState>,
    _who: Operator,
    q: web::Query<WorkflowQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = workflow_filter(&q)?;
    let page = state
        .db
        .with_read(move |c| read::list_workflows(c, &filter))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The API's workflow filters, checked; the console's filter form uses the same.
pub fn workflow_filter(q: &WorkflowQuery) -> Result<read::WorkflowFilter, ApiError> {
    use super::params;
    let states: Vec<&str> = aegis_workflows::State::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    let bands: Vec<&str> = aegis_workflows::risk::Band::ALL
        .iter()
        .map(|b| b.as_str())
        .collect();
    Ok(read::WorkflowFilter {
        state: params::one_of("state", q.state.as_deref(), &states)?,
        center: q.center.clone(),
        band: params::one_of("band", q.band.as_deref(), &bands)?,
        ticket_number: q.ticket_number.clone(),
        since: params::time("since", q.since.as_deref())?,
        until: params::time("until", q.until.as_deref())?,
        cursor: params::cursor(q.cursor.as_deref())?,
        limit: params::limit(q.limit)?,
    })
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
        (status = 401, description = "Not authenticated", body = super::openapi::ErrorBody),
        (status = 403, description = "Not an operator", body = super::openapi::ErrorBody),
        (status = 404, description = "No such workflow", body = super::openapi::ErrorBody),
        (status = 409, description = "The workflow has not failed", body = super::openapi::ErrorBody),
    ))]
pub async fn retry(
    state: web::Data<AppState>,
    who: Operator,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let by = who.0.audit_name();
    let o = super::commands::run(&state, &id, aegis_actors::Command::Retry { by }).await?;
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
        (status = 401, description = "Not authenticated", body = super::openapi::ErrorBody),
        (status = 403, description = "Not an operator", body = super::openapi::ErrorBody),
        (status = 404, description = "No such workflow", body = super::openapi::ErrorBody),
        (status = 409, description = "The workflow has ended", body = super::openapi::ErrorBody),
    ))]
pub async fn cancel(
    state: web::Data<AppState>,
    who: Operator,
    id: web::Path<String>,
    body: super::optional_json::OptionalJson<CancelBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let reason = body
        .into_inner()
        .and_then(|b| b.reason)
        .unwrap_or_else(|| "cancelled by an operator".to_owned());
    if reason.len() > 4_000 {
        return Err(ApiError::invalid(
            "reason",
            "reason is longer than 4000 bytes",
        ));
    }
    let by = who.0.audit_name();
    let o = super::commands::run(&state, &id, aegis_actors::Command::Cancel { by, reason }).await?;
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

/// The kinds of dead letter there are.
pub const DEAD_LETTER_KINDS: &[&str] = &[
    "unidentifiable",
    "step_failed",
    "revision_conflict",
    "unreadable_summary",
];

/// `GET /v1/admin/dead-letters`: newest first.
#[utoipa::path(get, path = "/v1/admin/dead-letters", tag = "operators", params(DeadLetterQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of dead letters", body = read::Page<read::DeadLetterView>),
        (status = 401, description = "Not authenticated", body = super::openapi::ErrorBody),
        (status = 403, description = "Not an operator", body = super::openapi::ErrorBody),
        (status = 422, description = "A filter does not parse", body = super::openapi::ErrorBody),
    ))]
pub async fn dead_letters(
    state: web::Data<AppState>,
    _who: Operator,
    q: web::Query<DeadLetterQuery>,
) -> Result<HttpResponse, ApiError> {
    use super::params;
    let kind = params::one_of("kind", q.kind.as_deref(), DEAD_LETTER_KINDS)?;
    let cursor = params::cursor(q.cursor.as_deref())?;
    let limit = params::limit(q.limit)?;
    let page = state
        .db
        .with_read(move |c| read::list_dead_letters(c, kind.as_deref(), cursor.as_ref(), limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
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
        (status = 401, description = "Not authenticated", body = super::openapi::ErrorBody),
        (status = 403, description = "Not an operator", body = super::openapi::ErrorBody),
        (status = 404, description = "No such dead letter", body = super::openapi::ErrorBody),
        (status = 409, description = "Already redriven, its workflow is no longer failed, or its payload is still not a ticket", body = super::openapi::ErrorBody),
    ))]
pub async fn redrive(
    state: web::Data<AppState>,
    who: Operator,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let answer = redrive_dead_letter(&state, id.into_inner(), who.0.audit_name()).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// Redrives one dead letter for `by` (the API and the console's dead-letter page).
pub async fn redrive_dead_letter(
    state: &AppState,
    id: String,
    by: String,
) -> Result<RedriveAnswer, ApiError> {
    let key = id.clone();
    let dead = state
        .db
        .with_read(move |c| read::dead_letter(c, &key))
        .await?
        .ok_or_else(|| ApiError::not_found("dead letter"))?;
    if dead.redriven_at.is_some() {
        return Err(ApiError::conflict(
            "CONFLICT",
            "this dead letter was already redriven",
        ));
    }
    if dead.dismissed_at.is_some() {
        return Err(ApiError::conflict(
            "CONFLICT",
            "this dead letter was dismissed",
        ));
    }
    if dead.kind == "unreadable_summary" {
        return Err(ApiError::conflict(
            "CONFLICT",
            "a summary is not redriven: ask the center to send it again, then dismiss this",
        ));
    }
    let (workflow_id, st) = match dead.kind.as_str() {
        "step_failed" => {
            let wf = dead
                .workflow_id
                .clone()
                .ok_or_else(|| ApiError::internal("a failed step without a workflow"))?;
            let o =
                super::commands::run(state, &wf, aegis_actors::Command::Retry { by: by.clone() })
                    .await?;
            (wf, o.state.as_str().to_owned())
        }
        _ => {
            use super::webhooks::Format;
            let format = if dead.format.as_deref() == Some("onecall") {
                Format::Onecall
            } else {
                Format::Native
            };
            let mut parsed = match format {
                Format::Native => crate::intake::native::parse(&dead.payload),
                Format::Onecall => crate::intake::onecall::parse(&dead.payload),
            }
            // The request is fine; the letter's content is what stands in the way.
            .map_err(|e| {
                ApiError::conflict(
                    "CONFLICT",
                    format!("the payload is still not an identifiable ticket: {e}"),
                )
                .with_details(serde_json::json!({ "field": "payload" }))
            })?;
            let code = dead.center.clone().unwrap_or_default();
            if dead.kind == "revision_conflict" {
                // The changed ticket becomes the next revision of its ticket, which supersedes
                // the one it conflicted with once validated: the member works on what the
                // center sent last.
                let (c, n) = (code.clone(), parsed.ticket.ticket_number.clone());
                let latest = state
                    .db
                    .with_read(move |conn| read::latest_revision(conn, &c, &n))
                    .await?;
                parsed.ticket.revision = latest.map_or(0, |r| r.saturating_add(1));
            }
            let center = super::webhooks::center_of(state, &code).await?;
            let (outcome, _) = super::webhooks::intake(
                state,
                &center,
                format,
                parsed,
                format!("redrive:{}", dead.id),
                web::Bytes::from(dead.payload.clone()),
                dead.content_type
                    .clone()
                    .unwrap_or_else(|| "application/json".into()),
            )
            .await?;
            match outcome {
                aegis_actors::records::IntakeOutcome::Accepted { workflow_id } => {
                    (workflow_id, "received".to_owned())
                }
                aegis_actors::records::IntakeOutcome::Duplicate { workflow_id, state } => {
                    (workflow_id, state.as_str().to_owned())
                }
                aegis_actors::records::IntakeOutcome::RevisionConflict { workflow_id } => {
                    return Err(ApiError::conflict(
                        "TICKET_REVISION_CONFLICT",
                        "the ticket in this dead letter conflicts with a stored revision",
                    )
                    .with_details(serde_json::json!({ "workflow_id": workflow_id })));
                }
            }
        }
    };
    let now = state.clock.now();
    let (dl, who_name) = (id.clone(), by.clone());
    let marked = state
        .store
        .writer()
        .run(move |tx| crate::db::write::failures::mark_redriven(tx, &dl, &who_name, now))
        .await?;
    if !marked {
        // Two operators redrove at once; the intake is idempotent, so both answers hold.
        tracing::info!(dead_letter = %id, "dead letter was redriven by someone else meanwhile");
    }
    Ok(RedriveAnswer {
        dead_letter_id: id,
        workflow_id,
        state: st,
    })
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
        (status = 401, description = "Not authenticated", body = super::openapi::ErrorBody),
        (status = 403, description = "Not an operator", body = super::openapi::ErrorBody),
        (status = 404, description = "No such dead letter", body = super::openapi::ErrorBody),
        (status = 409, description = "Already redriven or dismissed", body = super::openapi::ErrorBody),
        (status = 422, description = "The reason is too long", body = super::openapi::ErrorBody),
    ))]
pub async fn dismiss(
    state: web::Data<AppState>,
    who: Operator,
    id: web::Path<String>,
    body: super::optional_json::OptionalJson<DismissBody>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.into_inner().and_then(|b| b.reason);
    let answer = dismiss_dead_letter(&state, id.into_inner(), who.0.audit_name(), reason).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// Dismisses one dead letter for `by` (the API and the console's dead-letter page).
pub async fn dismiss_dead_letter(
    state: &AppState,
    id: String,
    by: String,
    reason: Option<String>,
) -> Result<DismissAnswer, ApiError> {
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "dismissed by an operator".to_owned());
    if reason.chars().count() > 4_000 {
        return Err(ApiError::invalid(
            "reason",
            "reason is longer than 4000 characters",
        ));
    }
    let key = id.clone();
    let dead = state
        .db
        .with_read(move |c| read::dead_letter(c, &key))
        .await?
        .ok_or_else(|| ApiError::not_found("dead letter"))?;
    if dead.redriven_at.is_some() || dead.dismissed_at.is_some() {
        return Err(ApiError::conflict(
            "CONFLICT",
            "this dead letter was already redriven or dismissed",
        ));
    }
    let now = state.clock.now();
    let (dl, who, why) = (id.clone(), by.clone(), reason.clone());
    let marked = state
        .store
        .writer()
        .run(move |tx| crate::db::write::failures::mark_dismissed(tx, &dl, &who, &why, now))
        .await?;
    if !marked {
        return Err(ApiError::conflict(
            "CONFLICT",
            "this dead letter was redriven or dismissed meanwhile",
        ));
    }
    tracing::info!(dead_letter = %id, kind = %dead.kind, by = %by, "dead letter dismissed");
    Ok(DismissAnswer {
        dead_letter_id: id,
        dismissed_by: by,
        reason,
    })
}

/// `GET /v1/admin/actors`: every supervised actor with its state, restarts, mailbox depth and
/// messages processed; `ticket-actors` counts the active ticket actors.
#[utoipa::path(get, path = "/v1/admin/actors", tag = "operators", security(("bearer" = [])),
    responses(
        (status = 200, description = "Actors", body = Vec<Object>),
        (status = 401, description = "Not authenticated", body = super::openapi::ErrorBody),
        (status = 403, description = "Not an operator", body = super::openapi::ErrorBody),
    ))]
pub async fn actors(state: web::Data<AppState>, _who: Operator) -> HttpResponse {
    HttpResponse::Ok().json(state.runtime.deps.health.report())
}

/// The active model and the models trained into this database.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ModelAnswer {
    #[schema(value_type = Object)]
    pub active: aegis_actors::ports::ScorerInfo,
    pub feature_schema: String,
    pub thresholds: ThresholdsView,
    pub trained: Vec<read::ModelRecord>,
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
        (status = 401, description = "Not authenticated", body = super::openapi::ErrorBody),
        (status = 403, description = "Not an operator", body = super::openapi::ErrorBody),
    ))]
pub async fn model(state: web::Data<AppState>, _who: Operator) -> Result<HttpResponse, ApiError> {
    let trained = state.db.with_read(read::trained_models).await?;
    let t = state.settings.thresholds().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(ModelAnswer {
        active: state.runtime.deps.scorer.info(),
        feature_schema: aegis_workflows::features::SCHEMA_VERSION.to_owned(),
        thresholds: ThresholdsView {
            medium: t.medium,
            high: t.high,
        },
        trained,
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
        (status = 401, description = "Not authenticated", body = super::openapi::ErrorBody),
        (status = 403, description = "Not an operator", body = super::openapi::ErrorBody),
        (status = 404, description = "No such model file in the model directory", body = super::openapi::ErrorBody),
        (status = 422, description = "The model cannot be used (outside the model directory, unreadable, malformed, or features that do not match)", body = super::openapi::ErrorBody),
    ))]
pub async fn reload_model(
    state: web::Data<AppState>,
    who: Operator,
    body: super::optional_json::OptionalJson<ReloadBody>,
) -> Result<HttpResponse, ApiError> {
    let requested = body.into_inner().and_then(|b| b.path);
    let settings = state.settings.clone();
    let forest = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let Some(p) = requested else {
            // The configured model (or the bundled one): the operator's own configuration.
            return crate::startup::load_model(&settings)
                .map_err(|e| ApiError::invalid("path", format!("{e:#}")));
        };
        let invalid = |e: crate::risk::forest::ModelError| ApiError::invalid("path", e.to_string());
        let dir = std::path::Path::new(&settings.model.dir);
        let file = crate::risk::model_file::resolve_in(dir, &p).map_err(|e| match e {
            crate::risk::forest::ModelError::Missing { .. } => ApiError::new(
                actix_web::http::StatusCode::NOT_FOUND,
                "NOT_FOUND",
                e.to_string(),
            ),
            other => invalid(other),
        })?;
        crate::risk::forest::Forest::load(&file, settings.model.max_bytes).map_err(invalid)
    })
    .await
    .map_err(ApiError::internal)??;
    let scorer = crate::risk::scorer::ForestScorer::start(forest, state.scorer_options.clone())
        .map_err(|e| ApiError::invalid("path", e.to_string()))?;
    let current = aegis_actors::ports::Scorer::info(scorer.as_ref());
    let previous = state.runtime.deps.scorer.swap(scorer);
    tracing::info!(by = %who.0.audit_name(), previous = %previous.model_version, current = %current.model_version, "model reloaded");
    Ok(HttpResponse::Ok().json(serde_json::json!({ "previous": previous, "current": current })))
}
