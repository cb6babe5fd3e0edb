//! Turning call-center deliveries into tickets: signature checks for the webhook formats,
//! and parsers for native JSON, USA North 811 OneCallAccess (JSON envelope around base64
//! XML) and the Open Ticket Standard. Parsers never panic on input; what they cannot identify as a ticket is an error the
//! HTTP layer answers with 400 and keeps as a dead letter.

pub mod lenient_json;
pub mod native;
pub mod onecall;
pub mod openticket;
pub mod signature;
pub mod summary;
mod text;

use aegis_workflows::Ticket;
use sha2::{Digest, Sha256};

/// Why a delivery could not be identified as a ticket.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the body is not valid UTF-8")]
    NotUtf8,
    #[error("the body is not valid JSON: {0}")]
    NotJson(String),
    #[error("the body must be a JSON object")]
    NotAnObject,
    #[error("{0}")]
    Envelope(String),
    #[error("the ticket XML is not readable: {0}")]
    BadXml(String),
    #[error("not identifiable as a ticket: {0}")]
    Unidentified(#[from] aegis_workflows::ticket::IdentityError),
    /// An Open Ticket document refused, with the specification's error list.
    #[error("{0}")]
    OpenTicket(Box<openticket::Refused>),
}

/// A delivery understood as a ticket.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub ticket: Ticket,
    /// The sender's delivery id (`webhook-id`, `webhookNotificationId`), when it sent one.
    pub delivery_id: Option<String>,
    /// The station and the center's sequence number of this delivery (OneCall's
    /// `sequenceNumber`, Open Ticket's `header.sequence`), for gaps.
    pub sequence: Option<(String, u64)>,
}

/// Hash of the normalized ticket: two deliveries with the same hash carry the same ticket,
/// whatever their envelopes, whitespace or field order.
pub fn content_hash(ticket: &Ticket) -> Result<String, serde_json::Error> {
    normalized(ticket).map(|(_, hash)| hash)
}

/// The normalized ticket as JSON and its SHA-256, computed together (the JSON is stored). A
/// ticket that cannot be serialized is an error, never an empty text that every such ticket
/// would share, hash included.
pub fn normalized(ticket: &Ticket) -> Result<(String, String), serde_json::Error> {
    let json = serde_json::to_string(ticket)?;
    let hash = hex::encode(Sha256::digest(json.as_bytes()));
    Ok((json, hash))
}
