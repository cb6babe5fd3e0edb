//! Call-center webhooks (contract §1, §11): native JSON signed per Standard Webhooks, USA North
//! 811 OneCallAccess, and the Open Ticket Standard. The body is read here; the application
//! checks, parses and admits it (`app::receive_ticket`); the answer is a 2xx only once the
//! ticket is durable.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::body::{read_body, require_json};
use super::error::{ApiError, ErrorBody};
use super::signed::signed_by;
use crate::app::receive_ticket::{Delivery, Format, ReceiveError, Received, conflict_details};
use crate::formats::ParseError;
use crate::formats::openticket::{ErrorItem, Refused, RefusedAs};
use crate::telemetry::names;
use crate::web::state::AppState;

/// The answer to an accepted or repeated delivery.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookAnswer {
    pub workflow_id: String,
    pub center: String,
    pub ticket_number: String,
    pub revision: u32,
    pub state: String,
    pub duplicate: bool,
    /// OneCall and Open Ticket: this revision was already received with other content; the
    /// delivery is kept as a `revision_conflict` dead letter for operators.
    pub conflict: bool,
}

/// An Open Ticket document as this document describes it: sections of the specification, read
/// leniently (keys without case, each format version's names); only a `header` object is
/// needed to be a ticket at all. The sections are those of `openticket/Open-Ticket-Specification.md`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct OpenTicketDocument {
    header: OpenTicketHeader,
    #[schema(value_type = Option<Object>)]
    work_site: Option<()>,
    /// `geometry` in format 1.0: the work site as WKT (`workSiteWkt`/`workSiteArea`), or as
    /// GeoJSON (`geoJson`) where there is no WKT.
    #[schema(value_type = Option<Object>)]
    geography: Option<()>,
    /// `timeline` in format 1.0.
    #[schema(value_type = Option<Object>)]
    time_line: Option<()>,
    #[schema(value_type = Option<Object>)]
    project: Option<()>,
    #[schema(value_type = Option<Object>)]
    excavator: Option<()>,
    #[schema(value_type = Option<Vec<Object>>)]
    custom_field_groups: Option<()>,
}

/// The header section; its ticket number identifies the ticket.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct OpenTicketHeader {
    /// `0.3`, `.3`, `0.5`, `1.0`, …
    format_version: Option<String>,
    ticket_number: Option<String>,
    /// The center's version of the ticket: later versions supersede earlier ones.
    #[schema(value_type = Option<u32>, format = Int64, minimum = 0, maximum = 4_294_967_295_f64)]
    ticket_version: Option<()>,
    /// This delivery's number in the center's daily sequence (gaps are reported).
    #[schema(value_type = Option<u64>)]
    sequence: Option<()>,
    standard_type: Option<String>,
    is_test: Option<bool>,
}

/// The Open Ticket Specification's error document ("Error Responses"): why a delivery was
/// refused, every error at once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpenTicketErrors {
    /// The ticket's number as sent (empty when the document had none).
    pub ticket_number: String,
    /// The format version the document said it follows (empty when it said none).
    pub format_version: String,
    pub error_count: usize,
    /// When the delivery was checked.
    pub timestamp: String,
    pub error_list: Vec<ErrorItem>,
}

impl OpenTicketErrors {
    fn of(r: &Refused, at: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            ticket_number: r.ticket_number.clone(),
            format_version: r.format_version.clone(),
            error_count: r.errors.len(),
            timestamp: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            error_list: r.errors.clone(),
        }
    }
}

fn record(center: &str, format: Format, outcome: &str) {
    metrics::counter!(names::WEBHOOK_OUTCOMES, "center" => center.to_owned(), "format" => format.as_str(), "outcome" => outcome.to_owned())
        .increment(1);
}

