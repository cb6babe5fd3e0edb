//! Call-center webhooks (contract §1): native JSON signed per Standard Webhooks, and USA North
//! 811 OneCallAccess. A 2xx is sent only once the ticket is durable.

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use aegis_actors::records::{DeadLetterRecord, IntakeOutcome};
use aegis_actors::services::intake::{Admit, AdmitError};
use futures::StreamExt;
use serde::Serialize;
use serde_json::json;

use super::error::ApiError;
use super::state::AppState;
use crate::db::centers::CenterAuth;
use crate::intake::signature::{self, NativeHeaders, SignatureError};
use crate::intake::{ParseError, Parsed, content_hash, native, onecall};
use crate::telemetry::names;

/// The answer to an accepted or repeated delivery.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookAnswer {
    pub workflow_id: String,
    pub center: String,
    pub ticket_number: String,
    pub revision: u32,
    pub state: String,
    pub duplicate: bool,
    /// OneCall only: this revision was already received with other content; the delivery is
    /// kept as a `revision_conflict` dead letter for operators.
    pub conflict: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Native,
    Onecall,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Native => "native",
            Self::Onecall => "onecall",
        }
    }
}

fn record(center: &str, format: Format, outcome: &str) {
    metrics::counter!(names::WEBHOOK_OUTCOMES, "center" => center.to_owned(), "format" => format.as_str(), "outcome" => outcome.to_owned())
        .increment(1);
}

/// Counts a refused delivery by its error code (503s are counted where they are decided). An
/// unknown center is counted as `unknown`, so that made-up codes cannot grow the label set.
fn counted(
    state: &AppState,
    code: &str,
    format: Format,
    result: Result<HttpResponse, ApiError>,
) -> Result<HttpResponse, ApiError> {
    if result.is_ok() {
        state.last_deliveries.note(code, state.clock.now());
    }
    if let Err(e) = &result
        && e.code != "UNAVAILABLE"
    {
        let label = if e.code == "UNKNOWN_CENTER" {
            "unknown"
        } else {
            code
        };
        record(label, format, e.code);
    }
    result
}

/// How much of a refused body is read and thrown away before answering 413, and for how long:
/// a client still writing when the connection closes on unread data gets a reset instead of
/// the answer, so a moderately oversized body is drained first (as a lingering close does).
const DRAIN_BYTES: usize = 8 * 1024 * 1024;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(2);

async fn drain(payload: &mut web::Payload) {
    let mut seen = 0usize;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while seen < DRAIN_BYTES {
            match payload.next().await {
                Some(Ok(chunk)) => seen += chunk.len(),
                _ => break,
            }
        }
    })
    .await;
}

/// Reads the body, refusing more than `limit` bytes (by its declared length when it has one).
pub async fn read_body(
    mut payload: web::Payload,
    req: &HttpRequest,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("the body is larger than {limit} bytes"),
        )
    };
    if let Some(len) = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && len > limit
    {
        drain(&mut payload).await;
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::malformed(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            drain(&mut payload).await;
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

pub(super) fn require_json(req: &HttpRequest) -> Result<String, ApiError> {
    let ct = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" {
        Ok(ct)
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send JSON with 'Content-Type: application/json'",
        ))
    }
}

/// A signature check's refusal as the contract's answer.
pub(super) fn signature_error(e: SignatureError) -> ApiError {
    match e {
        SignatureError::Missing(h) => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "SIGNATURE_MISSING",
            format!("the {h} header is missing"),
        ),
        SignatureError::Invalid => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "SIGNATURE_INVALID",
            "the signature does not match any secret of this center",
        ),
        SignatureError::OutOfTolerance(t) => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "TIMESTAMP_OUT_OF_TOLERANCE",
            format!("webhook-timestamp is more than {t} seconds from now"),
        ),
    }
}

