//! What the `operators` roster is told when a center's daily summary lists tickets that never
//! arrived (contract §9: missing tickets reach operators like alerts reach officers): which
//! center, station and day, the missing tickets, and where to look — on every channel kind.
//! The delivery rows carry the reconciliation's id where an alert's would be, and no workflow.

use serde_json::{Value, json};

use aegis_actors::records::{Channel, SendResult};

use super::http_post::post_json;
use crate::db::reconciliations::ReconciliationView;

/// The delivery `change` of an operators' notice about missing tickets.
pub const MISSING_TICKETS: &str = "missing-tickets";

pub struct OperatorNotice {
    pub subject: String,
    pub text: String,
    pub details: Value,
    /// PagerDuty's `dedup_key`: one incident per summary.
    pub key: String,
}

impl OperatorNotice {
    pub fn missing(r: &ReconciliationView, public_url: &str) -> Self {
        let tickets: Vec<String> = r
            .missing
            .iter()
            .map(|m| format!("{}-{:03}", m.ticket_number, m.revision))
            .collect();
        let subject = format!(
            "[MISSING TICKETS] {} ticket(s) from {} (station {}, {}) never arrived",
            tickets.len(),
            r.center,
            r.station,
            r.date
        );
        let text = format!(
            "The daily summary of center {} for station {} on {} lists {} ticket(s) Aegis never \
             received, so nobody has assessed those digs:\n\n{}\n\nAsk the center to send them \
             again. {} listed, TOTAL {}{}.\n\n{}/admin/missing",
            r.center,
            r.station,
            r.date,
            tickets.len(),
            tickets
                .iter()
                .map(|t| format!("  {t}"))
                .collect::<Vec<_>>()
                .join("\n"),
            r.listed,
            r.total,
            if r.count_mismatch {
                " (the count disagrees with the list)"
            } else {
                ""
            },
            public_url
        );
        Self {
            subject,
            text,
            details: json!({
                "center": r.center, "station": r.station, "date": r.date,
                "missing": r.missing, "listed": r.listed, "total": r.total,
                "count_mismatch": r.count_mismatch,
            }),
            key: format!("missing:{}", r.id),
        }
    }

    /// Sends the notice on one channel; `delivery_id` is the key receivers de-duplicate by.
    pub async fn send(
        &self,
        http: &reqwest::Client,
        mailer: Option<&super::email::Mailer>,
        channel: &Channel,
        delivery_id: &str,
    ) -> SendResult {
        match channel {
            Channel::Email { address } => match mailer {
                Some(m) => {
                    m.send_plain(address, delivery_id, &self.subject, &self.text)
                        .await
                }
                None => SendResult::Refused {
                    error: "no mail relay is configured (notify.smtp_url)".into(),
                },
            },
            Channel::Slack { url } => {
                let text = format!("*{}*\n{}", self.subject, self.text);
                post_json(http, url, &json!({ "text": text })).await
            }
            Channel::Pagerduty { url, routing_key } => {
                let body = json!({
                    "routing_key": routing_key,
                    "event_action": "trigger",
                    "dedup_key": self.key,
                    "payload": {
                        "summary": self.subject.chars().take(1_024).collect::<String>(),
                        "source": "aegis",
                        "severity": "critical",
                        "custom_details": self.details,
                    },
                });
                post_json(http, url, &body).await
            }
            Channel::Webhook { url, secret } => {
                let body = json!({ "type": "tickets.missing", "reconciliation": self.details });
                super::webhook::send_signed(http, url, secret, delivery_id, &body).await
            }
        }
    }
}
