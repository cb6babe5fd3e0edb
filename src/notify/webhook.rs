//! Generic webhooks (contract §7): the alert, ticket, score and link as JSON, signed with
//! Standard Webhooks headers using the channel's secret.

use serde_json::{Value, json};

use super::http_post::{post, serialize};
use super::notice::Notice;
use crate::intake::signature::sign_native;
use aegis_actors::records::SendResult;

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
pub async fn send(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    delivery_id: &str,
    n: &Notice,
) -> SendResult {
    send_signed(client, url, secret, delivery_id, &webhook_body(n)).await
}

/// Posts `body` signed with the channel's secret (alerts and operators' notices alike).
pub async fn send_signed(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    delivery_id: &str,
    body: &Value,
) -> SendResult {
    let bytes = match serialize(body) {
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