/// Checks a body signed as `center`'s webhooks are: Standard Webhooks headers for a native
/// center, `X-OneCall-Webhook-Signature` for a OneCall one.
pub(super) fn verify_signed(
    state: &AppState,
    center: &CenterAuth,
    req: &HttpRequest,
    body: &[u8],
) -> Result<(), ApiError> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    match center.format {
        crate::db::centers::CenterFormat::Native => signature::verify_native(
            &center.secrets,
            NativeHeaders {
                id: header("webhook-id"),
                timestamp: header("webhook-timestamp"),
                signature: header("webhook-signature"),
            },
            body,
            chrono::Utc::now().timestamp(),
            state.settings.webhooks.tolerance_secs,
        ),
        crate::db::centers::CenterFormat::Onecall => {
            signature::verify_onecall(&center.secrets, header("x-onecall-webhook-signature"), body)
        }
    }
    .map_err(signature_error)
}

pub async fn center_of(state: &AppState, code: &str) -> Result<CenterAuth, ApiError> {
    state.centers.get(&state.db, code).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "UNKNOWN_CENTER",
            format!("no call center is registered as '{code}'"),
        )
    })
}

/// Keeps an unreadable payload for operators, then answers 400. If it cannot even be kept,
/// the caller gets 503 and sends it again: nothing is dropped silently.
/// A dead letter id derived from its content, so the same letter sent again is kept once.
pub(super) fn content_id(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    let digest = h.finalize();
    let mut id_bytes = [0u8; 16];
    id_bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(id_bytes)
        .into_uuid()
        .to_string()
}

/// Keeps a delivery whose ticket and revision were already received with other content, so an
/// operator sees the changed ticket (contract §9); its id is its content's, so a center's
/// retries keep it once.
async fn keep_conflict(
    state: &AppState,
    format: Format,
    center: &CenterAuth,
    workflow_id: &str,
    body: &[u8],
    content_type: &str,
    what: String,
) -> Result<(), ApiError> {
    let dead = DeadLetterRecord {
        id: content_id(&[
            b"revision_conflict",
            center.code.as_bytes(),
            format.as_str().as_bytes(),
            body,
        ]),
        kind: "revision_conflict".into(),
        format: Some(format.as_str().to_owned()),
        center: Some(center.code.clone()),
        workflow_id: Some(workflow_id.to_owned()),
        error: what,
        payload: body.to_vec(),
        content_type: Some(content_type.to_owned()),
        created_at: state.clock.now(),
    };
    use aegis_actors::ports::store::Store;
    state.store.dead_letter(dead).await?;
    metrics::counter!(names::DEAD_LETTERED, "kind" => "revision_conflict").increment(1);
    Ok(())
}

async fn reject_unidentifiable(
    state: &AppState,
    format: Format,
    center: &CenterAuth,
    body: &[u8],
    content_type: &str,
    err: ParseError,
) -> ApiError {
    // The id is the content's: a center replaying the same payload finds it already kept.
    let dead = DeadLetterRecord {
        id: content_id(&[center.code.as_bytes(), format.as_str().as_bytes(), body]),
        kind: "unidentifiable".into(),
        format: Some(format.as_str().to_owned()),
        center: Some(center.code.clone()),
        workflow_id: None,
        error: err.to_string(),
        payload: body.to_vec(),
        content_type: Some(content_type.to_owned()),
        created_at: state.clock.now(),
    };
    use aegis_actors::ports::store::Store;
    match state.store.dead_letter(dead).await {
        Ok(()) => {
            metrics::counter!(names::DEAD_LETTERED, "kind" => "unidentifiable").increment(1);
            ApiError::malformed(format!("the payload is not an identifiable ticket: {err}"))
        }
        Err(e) => e.into(),
    }
}

/// The parsed ticket, or, for a payload that is not an identifiable ticket, the 400 answer
/// once the payload is kept as a dead letter.
async fn identified(
    state: &AppState,
    format: Format,
    center: &CenterAuth,
    body: &[u8],
    content_type: &str,
    parsed: Result<Parsed, ParseError>,
) -> Result<Parsed, ApiError> {
    match parsed {
        Ok(p) => Ok(p),
        Err(e) => Err(reject_unidentifiable(state, format, center, body, content_type, e).await),
    }
}

