//! Reading request bodies: the size limit (refused by declared length when there is one, and
//! a moderately oversized body drained so the client reads the answer), and the JSON media
//! type. Webhooks, summaries, outcomes and the optional JSON bodies of the APIs share these.

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
