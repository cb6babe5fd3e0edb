//! Daily summaries (contract §9): `POST /v1/webhooks/{center}/summary`, signed as the
//! center's webhooks are, as USA North 811's e-mail text or as JSON; reconciled against what
//! was received and kept. A body that is not a summary is answered `422` listing its problems
//! and kept as a dead letter. `GET /v1/admin/reconciliations` lists the results, and
//! `GET /v1/admin/sequence-gaps` the deliveries a OneCall center skipped.

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use aegis_actors::records::{DeadLetterRecord, DeliveryRecord};
use aegis_workflows::Problem;
use aegis_workflows::daily_summary::{self, Listed, Summary};
use chrono::{NaiveDate, TimeZone};
use serde::Deserialize;

use super::auth::Operator;
use super::error::ApiError;
use super::openapi::ErrorBody;
use super::state::AppState;
use super::webhooks::{center_of, content_id, read_body, verify_signed};
use crate::db::reconciliations::{self, ReconciliationView};
use crate::telemetry::names;

/// A summary as JSON: `date` as `YYYY-MM-DD` (or the e-mail's `MM/DD/YYYY`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SummaryBody {
    pub station: String,
    pub date: String,
    #[schema(value_type = Vec<Object>)]
    pub tickets: Vec<Listed>,
    pub total: u32,
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%m/%d/%Y"))
        .ok()
}

fn parse(content_type: &str, body: &[u8]) -> Result<Summary, Vec<Problem>> {
    if content_type == "application/json" {
        let b: SummaryBody = serde_json::from_slice(body).map_err(|e| {
            vec![Problem::new(
                "body",
                "invalid_format",
                format!("not a summary: {e}"),
            )]
        })?;
        let date = parse_date(&b.date).ok_or_else(|| {
            vec![Problem::new(
                "date",
                "invalid_format",
                format!("'{}' is not a date as YYYY-MM-DD", b.date),
            )]
        })?;
        let s = Summary {
            station: b.station,
            date,
            tickets: b.tickets,
            total: b.total,
        };
        daily_summary::check(&s)?;
        Ok(s)
    } else {
        let text = std::str::from_utf8(body).map_err(|_| {
            vec![Problem::new(
                "body",
                "invalid_format",
                "the text is not UTF-8",
            )]
        })?;
        daily_summary::parse_text(text)
    }
}

