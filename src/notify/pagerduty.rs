//! PagerDuty Events API v2 (contract §7): a `trigger` opens (or re-triggers) the incident keyed
//! by the message's dedup key, `acknowledge` and `resolve` follow it, so the officer's phone and
//! Aegis agree. The body is JSON (serde escapes whatever a ticket says); the summary is cut to
//! the API's 1,024 characters.

use aegis_actors::records::SendResult;
use serde_json::{Value, json};

use super::http_post::Poster;
use super::integration::Integration;
use super::message::{Message, PagerAction};

/// PagerDuty caps an event's summary at this many characters.
const SUMMARY_CHARS: usize = 1_024;

#[derive(Debug, Clone)]
pub struct PagerDuty {
    http: Poster,
}

impl PagerDuty {
    pub fn new(http: Poster) -> Self {
        Self { http }
    }
}

/// An Events API endpoint and the integration's routing key.
#[derive(Debug, Clone)]
pub struct Route {
    pub url: String,
    pub routing_key: String,
}

/// The event for `m`.
pub fn body(m: &Message, routing_key: &str) -> Value {
    let mut body = json!({
        "routing_key": routing_key,
        "event_action": m.action.as_str(),
        "dedup_key": m.dedup_key,
    });
    if let PagerAction::Trigger { severity } = m.action {
        body["payload"] = json!({
            "summary": m.subject.chars().take(SUMMARY_CHARS).collect::<String>(),
            "source": "aegis",
            "severity": severity.as_str(),
            "custom_details": m.details,
        });
        if let Some(link) = &m.link {
            body["links"] = json!([{ "href": link.href, "text": link.label }]);
        }
    }
    body
}

impl Integration for PagerDuty {
    type Target = Route;

    async fn send(&self, route: &Route, message: &Message, _delivery_id: &str) -> SendResult {
        self.http
            .post_json(&route.url, &body(message, &route.routing_key))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::message::{Link, Severity};

    #[test]
    fn hostile_ticket_text_stays_data_and_the_summary_fits() {
        let m = Message {
            event: "alert.raised",
            subject: format!("\"}}, \"routing_key\": \"x\" {}", "é".repeat(2_000)),
            headline: String::new(),
            facts: vec![],
            reasons: vec![],
            text: String::new(),
            html: None,
            details: json!({ "remarks": "\",\"event_action\":\"resolve" }),
            payload: serde_json::Map::new(),
            dedup_key: "alert-1".into(),
            action: PagerAction::Trigger {
                severity: Severity::Critical,
            },
            link: Some(Link {
                href: "https://aegis.example/v1/ack/t".into(),
                label: "Acknowledge this alert",
            }),
        };
        let b = body(&m, "R0UTING");
        let wire = serde_json::to_vec(&b).unwrap();
        let back: Value = serde_json::from_slice(&wire).unwrap();
        assert_eq!(back["routing_key"], "R0UTING");
        assert_eq!(back["event_action"], "trigger");
        assert_eq!(back["dedup_key"], "alert-1");
        assert_eq!(
            back["payload"]["custom_details"]["remarks"],
            "\",\"event_action\":\"resolve"
        );
        let summary = back["payload"]["summary"].as_str().unwrap();
        assert_eq!(summary.chars().count(), SUMMARY_CHARS);
        assert_eq!(back["payload"]["severity"], "critical");
        assert_eq!(back["links"][0]["href"], "https://aegis.example/v1/ack/t");
        // Acknowledging carries no payload: PagerDuty takes only the key.
        let ack = body(
            &Message {
                action: PagerAction::Acknowledge,
                ..m
            },
            "R0UTING",
        );
        assert!(ack.get("payload").is_none() && ack.get("links").is_none());
    }
}