/// Makes a parsed ticket durable through intake; answers the outcome and the ticket's content hash.
pub async fn intake(
    state: &AppState,
    center: &CenterAuth,
    format: Format,
    parsed: Parsed,
    delivery_id: String,
    body: web::Bytes,
    content_type: String,
) -> Result<(IntakeOutcome, String), ApiError> {
    let ticket = parsed.ticket;
    let (ticket_json, content_hash) =
        crate::intake::normalized(&ticket).map_err(ApiError::internal)?;
    let msg = Admit {
        center_id: center.id,
        center: center.code.clone(),
        delivery_id,
        format: format.as_str().to_owned(),
        content_hash: content_hash.clone(),
        ticket_json,
        ticket,
        raw_payload: body.to_vec(),
        content_type,
    };
    // Every refusal is a 503 decided by intake: in-flight bound, work backlog, the store.
    match state.runtime.intake.admit(msg).await {
        Ok(o) => Ok((o, content_hash)),
        Err(e) => {
            record(&center.code, format, "UNAVAILABLE");
            Err(match e {
                AdmitError::Busy | AdmitError::Overloaded => ApiError::unavailable(
                    "Aegis is busy; send the ticket again shortly",
                    if e == AdmitError::Busy { 1 } else { 2 },
                ),
                AdmitError::Store(s) => s.into(),
            })
        }
    }
}

async fn admit(
    state: &AppState,
    center: &CenterAuth,
    format: Format,
    parsed: Parsed,
    delivery_id: String,
    body: web::Bytes,
    content_type: String,
) -> Result<HttpResponse, ApiError> {
    let (number, revision) = (parsed.ticket.ticket_number.clone(), parsed.ticket.revision);
    // The hash comes back from intake, which computed it: the ticket is serialized once.
    let (outcome, new_hash) = intake(
        state,
        center,
        format,
        parsed,
        delivery_id,
        body.clone(),
        content_type.clone(),
    )
    .await?;
    let answer = |workflow_id: String, state: &str, duplicate: bool| WebhookAnswer {
        workflow_id,
        center: center.code.clone(),
        ticket_number: number.clone(),
        revision,
        state: state.to_owned(),
        duplicate,
        conflict: false,
    };
    match outcome {
        IntakeOutcome::Accepted { workflow_id } => {
            record(&center.code, format, "accepted");
            tracing::info!(center = %center.code, ticket = %number, revision, workflow_id = %workflow_id, "ticket received");
            Ok(HttpResponse::Accepted().json(answer(workflow_id, "received", false)))
        }
        IntakeOutcome::Duplicate { workflow_id, state } => {
            record(&center.code, format, "duplicate");
            Ok(HttpResponse::Ok().json(answer(workflow_id, state.as_str(), true)))
        }
        IntakeOutcome::RevisionConflict { workflow_id } => {
            record(&center.code, format, "TICKET_REVISION_CONFLICT");
            let id = workflow_id.clone();
            let stored = state
                .db
                .with_read(move |c| crate::db::read::ticket_content_hash(c, &id))
                .await?
                .unwrap_or_default();
            let what = format!(
                "ticket {number} revision {revision} was already received with other content (stored sha256 {stored}, this delivery sha256 {new_hash})"
            );
            // Kept before answering: a 2xx (OneCall) or a 409 both mean it is durable now.
            keep_conflict(
                state,
                format,
                center,
                &workflow_id,
                &body,
                &content_type,
                what.clone(),
            )
            .await?;
            match format {
                // USA North 811 retries a non-2xx ten times and gives up into its failed queue:
                // the conflict is kept, so say so with a 200.
                Format::Onecall => {
                    let mut a = answer(workflow_id, "conflict", false);
                    a.conflict = true;
                    Ok(HttpResponse::Ok().json(a))
                }
                Format::Native => Err(ApiError::conflict("TICKET_REVISION_CONFLICT", what)
                    .with_details(json!({ "workflow_id": workflow_id, "ticket_number": number, "revision": revision }))),
            }
        }
    }
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
        (status = 400, description = "Not identifiable as a ticket (kept as a dead letter)", body = super::openapi::ErrorBody),
        (status = 401, description = "Signature missing, invalid or stale", body = super::openapi::ErrorBody),
        (status = 404, description = "Unknown center", body = super::openapi::ErrorBody),
        (status = 409, description = "Same ticket and revision, different content (the delivery is kept for operators)", body = super::openapi::ErrorBody),
        (status = 413, description = "Body too large", body = super::openapi::ErrorBody),
        (status = 415, description = "Not JSON", body = super::openapi::ErrorBody),
        (status = 503, description = "Not durable: send again after Retry-After", body = super::openapi::ErrorBody),
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
        &state,
        &code,
        Format::Native,
        native_inner(&state, &code, &req, payload).await,
    )
}

