//! A call center's delivery of a ticket (contract §1): checked against the center's secrets,
//! read in the center's format, kept as a dead letter when it is not an identifiable ticket,
//! and admitted by the runtime — durable before anyone is told it was received. A ticket
//! already received with other content is kept for operators as a `revision_conflict`.

use aegis_actors::ports::StoreError;
use aegis_actors::records::{DeadLetterKind, DeadLetterRecord, IntakeOutcome};
use aegis_actors::services::admission::{Admit, AdmitError};
use aegis_workflows::lifecycle::State;
use serde_json::json;

use super::errors::{Kind, Refusal, refusal};
use super::{App, Service};
use crate::db::centers::{CenterAuth, CenterFormat};
use crate::formats::signature::{self, NativeHeaders, SignatureError};
use crate::formats::{ParseError, Parsed, content_hash, native, onecall, openticket};
use crate::telemetry::names;

/// The formats a ticket arrives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Native,
    Onecall,
    Openticket,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Native => "native",
            Self::Onecall => "onecall",
            Self::Openticket => "openticket",
        }
    }

    /// The format a kept payload was received in (`None`: kept before formats were named).
    pub fn parse_name(s: Option<&str>) -> Self {
        match s {
            Some("onecall") => Self::Onecall,
            Some("openticket") => Self::Openticket,
            _ => Self::Native,
        }
    }

    /// Reads a delivery; `tz` is the zone the center's zoneless times are in.
    pub(super) fn parse(self, body: &[u8], tz: chrono_tz::Tz) -> Result<Parsed, ParseError> {
        match self {
            Self::Native => native::parse(body),
            Self::Onecall => onecall::parse(body),
            Self::Openticket => openticket::parse(body, openticket::Context { tz }),
        }
    }

    /// How a delivery on this format's route proves its center sent it.
    fn signed_as(self) -> CenterFormat {
        match self {
            Self::Native => CenterFormat::Native,
            Self::Onecall => CenterFormat::Onecall,
            Self::Openticket => CenterFormat::Openticket,
        }
    }
}

/// The signature headers a delivery came with (whichever its center's format uses).
#[derive(Debug, Clone, Default)]
pub struct Signed {
    pub webhook_id: Option<String>,
    pub webhook_timestamp: Option<String>,
    pub webhook_signature: Option<String>,
    pub onecall_signature: Option<String>,
    /// `Authorization` (Open Ticket centers send `Bearer <secret>`).
    pub authorization: Option<String>,
}

/// One delivery as it arrived.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub format: Format,
    pub body: bytes::Bytes,
    pub content_type: String,
    pub signed: Signed,
}

/// What became of a delivery that was identified as a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Durable as a new workflow.
    Accepted { workflow_id: String },
    /// Received before (same delivery id or same content).
    Duplicate { workflow_id: String, state: State },
    /// This revision was received before with other content; the delivery is kept as a
    /// `revision_conflict` dead letter, `what` says so in words.
    Conflict { workflow_id: String, what: String },
}

/// What admission does with a delivery that contradicts a received revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OnConflict {
    /// Keep it as a `revision_conflict` dead letter before answering.
    Keep,
    /// Only report it: the caller admits it another way.
    Report,
}

/// A delivery's ticket number and revision, and what became of it.
#[derive(Debug, Clone)]
pub struct ReceivedTicket {
    pub ticket_number: String,
    pub revision: u32,
    pub outcome: Received,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error("no call center is registered as '{0}'")]
    UnknownCenter(String),
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Not an identifiable ticket; the payload is kept as a dead letter.
    #[error("the payload is not an identifiable ticket: {0}")]
    Unidentifiable(ParseError),
    /// Too much in flight or waiting: nothing was kept.
    #[error("Aegis is busy; send the ticket again shortly")]
    Busy { retry_after: u64 },
    #[error("the ticket cannot be stored: {0}")]
    Unserializable(String),
    /// The center's time zone in the configuration does not name one (checked at start-up,
    /// so only a configuration changed underneath a running node gets here).
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