/// Counts a delivery's outcome by its error code. An unknown center is counted as `unknown`,
/// so that made-up codes cannot grow the label set.
fn counted(
    code: &str,
    format: Format,
    result: Result<(HttpResponse, &'static str), ApiError>,
) -> Result<HttpResponse, ApiError> {
    match result {
        Ok((answer, outcome)) => {
            record(code, format, outcome);
            Ok(answer)
        }
        Err(e) => {
            let label = if e.code == "UNKNOWN_CENTER" {
                "unknown"
            } else {
                code
            };
            record(label, format, e.code);
            Err(e)
        }
    }
}

async fn receive(
    state: &AppState,
    code: &str,
    format: Format,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(HttpResponse, &'static str), ApiError> {
    let app = &state.app;
    let center = app.center(code).await?;
    let content_type = require_json(req)?;
    let slot = super::body::slot(&state.body_slots, &center.code)?;
    let body = read_body(
        payload,
        req,
        app.settings().http.max_body_bytes,
        state.body_timeout(),
    )
    .await?;
    drop(slot);
    let delivery = Delivery {
        format,
        body,
        content_type,
        signed: signed_by(req),
    };
    let r = match app.receive_ticket(&center, delivery).await {
        Ok(r) => r,
        // Open Ticket senders read the specification's error document, not the envelope.
        Err(ReceiveError::Unidentifiable(ParseError::OpenTicket(refused))) => {
            let (status, outcome) = match refused.kind {
                RefusedAs::Unusable => (actix_web::http::StatusCode::CONFLICT, "TICKET_REFUSED"),
                RefusedAs::NotATicket => (
                    actix_web::http::StatusCode::BAD_REQUEST,
                    "MALFORMED_PAYLOAD",
                ),
            };
            return Ok((
                HttpResponse::build(status).json(OpenTicketErrors::of(&refused, app.now())),
                outcome,
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let answer =
        |workflow_id: String, state: &str, duplicate: bool, conflict: bool| WebhookAnswer {
            workflow_id,
            center: center.code.clone(),
            ticket_number: r.ticket_number.clone(),
            revision: r.revision,
            state: state.to_owned(),
            duplicate,
            conflict,
        };
    // The Open Ticket API answers 200 for every ticket taken (its 201 is for centers).
    let accepted = if format == Format::Openticket {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::ACCEPTED
    };
    Ok(match r.outcome.clone() {
        Received::Accepted { workflow_id } => (
            HttpResponse::build(accepted).json(answer(workflow_id, "received", false, false)),
            "accepted",
        ),
        Received::Duplicate { workflow_id, state } => (
            HttpResponse::Ok().json(answer(workflow_id, state.as_str(), true, false)),
            "duplicate",
        ),
        Received::Conflict { workflow_id, what } => match format {
            // USA North 811 retries a non-2xx ten times and gives up into its failed queue:
            // the conflict is kept, so say so with a 200.
            Format::Onecall | Format::Openticket => (
                HttpResponse::Ok().json(answer(workflow_id, "conflict", false, true)),
                "TICKET_REVISION_CONFLICT",
            ),
            Format::Native => {
                return Err(ApiError::conflict("TICKET_REVISION_CONFLICT", what)
                    .with_details(conflict_details(&workflow_id, &r.ticket_number, r.revision)));
            }
        },
    })
}

/// `POST /v1/webhooks/{center}`: a native JSON ticket, Standard Webhooks signature.
#[utoipa::path(
    post,
    path = "/v1/webhooks/{center}",
    tag = "webhooks",
    params(("center" = String, Path, description = "Call center code")),
    request_body(content = serde_json::Value, content_type = "application/json", description = "A ticket (contract §1a)"),
    responses(
        (status = 202, description = "Received and durable", body = WebhookAnswer),
        (status = 200, description = "Already received", body = WebhookAnswer),
        (status = 400, description = "Not identifiable as a ticket (kept as a dead letter)", body = ErrorBody),
        (status = 401, description = "Signature missing, invalid or stale", body = ErrorBody),
        (status = 404, description = "Unknown center", body = ErrorBody),
        (status = 409, description = "Same ticket and revision, different content (the delivery is kept for operators)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 503, description = "Not durable: send again after Retry-After", body = ErrorBody),
    )
)]
pub async fn native_webhook(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner();
    counted(
        &code,
        Format::Native,
        receive(&state, &code, Format::Native, &req, payload).await,
    )
}

/// `POST /v1/webhooks/{center}/onecall`: a USA North 811 OneCallAccess delivery.
#[utoipa::path(
    post,
    path = "/v1/webhooks/{center}/onecall",
    tag = "webhooks",
    params(("center" = String, Path, description = "Call center code")),
    request_body(content = serde_json::Value, content_type = "application/json", description = "OneCallAccess envelope with the ticket as base64 XML (contract §1b)"),
    responses(
        (status = 202, description = "Received and durable", body = WebhookAnswer),
        (status = 200, description = "Already received, or (`conflict: true`) this revision was received with other content and the delivery is kept for operators", body = WebhookAnswer),
        (status = 400, description = "Not identifiable as a ticket (kept as a dead letter)", body = ErrorBody),
        (status = 401, description = "Signature missing or invalid", body = ErrorBody),
        (status = 404, description = "Unknown center", body = ErrorBody),
        (status = 409, description = "Same ticket and revision, different content", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 503, description = "Not durable: send again after Retry-After", body = ErrorBody),
    )
)]
pub async fn onecall_webhook(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner();
    counted(
        &code,
        Format::Onecall,
        receive(&state, &code, Format::Onecall, &req, payload).await,
    )
}

/// `POST /v1/webhooks/{center}/openticket`: an Open Ticket Standard ticket (contract §11).
#[utoipa::path(
    post,
    path = "/v1/webhooks/{center}/openticket",
    tag = "webhooks",
    params(("center" = String, Path, description = "Call center code (registered with `--format openticket`)", example = "PA811")),
    request_body(content = OpenTicketDocument, content_type = "application/json", description = "An Open Ticket document (`header`, `workSite`, `geography`, `timeLine`, …; format versions 0.3 to 1.0). Authenticated with `Authorization: Bearer <secret>` or the Standard Webhooks headers."),
    responses(
        (status = 200, description = "Durable: received, already received (`duplicate`), or (`conflict: true`) this version was received with other content and the delivery is kept for operators. A cancel notice under a version already received becomes the ticket's next revision.", body = WebhookAnswer),
        (status = 400, description = "Not a ticket at all (not JSON, no header): the specification's error document; the payload is kept as a dead letter", body = OpenTicketErrors),
        (status = 401, description = "No bearer token or signature, or not one of this center's", body = ErrorBody),
        (status = 404, description = "Unknown center", body = ErrorBody),
        (status = 409, description = "A ticket that cannot be identified (no usable ticket number) or placed (no polygon, point or address): the specification's error document; the payload is kept as a dead letter", body = OpenTicketErrors),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 429, description = "Too many bodies being read for this center", body = ErrorBody),
        (status = 503, description = "Not durable: send again after Retry-After", body = ErrorBody),
    ),
    security((), ("bearer" = []))
)]
pub async fn openticket_webhook(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner();
    counted(
        &code,
        Format::Openticket,
        receive(&state, &code, Format::Openticket, &req, payload).await,
    )
}