async fn native_inner(
    state: &AppState,
    code: &str,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let center = center_of(state, code).await?;
    let content_type = require_json(req)?;
    let body = read_body(payload, req, state.settings.http.max_body_bytes).await?;
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let headers = NativeHeaders {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
    };
    signature::verify_native(
        &center.secrets,
        headers,
        &body,
        chrono::Utc::now().timestamp(),
        state.settings.webhooks.tolerance_secs,
    )
    .map_err(signature_error)?;
    // `verify_native` refuses a delivery without `webhook-id`: it is there.
    let delivery_id = headers.id.unwrap_or_default().to_owned();
    let parsed = identified(
        state,
        Format::Native,
        &center,
        &body,
        &content_type,
        native::parse(&body),
    )
    .await?;
    admit(
        state,
        &center,
        Format::Native,
        parsed,
        delivery_id,
        body,
        content_type,
    )
    .await
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
        (status = 400, description = "Not identifiable as a ticket (kept as a dead letter)", body = super::openapi::ErrorBody),
        (status = 401, description = "Signature missing or invalid", body = super::openapi::ErrorBody),
        (status = 404, description = "Unknown center", body = super::openapi::ErrorBody),
        (status = 409, description = "Same ticket and revision, different content", body = super::openapi::ErrorBody),
        (status = 413, description = "Body too large", body = super::openapi::ErrorBody),
        (status = 415, description = "Not JSON", body = super::openapi::ErrorBody),
        (status = 503, description = "Not durable: send again after Retry-After", body = super::openapi::ErrorBody),
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
        &state,
        &code,
        Format::Onecall,
        onecall_inner(&state, &code, &req, payload).await,
    )
}

async fn onecall_inner(
    state: &AppState,
    code: &str,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let center = center_of(state, code).await?;
    let content_type = require_json(req)?;
    let body = read_body(payload, req, state.settings.http.max_body_bytes).await?;
    let header = req
        .headers()
        .get("x-onecall-webhook-signature")
        .and_then(|v| v.to_str().ok());
    signature::verify_onecall(&center.secrets, header, &body).map_err(signature_error)?;
    let parsed = identified(
        state,
        Format::Onecall,
        &center,
        &body,
        &content_type,
        onecall::parse(&body),
    )
    .await?;
    // Without a notification id, the ticket's own content identifies the delivery.
    let delivery_id = match parsed.delivery_id.clone() {
        Some(id) => id,
        None => format!(
            "content:{}",
            content_hash(&parsed.ticket).map_err(ApiError::internal)?
        ),
    };
    let sequence = parsed.sequence.clone();
    let answer = admit(
        state,
        &center,
        Format::Onecall,
        parsed,
        delivery_id.clone(),
        body,
        content_type,
    )
    .await?;
    if let Some((station, number)) = sequence {
        mark_sequence(state, &center.code, &delivery_id, &station, number).await;
    }
    Ok(answer)
}

/// Notes a delivery's sequence number (once per delivery), for gap detection. The ticket is
/// already durable and answered for; a failure here is logged and the center's next retry or
/// delivery notes it again.
async fn mark_sequence(state: &AppState, center: &str, delivery: &str, station: &str, n: u64) {
    let (c, d, s, at) = (
        center.to_owned(),
        delivery.to_owned(),
        station.to_owned(),
        state.clock.now(),
    );
    let Ok(n) = i64::try_from(n) else {
        tracing::warn!(
            center,
            station,
            "a sequence number beyond i64 is not tracked"
        );
        return;
    };
    if let Err(e) = state
        .store
        .writer()
        .run(move |tx| crate::db::sequence_gaps::mark(tx, &c, &d, &s, n, at))
        .await
    {
        tracing::warn!(center, station, error = %e, "could not note a delivery's sequence number");
    }
}