refusal!(ReceiveError, self => match self {
    Self::UnknownCenter(_) => {
        Refusal::new(Kind::NotFound, "UNKNOWN_CENTER", self.to_string())
    }
    Self::Signature(e) => signature_refusal(e),
    Self::Unidentifiable(_) => Refusal::malformed(self.to_string()),
    Self::Busy { retry_after } => Refusal::unavailable(self.to_string(), *retry_after),
    Self::Unserializable(e) | Self::Config(e) => Refusal::internal(e),
    Self::Store(e) => e.refusal(),
});

/// A signature check's refusal, in the contract's codes.
pub fn signature_refusal(e: &SignatureError) -> Refusal {
    match e {
        SignatureError::Missing(h) => Refusal::new(
            Kind::Unauthenticated,
            "SIGNATURE_MISSING",
            format!("the {h} header is missing"),
        ),
        SignatureError::Invalid => Refusal::new(
            Kind::Unauthenticated,
            "SIGNATURE_INVALID",
            "the signature does not match any secret of this center",
        ),
        SignatureError::OutOfTolerance(t) => Refusal::new(
            Kind::Unauthenticated,
            "TIMESTAMP_OUT_OF_TOLERANCE",
            format!("webhook-timestamp is more than {t} seconds from now"),
        ),
    }
}

/// A dead letter's id derived from its content, so the same letter sent again is kept once.
pub(crate) fn content_id(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    let digest = h.finalize();
    let mut id_bytes = [0u8; 16];
    id_bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(id_bytes)
        .into_uuid()
        .to_string()
}

impl App {
    /// The center registered under `code`.
    pub async fn center(&self, code: &str) -> Result<CenterAuth, ReceiveError> {
        self.centers
            .get(&self.db, code)
            .await?
            .ok_or_else(|| ReceiveError::UnknownCenter(code.to_owned()))
    }

    /// Checks that `body` was signed as `center`'s webhooks are: Standard Webhooks headers
    /// for a native center, `X-OneCall-Webhook-Signature` for a OneCall one.
    pub fn verify_signed(
        &self,
        center: &CenterAuth,
        signed: &Signed,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        self.verify_as(center, center.format, signed, body)
    }

    fn verify_as(
        &self,
        center: &CenterAuth,
        how: CenterFormat,
        signed: &Signed,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        match how {
            CenterFormat::Native => signature::verify_native(
                &center.secrets,
                NativeHeaders {
                    id: signed.webhook_id.as_deref(),
                    timestamp: signed.webhook_timestamp.as_deref(),
                    signature: signed.webhook_signature.as_deref(),
                },
                body,
                // Senders sign with the real time, whatever clock Aegis keeps.
                chrono::Utc::now().timestamp(),
                self.settings.webhooks.tolerance_secs,
            ),
            CenterFormat::Onecall => signature::verify_onecall(
                &center.secrets,
                signed.onecall_signature.as_deref(),
                body,
            ),
            // A center that can sign does so as Standard Webhooks; the rest send the secret.
            CenterFormat::Openticket if signed.webhook_signature.is_some() => {
                self.verify_as(center, CenterFormat::Native, signed, body)
            }
            CenterFormat::Openticket => {
                signature::verify_bearer(&center.secrets, signed.authorization.as_deref())
            }
        }
    }
}