/// Keeps a body that is not a summary for operators, and answers `422` with its problems.
async fn refuse(
    state: &AppState,
    center: &str,
    body: &[u8],
    content_type: &str,
    problems: Vec<Problem>,
) -> ApiError {
    let error = problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.message))
        .collect::<Vec<_>>()
        .join("; ");
    let dead = DeadLetterRecord {
        id: content_id(&[center.as_bytes(), b"summary", body]),
        kind: "unreadable_summary".into(),
        format: Some("summary".into()),
        center: Some(center.to_owned()),
        workflow_id: None,
        error,
        payload: body.to_vec(),
        content_type: Some(content_type.to_owned()),
        created_at: state.clock.now(),
    };
    use aegis_actors::ports::store::Store;
    match state.store.dead_letter(dead).await {
        Ok(()) => {
            metrics::counter!(names::DEAD_LETTERED, "kind" => "unreadable_summary").increment(1);
            ApiError::problems(&problems)
        }
        Err(e) => e.into(),
    }
}

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
    let code = path.into_inner();
    let center = center_of(&state, &code).await?;
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if content_type != "application/json" && content_type != "text/plain" {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the summary as text/plain (the e-mail's text) or application/json",
        ));
    }
    let body = read_body(payload, &req, state.settings.http.max_body_bytes).await?;
    verify_signed(&state, &center, &req, &body)?;
    let summary = match parse(&content_type, &body) {
        Ok(s) => s,
        Err(problems) => return Err(refuse(&state, &code, &body, &content_type, problems).await),
    };
    let tz = state.settings.centers.tz().map_err(ApiError::internal)?;
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| tz.from_local_datetime(&t).earliest())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let (Some(from), Some(until)) = (start(summary.date), summary.date.succ_opt().and_then(start))
    else {
        return Err(ApiError::invalid(
            "date",
            "the summary's day cannot be placed in time",
        ));
    };
    let numbers: Vec<String> = summary
        .tickets
        .iter()
        .map(|t| t.ticket_number.clone())
        .collect();
    let key = code.clone();
    let (any, day) = state
        .db
        .with_read(move |c| reconciliations::received(c, &key, &numbers, from, until))
        .await?;
    let result = daily_summary::reconcile(&summary, &any, &day);
    let id = uuid::Uuid::now_v7().to_string();
    let now = state.clock.now();
    let day_text = summary.date.format("%Y-%m-%d").to_string();
    let (rid, c, st, d, r) = (
        id.clone(),
        code.clone(),
        summary.station.clone(),
        day_text.clone(),
        result.clone(),
    );
    // Missing tickets reach the `operators` roster like alerts reach officers: the
    // deliveries are written with the reconciliation, so neither is kept without the other.
    let notices = if result.missing.is_empty() {
        Vec::new()
    } else {
        operator_notices(&state, &id, now).await?
    };
    let rows = notices
        .iter()
        .map(crate::db::write::deliveries::new_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    state
        .store
        .writer()
        .run(move |tx| {
            reconciliations::insert(tx, &rid, &c, &st, &d, &r, now)?;
            crate::db::write::deliveries::insert(tx, &rows)
        })
        .await?;
    if !notices.is_empty() {
        state.runtime.deps.signals.deliveries.notify_one();
    }
    if !result.missing.is_empty() {
        // AegisTicketsMissing follows from the gauge; the log names them.
        tracing::error!(
            center = %code,
            station = %summary.station,
            date = %day_text,
            missing = ?result.missing,
            operators_told = notices.len(),
            "the center's daily summary lists tickets that never arrived"
        );
    }
    let key = code.clone();
    let view = state
        .db
        .with_read(move |c| {
            Ok(reconciliations::list(c, Some(&key), Some(&day_text), 50)?
                .into_iter()
                .find(|v| v.id == id))
        })
        .await?
        .ok_or_else(|| ApiError::internal("the reconciliation just kept is gone"))?;
    Ok(HttpResponse::Ok().json(view))
}

/// The roster told about missing tickets.
const OPERATORS: &str = "operators";

/// One delivery per (on-duty operator × channel) for a reconciliation with missing tickets.
async fn operator_notices(
    state: &AppState,
    reconciliation: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<DeliveryRecord>, ApiError> {
    let reach = state
        .db
        .with_read(move |c| crate::db::read::deliveries::reach(c, &[OPERATORS.to_owned()], now))
        .await?;
    if !reach.unreachable.is_empty() {
        tracing::error!(
            "missing tickets reach no operator: no '{OPERATORS}' roster, or nobody on duty with a channel"
        );
    }
    Ok(reach
        .targets
        .into_iter()
        .map(|t| DeliveryRecord {
            id: uuid::Uuid::now_v7().to_string(),
            alert_id: reconciliation.to_owned(),
            workflow_id: String::new(),
            change: crate::notify::operator_notice::MISSING_TICKETS.to_owned(),
            user: t.user,
            channel: t.channel,
            created_at: now,
        })
        .collect())
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
    if let Some(d) = &q.date
        && NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()
    {
        return Err(ApiError::invalid("date", "date must be YYYY-MM-DD"));
    }
    let items = state
        .db
        .with_read(move |c| reconciliations::list(c, q.center.as_deref(), q.date.as_deref(), 200))
        .await?;
    Ok(HttpResponse::Ok().json(items))
}

/// `GET /v1/admin/sequence-gaps`: OneCall sequence numbers skipped and not filled within
/// `reconcile.gap_grace_secs`, by center and station (the last two weeks).
#[utoipa::path(get, path = "/v1/admin/sequence-gaps", tag = "operators",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Gaps", body = Vec<crate::db::sequence_gaps::GapView>),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
    ))]
pub async fn gaps(state: web::Data<AppState>, _who: Operator) -> Result<HttpResponse, ApiError> {
    let (now, grace) = (state.clock.now(), state.settings.reconcile.grace());
    let gaps = state
        .db
        .with_read(move |c| crate::db::sequence_gaps::gaps(c, now, grace))
        .await?;
    Ok(HttpResponse::Ok().json(gaps))
}
