//! PagerDuty Events API v2 (contract §7): trigger on raise and escalation, acknowledge and
//! resolve after, `dedup_key` = the alert id.

use serde_json::{Value, json};

use super::http_post::post_json;
use super::notice::Notice;
use aegis_actors::records::SendResult;

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

pub async fn send(
    client: &reqwest::Client,
    url: &str,
    routing_key: &str,
    n: &Notice,
) -> SendResult {
    post_json(client, url, &pagerduty_body(n, routing_key)).await
}
