//! A dead letter as operators read it: what nobody could read, or a workflow whose retries ran
//! out, with its payload as text or base64.

use aegis_actors::records::DeadLetterKind;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeadLetterView {
    pub id: String,
    #[schema(value_type = String, example = "unidentifiable")]
    pub kind: DeadLetterKind,
    pub center: Option<String>,
    pub workflow_id: Option<String>,
    pub error: String,
    pub content_type: Option<String>,
    /// The payload as text when it is UTF-8, else base64 (`payload_encoding` says which).
    pub payload: String,
    pub payload_encoding: String,
    pub created_at: DateTime<Utc>,
    pub redriven_at: Option<DateTime<Utc>>,
    pub redriven_by: Option<String>,
    /// An operator decided not to redrive it, and why.
    pub dismissed_at: Option<DateTime<Utc>>,
    pub dismissed_by: Option<String>,
    pub dismiss_reason: Option<String>,
}

impl DeadLetterView {
    /// Redriven or dismissed: nothing more to do.
    pub fn handled(&self) -> bool {
        self.redriven_at.is_some() || self.dismissed_at.is_some()
    }
}
