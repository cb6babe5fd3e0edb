//! E-mail through an SMTP relay (lettre): plain text and HTML alternatives of the same notice.
//! The Message-ID is the delivery id, the same on every attempt, so a repeat after a crash can
//! be recognised by the mail system and the reader's client.

use std::time::Duration;

use aegis_actors::records::SendResult;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::notice::Notice;

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
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
        Ok(Self { transport, from })
    }

    pub fn message(&self, to: &str, delivery_id: &str, n: &Notice) -> Result<Message, SendResult> {
        let to: Mailbox = to.parse().map_err(|e| SendResult::Refused {
            error: format!("the address is not usable: {e}"),
        })?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(n.subject())
            .message_id(Some(format!("<{delivery_id}@aegis>")))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(n.text()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(n.html().into_string()),
                    ),
            )
            .map_err(|e| SendResult::Refused {
                error: format!("could not build the message: {e}"),
            })
    }

    pub async fn send(&self, to: &str, delivery_id: &str, n: &Notice) -> SendResult {
        match self.message(to, delivery_id, n) {
            Ok(m) => self.deliver(m).await,
            Err(refused) => refused,
        }
    }

    /// A plain-text message (operators' notices), Message-ID the delivery id.
    pub async fn send_plain(
        &self,
        to: &str,
        delivery_id: &str,
        subject: &str,
        text: &str,
    ) -> SendResult {
        let to: Mailbox = match to.parse() {
            Ok(t) => t,
            Err(e) => {
                return SendResult::Refused {
                    error: format!("the address is not usable: {e}"),
                };
            }
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{delivery_id}@aegis>")))
            .header(ContentType::TEXT_PLAIN)
            .body(text.to_owned());
        match message {
            Ok(m) => self.deliver(m).await,
            Err(e) => SendResult::Refused {
                error: format!("could not build the message: {e}"),
            },
        }
    }

    async fn deliver(&self, message: Message) -> SendResult {
        match self.transport.send(message).await {
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
