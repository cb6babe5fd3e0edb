//! Reading request bodies: the size limit (refused by declared length when there is one, and
//! a moderately oversized body drained so the client reads the answer), a read timeout (a
//! stalled upload is cut off, `408`), chunks kept as they came until the body is whole (memory
//! held is what was sent, not a doubling buffer), a cap on a center's bodies read at once, and
//! the JSON media type. Webhooks, summaries, outcomes and the APIs' optional bodies share these.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, web};
use futures::StreamExt;

use super::error::ApiError;

/// Largest JSON body the officer and operator APIs read (notes, dispositions, outcomes);
/// webhooks read their own bodies under `http.max_body_bytes`.
pub const API_BODY_LIMIT: usize = 64 * 1024;

/// How much of a refused body is read and thrown away before answering 413, and for how long:
/// a client still writing when the connection closes on unread data gets a reset instead of
/// the answer, so a moderately oversized body is drained first (as a lingering close does).
/// 16 MiB covers an Open Ticket with a large embedded attachment (the specification allows
/// 20 MB each), so its center hears why instead of seeing a broken connection.
const DRAIN_BYTES: usize = 16 * 1024 * 1024;
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

/// Reads the body, refusing more than `limit` bytes (by its declared length when it has one)
/// and cutting off a body still arriving after `timeout`.
pub async fn read_body(
    mut payload: web::Payload,
    req: &HttpRequest,
    limit: usize,
    timeout: Duration,
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
    let read = async {
        let mut chunks: Vec<web::Bytes> = Vec::new();
        let mut size = 0usize;
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|e| ApiError::malformed(format!("could not read the body: {e}")))?;
            size += chunk.len();
            if size > limit {
                drain(&mut payload).await;
                return Err(too_large());
            }
            chunks.push(chunk);
        }
        Ok(match chunks.len() {
            1 => chunks.swap_remove(0),
            _ => web::Bytes::from(chunks.concat()),
        })
    };
    match tokio::time::timeout(timeout, read).await {
        Ok(body) => body,
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "REQUEST_TIMEOUT",
            format!(
                "the body did not arrive within {} ms; send it again",
                timeout.as_millis()
            ),
        )
        .closing()),
    }
}

/// The request's media type, lower-cased without parameters (`application/json`).
pub fn media_type(req: &HttpRequest) -> String {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The `Content-Type` as sent, when it is JSON; 415 otherwise.
pub fn require_json(req: &HttpRequest) -> Result<String, ApiError> {
    if media_type(req) == "application/json" {
        Ok(req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send JSON with 'Content-Type: application/json'",
        ))
    }
}

/// A slot to read one of `center`'s bodies in, or `503` when all are taken.
pub fn slot(
    slots: &crate::web::body_slots::BodySlots,
    center: &str,
) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
    slots.take(center).ok_or_else(|| {
        ApiError::unavailable(
            "too many of this center's deliveries are arriving at once; send it again shortly",
            1,
        )
        .closing()
    })
}
