//! Generic webhooks (contract §7): `{"type", …}` with the message's payload — for an alert its
//! alert, ticket, score and link; for missing tickets the reconciliation — as JSON (serde
//! escapes whatever a ticket says), signed with Standard Webhooks headers using the channel's
//! secret. `webhook-id` is the delivery id, the same on every attempt, so a receiver can drop
//! a repeat.

use aegis_actors::records::SendResult;
use serde_json::Value;

use super::http_post::{Poster, serialize};
use super::integration::Integration;
use super::message::Message;
use crate::formats::signature::sign_native;

#[derive(Debug, Clone)]
pub struct Webhook {
    http: Poster,
}

impl Webhook {
    pub fn new(http: Poster) -> Self {
        Self { http }
    }
}

/// A receiver's URL and the secret its deliveries are signed with.
#[derive(Debug, Clone)]
pub struct Signed {
    pub url: String,
    pub secret: String,
}

/// The body: `type` and the message's payload.
pub fn body(m: &Message) -> Value {
    let mut body = serde_json::Map::new();
    body.insert("type".into(), Value::String(m.event.to_owned()));
    for (k, v) in &m.payload {
        body.insert(k.clone(), v.clone());
    }
    Value::Object(body)
}

impl Integration for Webhook {
    type Target = Signed;

    async fn send(&self, to: &Signed, message: &Message, delivery_id: &str) -> SendResult {
        let bytes = match serialize(&body(message)) {
            Ok(b) => b,
            Err(refused) => return refused,
        };
        let ts = chrono::Utc::now().timestamp();
        let signature = sign_native(&to.secret, delivery_id, ts, &bytes);
        self.http
            .post(
                &to.url,
                bytes,
                &[
                    ("webhook-id", delivery_id.to_owned()),
                    ("webhook-timestamp", ts.to_string()),
                    ("webhook-signature", signature),
                ],
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::message::{PagerAction, Severity};

    #[test]
    fn hostile_ticket_text_is_data_in_a_body_that_verifies() {
        let mut payload = serde_json::Map::new();
        payload.insert(
            "ticket".into(),
            serde_json::json!({ "remarks": "\"}, \"type\": \"alert.resolved\", \"x\": {\"" }),
        );
        let m = Message {
            event: "alert.raised",
            subject: String::new(),
            headline: String::new(),
            facts: vec![],
            reasons: vec![],
            text: String::new(),
            html: None,
            details: Value::Null,
            payload,
            dedup_key: String::new(),
            action: PagerAction::Trigger {
                severity: Severity::Error,
            },
            link: None,
        };
        let bytes = serialize(&body(&m)).unwrap();
        let back: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back["type"], "alert.raised");
        assert_eq!(
            back["ticket"]["remarks"],
            "\"}, \"type\": \"alert.resolved\", \"x\": {\""
        );
        // A receiver checking the signature over what it received accepts it.
        let secret = "whsec_YWVnaXMtZGVtby1zZWNyZXQtMDEyMzQ1Njc4OWFiY2Q=";
        let signature = sign_native(secret, "d-1", 1_700_000_000, &bytes);
        assert!(
            crate::formats::signature::verify_native(
                &[secret.to_owned()],
                crate::formats::signature::NativeHeaders {
                    id: Some("d-1"),
                    timestamp: Some("1700000000"),
                    signature: Some(&signature),
                },
                &bytes,
                1_700_000_000,
                300,
            )
            .is_ok()
        );
    }
}
