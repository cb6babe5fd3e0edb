//! Officer endpoints (contract §2): high-risk alerts, their evidence, acknowledgement and
//! resolution, and a live stream of changes.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use aegis_actors::records::AlertState;
use aegis_actors::step::Command;
use aegis_workflows::lifecycle::Disposition;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_stream::wrappers::{BroadcastStream, IntervalStream};

use super::auth::Officer;
use super::error::ApiError;
use super::params;
use super::state::AppState;
use super::{commands, openapi::ErrorBody};
use crate::db::read::{self, AlertFilter, AlertItem, AlertView, Page, WorkflowDetail};

const MAX_NOTE: usize = 4_000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AlertQuery {
    #[param(value_type = Option<super::openapi_names::AlertStateName>)]
    pub state: Option<String>,
    pub center: Option<String>,
    /// Alerts raised at or after this RFC 3339 time.
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^[0-9]{1,18}\.[0-9a-f-]{1,36}$")]
    pub cursor: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
}

/// `GET /v1/alerts`: newest first, cursor paginated.
#[utoipa::path(get, path = "/v1/alerts", tag = "officers", params(AlertQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of alerts", body = Page<AlertItem>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 422, description = "A filter does not parse", body = ErrorBody),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    _who: Officer,
    q: web::Query<AlertQuery>,
) -> Result<HttpResponse, ApiError> {
    let states: Vec<&str> = AlertState::ALL.iter().map(|s| s.as_str()).collect();
    let filter = AlertFilter {
        state: params::one_of("state", q.state.as_deref(), &states)?,
        center: q.center.clone(),
        since: params::time("since", q.since.as_deref())?,
        cursor: params::cursor(q.cursor.as_deref())?,
        limit: params::limit(q.limit)?,
    };
    let page = state
        .db
        .with_read(move |c| read::list_alerts(c, &filter))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One alert with everything an officer needs to judge it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertDetail {
    pub alert: AlertView,
    /// The workflow: ticket, score with its top contributing features, full history.
    pub workflow: WorkflowDetail,
    /// Who was told of this alert, on which channel, and how that went (no secrets).
    pub notifications: Vec<read::deliveries::DeliveryView>,
}

async fn load_detail(state: &AppState, id: String) -> Result<AlertDetail, ApiError> {
    let found = state
        .db
        .with_read(move |c| {
            let Some(wf) = read::alert_workflow(c, &id)? else {
                return Ok(None);
            };
            let told = read::deliveries::for_alert(c, &id)?;
            Ok(read::workflow_detail(c, &wf)?.map(|w| (w, told)))
        })
        .await?;
    let (workflow, notifications) = found.ok_or_else(|| ApiError::not_found("alert"))?;
    let alert = workflow
        .alert
        .clone()
        .ok_or_else(|| ApiError::not_found("alert"))?;
    Ok(AlertDetail {
        alert,
        workflow,
        notifications,
    })
}

/// `GET /v1/alerts/{id}`: the alert, its ticket, score, top contributing features and history.
#[utoipa::path(get, path = "/v1/alerts/{id}", tag = "officers", params(("id" = String, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "The alert", body = AlertDetail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such alert", body = ErrorBody),
    ))]
pub async fn get(
    state: web::Data<AppState>,
    _who: Officer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(load_detail(&state, id.into_inner()).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    #[schema(value_type = super::openapi_names::DispositionName)]
    pub disposition: String,
    pub note: Option<String>,
}

/// The answer to an acknowledgement or resolution.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertAnswer {
    pub alert: Option<AlertView>,
    pub workflow_state: String,
    /// False when the call repeated what was already done (an idempotent acknowledgement).
    pub changed: bool,
}

fn check_note(note: &Option<String>) -> Result<(), ApiError> {
    if note.as_ref().is_some_and(|n| n.len() > MAX_NOTE) {
        return Err(ApiError::invalid(
            "note",
            format!("note is longer than {MAX_NOTE} bytes"),
        ));
    }
    Ok(())
}

async fn answer(
    state: &AppState,
    alert_id: String,
    workflow_state: &str,
    changed: bool,
) -> Result<HttpResponse, ApiError> {
    let detail = load_detail(state, alert_id).await?;
    Ok(HttpResponse::Ok().json(AlertAnswer {
        alert: Some(detail.alert),
        workflow_state: workflow_state.to_owned(),
        changed,
    }))
}

async fn workflow_of(state: &AppState, alert_id: &str) -> Result<String, ApiError> {
    let id = alert_id.to_owned();
    state
        .db
        .with_read(move |c| read::alert_workflow(c, &id))
        .await?
        .ok_or_else(|| ApiError::not_found("alert"))
}

