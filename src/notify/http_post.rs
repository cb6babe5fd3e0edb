//! One HTTP POST of a notification, and what its answer means, shared by the HTTP channels
//! (`pagerduty`, `slack`, `webhook`): 2xx accepted; 408, 429, 5xx and transport errors
//! (timeouts included) are worth another attempt; any other 4xx is the receiver refusing this
//! message for good. Targets are operators' URLs, so they go out through the outbound policy.

use serde_json::Value;

use aegis_actors::records::SendResult;

use crate::outbound::Outbound;

/// Posts to operators' targets.
#[derive(Debug, Clone)]
pub struct Poster {
    http: reqwest::Client,
    outbound: Outbound,
}

impl Poster {
    /// `http` must come from `outbound.client`, which checks resolved names.
    pub fn new(http: reqwest::Client, outbound: Outbound) -> Self {
        Self { http, outbound }
    }

    pub async fn post_json(&self, url: &str, body: &Value) -> SendResult {
        match serialize(body) {
            Ok(bytes) => self.post(url, bytes, &[]).await,
            Err(refused) => refused,
        }
    }

    pub async fn post(&self, url: &str, bytes: Vec<u8>, headers: &[(&str, String)]) -> SendResult {
        let checked = reqwest::Url::parse(url)
            .map_err(|e| format!("not a URL: {e}"))
            .and_then(|u| self.outbound.check_literal(&u));
        if let Err(error) = checked {
            return SendResult::Refused { error };
        }
        post(&self.http, url, bytes, headers).await
    }
}

/// Receivers' error bodies are kept only this long in the error.
const BODY_SNIPPET: usize = 200;

pub fn serialize(body: &Value) -> Result<Vec<u8>, SendResult> {
    serde_json::to_vec(body).map_err(|e| SendResult::Refused {
        error: format!("could not serialize the message: {e}"),
    })
}

async fn post(
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
