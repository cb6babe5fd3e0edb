//! Officer endpoints (contract §2): high-risk alerts, their evidence, acknowledgement and
//! resolution, and a live stream of changes.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_stream::wrappers::{BroadcastStream, IntervalStream};

use super::auth::Officer;
use super::error::{ApiError, ErrorBody};
use crate::app::alerts::{AlertAction, AlertDetail, AlertQuery as AlertFilter};
use crate::app::queue::QueueQuery;
use crate::app::views::{AlertItem, AlertView, Page};
use crate::web::state::AppState;

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
    /// `raised` (default): newest first, paged by cursor. `priority` (contract §12): the open
    /// alerts (waiting, escalated, then acknowledged), most pressing first — expected harm
    /// raised as the deadline nears, overdue on top — each item with `priority` and `words`
    /// (a `QueueItem`), in one page (`cursor` is not read; a `state` that is not an open one
    /// gives an empty list), `truncated` when there were more open alerts than the order is
    /// computed over.
    #[param(value_type = Option<super::openapi_names::AlertOrderName>)]
    pub order: Option<String>,
}

/// `GET /v1/alerts`: newest first, cursor paginated; or the queue, by priority.
#[utoipa::path(get, path = "/v1/alerts", tag = "officers", params(AlertQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of alerts; with `order=priority` the queue: items are `QueueItem`s (an alert item with `priority` and `words`), `truncated` says whether every open alert was ordered", body = Page<AlertItem>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 422, description = "A filter does not parse", body = ErrorBody),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    _who: Officer,
    q: web::Query<AlertQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    match q.order.as_deref() {
        None | Some("raised") => {}
        Some("priority") => {
            // The order moves with the clock: it is one page, and a cursor has nothing to
            // continue (it is not read).
            let queue = state
                .app
                .alert_queue(&QueueQuery {
                    state: q.state,
                    center: q.center,
                    since: q.since,
                    limit: q.limit,
                })
                .await?;
            return Ok(HttpResponse::Ok().json(queue));
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "order",
                "order must be one of: raised, priority",
            ));
        }
    }
    let filter = AlertFilter {
        state: q.state,
        center: q.center,
        since: q.since,
        cursor: q.cursor,
        limit: q.limit,
    };
    Ok(HttpResponse::Ok().json(state.app.list_alerts(&filter).await?))
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
    who: Officer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.app.alert(&id, who.0.role).await?))
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

/// `by` acts on the alert; the answer is the alert as it is now.
async fn act(
    state: &AppState,
    alert_id: &str,
    by: String,
    action: AlertAction,
) -> Result<HttpResponse, ApiError> {
    let acted = state.app.act_on_alert(alert_id, by, action).await?;
    Ok(HttpResponse::Ok().json(AlertAnswer {
        alert: Some(acted.detail.alert),
        workflow_state: acted.workflow_state,
        changed: acted.changed,
    }))
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
    let action = AlertAction::Acknowledge {
        note: body.note,
        via: None,
    };
    act(&state, &id, who.0.audit_name(), action).await
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
    body: crate::http::optional_json::Object<ResolveBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let action = AlertAction::Resolve {
        disposition: body.disposition,
        note: body.note,
    };
    act(&state, &id, who.0.audit_name(), action).await
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
    let events = BroadcastStream::new(state.app.alert_changes()).filter_map(|item| async move {
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
            if let Ok(false) = watcher.app.token_still_valid(&token).await {
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