/// `POST /v1/alerts/{id}/ack`: idempotent for the same officer; 409 for another officer's
/// acknowledged alert (`CONFLICT`) or a closed one (`INVALID_TRANSITION`).
#[utoipa::path(post, path = "/v1/alerts/{id}/ack", tag = "officers", params(("id" = String, Path)), request_body = Option<AckBody>,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Acknowledged", body = AlertAnswer),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such alert", body = ErrorBody),
        (status = 409, description = "Acknowledged by someone else, or no longer open", body = ErrorBody),
        (status = 422, description = "The body does not fit", body = ErrorBody),
    ))]
pub async fn ack(
    state: web::Data<AppState>,
    who: Officer,
    id: web::Path<String>,
    body: super::optional_json::OptionalJson<AckBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner().unwrap_or_default();
    check_note(&body.note)?;
    let alert_id = id.into_inner();
    let wf = workflow_of(&state, &alert_id).await?;
    let by = who.0.audit_name();
    let outcome = commands::run(
        &state,
        &wf,
        Command::Acknowledge {
            by,
            note: body.note,
            via: None,
        },
    )
    .await?;
    answer(&state, alert_id, outcome.state.as_str(), outcome.changed).await
}

/// `POST /v1/alerts/{id}/resolve`: closes the alert with a disposition.
#[utoipa::path(post, path = "/v1/alerts/{id}/resolve", tag = "officers", params(("id" = String, Path)), request_body = ResolveBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Resolved", body = AlertAnswer),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such alert", body = ErrorBody),
        (status = 409, description = "Already resolved or closed", body = ErrorBody),
        (status = 422, description = "Unknown disposition", body = ErrorBody),
    ))]
pub async fn resolve(
    state: web::Data<AppState>,
    who: Officer,
    id: web::Path<String>,
    body: web::Json<ResolveBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    check_note(&body.note)?;
    let disposition = Disposition::parse(&body.disposition).ok_or_else(|| {
        let allowed: Vec<&str> = Disposition::ALL.iter().map(|d| d.as_str()).collect();
        ApiError::invalid(
            "disposition",
            format!("disposition must be one of: {}", allowed.join(", ")),
        )
    })?;
    let alert_id = id.into_inner();
    let wf = workflow_of(&state, &alert_id).await?;
    let by = who.0.audit_name();
    let outcome = commands::run(
        &state,
        &wf,
        Command::Resolve {
            by,
            disposition,
            note: body.note,
        },
    )
    .await?;
    answer(&state, alert_id, outcome.state.as_str(), outcome.changed).await
}

/// How often an open stream checks that its token is still valid.
const STREAM_RECHECK: Duration = Duration::from_secs(2);

/// `GET /v1/alerts/stream`: server-sent events, one per alert change on any node
/// (`event: alert.raised`, `alert.escalated`, `alert.acknowledged`, `alert.resolved`, …), with
/// a comment every 15 s to keep proxies from closing the connection. A stream ends within
/// seconds of its token being revoked; at most `http.max_streams` are open at once.
#[utoipa::path(get, path = "/v1/alerts/stream", tag = "officers", security(("bearer" = [])),
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 429, description = "Too many failed authentications", body = ErrorBody),
        (status = 503, description = "Too many open streams; try again later", body = ErrorBody),
    ))]
pub async fn stream(
    state: web::Data<AppState>,
    req: HttpRequest,
    _who: Officer,
) -> Result<HttpResponse, ApiError> {
    let permit =
        state.streams.clone().try_acquire_owned().map_err(|_| {
            ApiError::unavailable("too many open event streams; try again shortly", 5)
        })?;
    let token = super::auth::presented_token(&req)
        .ok_or_else(|| ApiError::unauthenticated("a bearer token is required"))?;
    let events =
        BroadcastStream::new(state.runtime.alerts.subscribe()).filter_map(|item| async move {
            match item {
                Ok(e) => {
                    let data = json!({
                        "message_id": e.message_id,
                        "workflow_id": e.workflow_id,
                        "payload": e.json(),
                    });
                    Some(format!(
                        "id: {}\nevent: {}\ndata: {}\n\n",
                        e.message_id, e.routing_key, data
                    ))
                }
                // A slow reader missed events; tell it to reload the list.
                Err(_) => Some("event: lagged\ndata: {}\n\n".to_owned()),
            }
        });
    let keepalive = IntervalStream::new(tokio::time::interval(Duration::from_secs(15)))
        .map(|_| ": keep-alive\n\n".to_owned());
    let watcher = state.clone();
    let revoked = async move {
        loop {
            tokio::time::sleep(STREAM_RECHECK).await;
            // A database that cannot answer keeps the stream open: only a known revocation
            // ends it.
            if let Ok(false) = super::auth::still_valid(&watcher, &token).await {
                return;
            }
        }
    };
    let body = futures::stream::select(events, keepalive)
        .take_until(revoked)
        .map(move |s| {
            // The permit lives as long as the stream.
            let _open = &permit;
            Ok::<_, actix_web::Error>(web::Bytes::from(s))
        });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .streaming(body))
}
