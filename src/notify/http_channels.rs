//! The HTTP channels (contract §7): PagerDuty Events API v2, Slack incoming webhooks and
//! generic webhooks signed with Standard Webhooks headers. Each answer is classified the same
//! way: 2xx accepted; 408, 429, 5xx and transport errors (timeouts included) are worth
//! another attempt; any other 4xx is the receiver refusing this message for good.

use serde_json::{Value, json};

use super::notice::Notice;
use crate::intake::signature::sign_native;
use aegis_actors::records::SendResult;

/// Receivers' error bodies are kept only this long in the error.
const BODY_SNIPPET: usize = 200;

fn serialize(body: &Value) -> Result<Vec<u8>, SendResult> {
    serde_json::to_vec(body).map_err(|e| SendResult::Refused {
        error: format!("could not serialize the message: {e}"),
    })
}

async fn post_json(client: &reqwest::Client, url: &str, body: &Value) -> SendResult {
    match serialize(body) {
        Ok(bytes) => post(client, url, bytes, &[]).await,
        Err(refused) => refused,
    }
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

fn transport_error(e: &reqwest::Error) -> String {
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

/// PagerDuty Events API v2: trigger on raise and escalation, acknowledge and resolve after;
/// `dedup_key` is the alert id, so the incident on the officer's phone follows the alert.
pub fn pagerduty_body(n: &Notice, routing_key: &str) -> Value {
    let action = n.change.pagerduty_action();
    let mut body = json!({
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": n.facts.alert.id,
    });
    if action == "trigger" {
        let urgent = n.facts.ticket.kind.is_some_and(|k| k.is_urgent());
        let escalated = matches!(
            n.change,
            aegis_workflows::notification::Change::Escalated { .. }
        );
        body["payload"] = json!({
            // PagerDuty caps the summary at 1,024 characters.
            "summary": n.subject().chars().take(1_024).collect::<String>(),
            "source": "aegis",
            "severity": if urgent || escalated { "critical" } else { "error" },
            "custom_details": n.details(),
        });
        if let Some(url) = &n.ack_url {
            body["links"] = json!([{"href": url, "text": "Acknowledge in Aegis"}]);
        }
    }
    body
}

pub async fn pagerduty(
    client: &reqwest::Client,
    url: &str,
    routing_key: &str,
    n: &Notice,
) -> SendResult {
    post_json(client, url, &pagerduty_body(n, routing_key)).await
}

pub async fn slack(client: &reqwest::Client, url: &str, n: &Notice) -> SendResult {
    post_json(client, url, &json!({"text": n.slack_text()})).await
}

/// The generic webhook's body: `type`, the alert, the ticket, the score and the link.
pub fn webhook_body(n: &Notice) -> Value {
    json!({
        "type": n.change.webhook_type(),
        "alert": n.facts.alert,
        "ticket": n.facts.ticket,
        "score": n.facts.score,
        "ack_url": n.ack_url,
    })
}

/// Signed like a Standard Webhooks sender; `webhook-id` is the delivery id, the same on every
/// attempt, so the receiver can drop a repeat.
pub async fn webhook(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    delivery_id: &str,
    n: &Notice,
) -> SendResult {
    let bytes = match serialize(&webhook_body(n)) {
        Ok(b) => b,
        Err(refused) => return refused,
    };
    let ts = chrono::Utc::now().timestamp();
    let signature = sign_native(secret, delivery_id, ts, &bytes);
    post(
        client,
        url,
        bytes,
        &[
            ("webhook-id", delivery_id.to_owned()),
            ("webhook-timestamp", ts.to_string()),
            ("webhook-signature", signature),
        ],
    )
    .await
}