impl Service {
    /// Receives one delivery for `center`: signature, format, admission. Answers only once
    /// what was received (or kept) is durable.
    pub async fn receive_ticket(
        &self,
        center: &CenterAuth,
        delivery: Delivery,
    ) -> Result<ReceivedTicket, ReceiveError> {
        let format = delivery.format;
        // The route names the format; the signature is checked the way that format signs.
        self.verify_as(center, format.signed_as(), &delivery.signed, &delivery.body)?;
        let tz = self
            .settings
            .centers
            .tz_of(&center.code)
            .map_err(|e| ReceiveError::Config(e.to_string()))?;
        let parsed = match format.parse(&delivery.body, tz) {
            Ok(p) => p,
            Err(e) => {
                self.keep_unidentifiable(center, &delivery, &e).await?;
                return Err(ReceiveError::Unidentifiable(e));
            }
        };
        // A delivery id: the sender's (`webhook-id`, `webhookNotificationId`), else the
        // ticket's own content.
        let delivery_id = match (format, parsed.delivery_id.clone()) {
            (Format::Native, _) => delivery.signed.webhook_id.clone().unwrap_or_default(),
            (Format::Onecall | Format::Openticket, Some(id)) => id,
            (Format::Openticket, _) if delivery.signed.webhook_id.is_some() => {
                delivery.signed.webhook_id.clone().unwrap_or_default()
            }
            (Format::Onecall | Format::Openticket, None) => format!(
                "content:{}",
                content_hash(&parsed.ticket)
                    .map_err(|e| ReceiveError::Unserializable(e.to_string()))?
            ),
        };
        let cancel_notice = (format == Format::Openticket
            && parsed.ticket.kind == Some(aegis_workflows::ticket::TicketType::Cancel))
        .then(|| parsed.clone());
        let on_conflict = if cancel_notice.is_some() {
            OnConflict::Report
        } else {
            OnConflict::Keep
        };
        let mut received = self
            .admit_parsed(center, format, parsed, &delivery_id, &delivery, on_conflict)
            .await?;
        if let (Some(notice), Received::Conflict { .. }) = (cancel_notice, &received.outcome) {
            received = self
                .admit_cancel_notice(center, notice, &delivery_id, &delivery)
                .await?;
        }
        self.last_deliveries.note(&center.code, self.clock.now());
        Ok(received)
    }

    /// Admits a ticket a history replay generated (`history`): no delivery to verify, the same
    /// admission as any other.
    pub(super) async fn admit_replayed(
        &self,
        center: &CenterAuth,
        parsed: Parsed,
        delivery_id: &str,
        delivery: &Delivery,
    ) -> Result<ReceivedTicket, ReceiveError> {
        self.admit_parsed(
            center,
            Format::Native,
            parsed,
            delivery_id,
            delivery,
            OnConflict::Keep,
        )
        .await
    }

    /// Admits a parsed ticket (a delivery, or a dead letter redriven); a conflicting revision
    /// is kept before the answer, so a 2xx or a 409 both mean it is durable.
    pub(super) async fn admit_parsed(
        &self,
        center: &CenterAuth,
        format: Format,
        parsed: Parsed,
        delivery_id: &str,
        delivery: &Delivery,
        on_conflict: OnConflict,
    ) -> Result<ReceivedTicket, ReceiveError> {
        let ticket = parsed.ticket;
        let (number, revision) = (ticket.ticket_number.clone(), ticket.revision);
        // Gaps are a check beside the ticket: a number beyond i64 is not tracked.
        let sequence = parsed.sequence.and_then(|(station, n)| match i64::try_from(n) {
            Ok(n) => Some((station, n)),
            Err(_) => {
                tracing::warn!(center = %center.code, station, "a sequence number beyond i64 is not tracked");
                None
            }
        });
        let (ticket_json, new_hash) = crate::formats::normalized(&ticket)
            .map_err(|e| ReceiveError::Unserializable(e.to_string()))?;
        let msg = Admit {
            center_id: center.id,
            center: center.code.clone(),
            delivery_id: delivery_id.to_owned(),
            format: format.as_str().to_owned(),
            content_hash: new_hash.clone(),
            ticket_json,
            ticket,
            raw_payload: delivery.body.to_vec(),
            content_type: delivery.content_type.clone(),
            sequence,
        };
        let outcome = match self.runtime.admission.admit(msg).await {
            Ok(o) => o,
            Err(AdmitError::Busy) => return Err(ReceiveError::Busy { retry_after: 1 }),
            Err(AdmitError::Overloaded) => return Err(ReceiveError::Busy { retry_after: 2 }),
            Err(AdmitError::Unserializable(e)) => return Err(ReceiveError::Unserializable(e)),
            Err(AdmitError::Store(s)) => return Err(s.into()),
        };
        let outcome = match outcome {
            IntakeOutcome::Accepted { workflow_id } => {
                tracing::info!(center = %center.code, ticket = %number, revision, workflow_id = %workflow_id, "ticket received");
                Received::Accepted { workflow_id }
            }
            IntakeOutcome::Duplicate { workflow_id, state } => {
                Received::Duplicate { workflow_id, state }
            }
            IntakeOutcome::RevisionConflict { workflow_id } => {
                let id = workflow_id.clone();
                let stored = self
                    .db
                    .with_read(move |c| crate::db::read::ticket_content_hash(c, &id))
                    .await?
                    .unwrap_or_default();
                let what = format!(
                    "ticket {number} revision {revision} was already received with other content (stored sha256 {stored}, this delivery sha256 {new_hash})"
                );
                if on_conflict == OnConflict::Keep {
                    self.keep_conflict(center, format, &workflow_id, delivery, what.clone())
                        .await?;
                }
                Received::Conflict { workflow_id, what }
            }
        };
        Ok(ReceivedTicket {
            ticket_number: number,
            revision,
            outcome,
        })
    }

