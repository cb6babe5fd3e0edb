//! E-mail through an SMTP relay (lettre): the message's plain text, and its HTML alternative
//! when it has one. Nothing from a ticket reaches a header line as a line break: the subject is
//! one line, control characters turned to spaces. The HTML was built escaped (maud). The
//! Message-ID is the delivery id, the same on every attempt, so a repeat after a crash can be
//! recognised by the mail system and the reader's client.

use std::time::Duration;

use aegis_actors::records::SendResult;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message as Mail, Tokio1Executor};

use super::integration::Integration;
use super::message::Message;

#[derive(Clone)]
pub struct Mailer {
    transport: std::sync::Arc<Transport>,
    from: Mailbox,
}

/// lettre's SMTP transport, whose connection pool closes its connections on a task of the
/// tokio runtime when dropped. When the last reference goes while the process ends (the
/// runtime already shut down), there is nothing to run that task on and lettre would panic; the
/// pool is left to the exit instead, which closes the connections anyway.
struct Transport(Option<AsyncSmtpTransport<Tokio1Executor>>);

impl Drop for Transport {
    fn drop(&mut self) {
        if let Some(t) = self.0.take()
            && tokio::runtime::Handle::try_current().is_err()
        {
            std::mem::forget(t);
        }
    }
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

/// A header value from text that may hold anything: one line, no control characters.
pub fn header_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl Mailer {
    /// `url` is `notify.smtp_url` (checked at load).
    pub fn new(url: &str, from: &str, timeout: Duration) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            // lettre's error names the URL, which may hold the relay's password.
            .map_err(|_| anyhow::anyhow!("notify.smtp_url is not a usable SMTP URL"))?
            .timeout(Some(timeout))
            .build();
        let from = from
            .parse()
            .map_err(|e| anyhow::anyhow!("notify.from '{from}': {e}"))?;
        Ok(Self {
            transport: std::sync::Arc::new(Transport(Some(transport))),
            from,
        })
    }

    /// The e-mail for `m` to `to`.
    pub fn mail(&self, to: &str, delivery_id: &str, m: &Message) -> Result<Mail, SendResult> {
        let to: Mailbox = to.parse().map_err(|e| SendResult::Refused {
            error: format!("the address is not usable: {e}"),
        })?;
        let builder = Mail::builder()
            .from(self.from.clone())
            .to(to)
            .subject(header_text(&m.subject))
            .message_id(Some(format!("<{delivery_id}@aegis>")));
        let built = match &m.html {
            Some(html) => builder.multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(m.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(html.clone()),
                    ),
            ),
            None => builder.header(ContentType::TEXT_PLAIN).body(m.text.clone()),
        };
        built.map_err(|e| SendResult::Refused {
            error: format!("could not build the message: {e}"),
        })
    }
}

impl Integration for Mailer {
    /// The recipient's address.
    type Target = str;

    async fn send(&self, to: &str, message: &Message, delivery_id: &str) -> SendResult {
        let mail = match self.mail(to, delivery_id, message) {
            Ok(m) => m,
            Err(refused) => return refused,
        };
        let Some(transport) = &self.transport.0 else {
            return SendResult::Transient {
                error: "the mail transport is shutting down".into(),
            };
        };
        match transport.send(mail).await {
            Ok(_) => SendResult::Accepted,
            // 5xx: the relay refuses this message (an unknown mailbox, say); anything else
            // (4xx, a lost connection, a timeout) may pass later.
            Err(e) if e.is_permanent() => SendResult::Refused {
                error: format!("the mail relay refused it: {e}"),
            },
            Err(e) => SendResult::Transient {
                error: format!("the mail relay did not take it: {e}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::message::{PagerAction, Severity};

    // The transport's connection pool lives on a tokio runtime, even unused.
    #[tokio::test]
    async fn ticket_text_cannot_add_a_header_and_html_stays_escaped() {
        let mailer = Mailer::new(
            "smtp://127.0.0.1:2525",
            "Aegis <aegis@example.org>",
            Duration::from_secs(1),
        )
        .unwrap();
        let html = maud::html! { p { "<script>alert(1)</script>" } }.into_string();
        let m = Message {
            event: "alert.raised",
            subject: "[HIGH RISK] Main St\r\nBcc: everyone@example.org\r\n\r\nfake body".into(),
            headline: String::new(),
            facts: vec![],
            reasons: vec![],
            text: "Remarks: hello\r\n.\r\nMAIL FROM:<x@y>".into(),
            html: Some(html),
            details: serde_json::Value::Null,
            payload: serde_json::Map::new(),
            dedup_key: String::new(),
            action: PagerAction::Trigger {
                severity: Severity::Error,
            },
            link: None,
        };
        let raw = String::from_utf8(
            mailer
                .mail("dana@example.org", "d-1", &m)
                .unwrap()
                .formatted(),
        )
        .unwrap();
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(
            !headers
                .lines()
                .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
            "{headers}"
        );
        assert!(headers.contains("Subject: [HIGH RISK] Main St  Bcc: everyone@example.org"));
        assert!(!raw.contains("<script>"), "{raw}");
        assert!(raw.contains("&lt;script&gt;"), "{raw}");
    }
}
