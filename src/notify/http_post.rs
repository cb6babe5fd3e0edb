//! One HTTP POST of a notification, and what its answer means, shared by the HTTP channels
//! (`pagerduty`, `slack`, `webhook`): 2xx accepted; 408, 429, 5xx and transport errors
//! (timeouts included) are worth another attempt; any other 4xx is the receiver refusing this
//! message for good.

use serde_json::Value;

use aegis_actors::records::SendResult;

/// Receivers' error bodies are kept only this long in the error.
const BODY_SNIPPET: usize = 200;

pub fn serialize(body: &Value) -> Result<Vec<u8>, SendResult> {
    serde_json::to_vec(body).map_err(|e| SendResult::Refused {
        error: format!("could not serialize the message: {e}"),
    })
}

pub async fn post_json(client: &reqwest::Client, url: &str, body: &Value) -> SendResult {
    match serialize(body) {
        Ok(bytes) => post(client, url, bytes, &[]).await,
        Err(refused) => refused,
    }
}

pub async fn post(
    client: &reqwest::Client,
    url: &str,
    bytes: Vec<u8>,
    headers: &[(&str, String)],
) -> SendResult {
    let mut req = client
        .post(url)
        .header("content-type", "application/json")
        .body(bytes);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    match req.send().await {
        Ok(resp) => {
            let status = resp.status();
            if status.is_success() {
                return SendResult::Accepted;
            }
            let text = resp.text().await.unwrap_or_default();
            let snippet: String = text.chars().take(BODY_SNIPPET).collect();
            let error = format!("HTTP {}: {}", status.as_u16(), snippet.trim());
            if status.as_u16() == 408 || status.as_u16() == 429 || status.is_server_error() {
                SendResult::Transient { error }
            } else {
                SendResult::Refused { error }
            }
        }
        // A timeout, a refused connection, a reset: the receiver may be back soon. The URL is
        // left out: for Slack it is the secret.
        Err(e) => SendResult::Transient {
            error: transport_error(&e),
        },
    }
}

pub(crate) fn transport_error(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "transport error"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {detail}")
    }
}