    /// An Open Ticket cancel notice under the number and version of a ticket received before
    /// (PA811 cancels that way) becomes the ticket's next revision, a cancel: once validated it
    /// cancels the earlier revisions' unfinished workflows and ends cancelled itself, as any
    /// cancel revision does, with the center's payload kept like any ticket's. Its delivery
    /// id is derived from the notice's, so a center retrying it finds it received.
    async fn admit_cancel_notice(
        &self,
        center: &CenterAuth,
        mut parsed: Parsed,
        delivery_id: &str,
        delivery: &Delivery,
    ) -> Result<ReceivedTicket, ReceiveError> {
        let (c, n) = (center.code.clone(), parsed.ticket.ticket_number.clone());
        let latest = self
            .db
            .with_read(move |conn| crate::db::read::latest_revision(conn, &c, &n))
            .await?;
        parsed.ticket.revision = latest.map_or(0, |r| r.saturating_add(1));
        let id = format!("{delivery_id}/cancel-notice");
        self.admit_parsed(
            center,
            Format::Openticket,
            parsed,
            &id,
            delivery,
            OnConflict::Keep,
        )
        .await
    }

    /// Keeps a delivery whose ticket and revision were already received with other content,
    /// so an operator sees the changed ticket (contract §9); its id is its content's, so a
    /// center's retries keep it once.
    async fn keep_conflict(
        &self,
        center: &CenterAuth,
        format: Format,
        workflow_id: &str,
        delivery: &Delivery,
        what: String,
    ) -> Result<(), StoreError> {
        let dead = DeadLetterRecord {
            id: content_id(&[
                b"revision_conflict",
                center.code.as_bytes(),
                format.as_str().as_bytes(),
                &delivery.body,
            ]),
            kind: DeadLetterKind::RevisionConflict,
            format: Some(format.as_str().to_owned()),
            center: Some(center.code.clone()),
            workflow_id: Some(workflow_id.to_owned()),
            error: what,
            payload: delivery.body.to_vec(),
            content_type: Some(delivery.content_type.clone()),
            created_at: self.clock.now(),
        };
        use aegis_actors::ports::store::Store;
        self.store.dead_letter(dead).await?;
        metrics::counter!(names::DEAD_LETTERED, "kind" => "revision_conflict").increment(1);
        Ok(())
    }

    /// Keeps a payload that is not an identifiable ticket for operators. Its id is its
    /// content's: a center replaying the same payload finds it already kept.
    async fn keep_unidentifiable(
        &self,
        center: &CenterAuth,
        delivery: &Delivery,
        err: &ParseError,
    ) -> Result<(), StoreError> {
        let format = delivery.format.as_str();
        let dead = DeadLetterRecord {
            id: content_id(&[center.code.as_bytes(), format.as_bytes(), &delivery.body]),
            kind: DeadLetterKind::Unidentifiable,
            format: Some(format.to_owned()),
            center: Some(center.code.clone()),
            workflow_id: None,
            error: err.to_string(),
            payload: delivery.body.to_vec(),
            content_type: Some(delivery.content_type.clone()),
            created_at: self.clock.now(),
        };
        use aegis_actors::ports::store::Store;
        self.store.dead_letter(dead).await?;
        metrics::counter!(names::DEAD_LETTERED, "kind" => "unidentifiable").increment(1);
        Ok(())
    }
}

/// The details of a conflict answer (native senders get them with a 409).
pub fn conflict_details(
    workflow_id: &str,
    ticket_number: &str,
    revision: u32,
) -> serde_json::Value {
    json!({ "workflow_id": workflow_id, "ticket_number": ticket_number, "revision": revision })
}
