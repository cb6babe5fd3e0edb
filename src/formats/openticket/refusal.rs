//! The Open Ticket specification's error document, as a typed refusal: what kind of refusal it
//! is (not a ticket at all, or a ticket that cannot be identified or placed) and the entries
//! the document lists. The HTTP adapter turns the kind into a status (400 or 409).

use serde::Serialize;

/// One entry of the specification's error document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ErrorItem {
    /// The field the error is about; absent when it is about the whole document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The specification's error code (`INVALID_JSON`, `MISSING_REQUIRED_FIELD`, …).
    pub error: String,
    pub message: String,
}

/// What kind of refusal an error document reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusedAs {
    /// Not a ticket at all (not JSON, not an object, no header).
    NotATicket,
    /// A ticket that cannot be identified (no usable number) or placed (no geometry, point
    /// or address).
    Unusable,
}

/// Why an Open Ticket document was refused, with what the error document reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub kind: RefusedAs,
    pub ticket_number: String,
    pub format_version: String,
    pub errors: Vec<ErrorItem>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let all: Vec<String> = self
            .errors
            .iter()
            .map(|e| match &e.field {
                Some(field) => format!("{field}: {} ({})", e.message, e.error),
                None => format!("{} ({})", e.message, e.error),
            })
            .collect();
        f.write_str(&all.join("; "))
    }
}

impl Refused {
    pub(super) fn not_a_ticket(
        field: Option<&str>,
        error: &str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind: RefusedAs::NotATicket,
            ticket_number: String::new(),
            format_version: String::new(),
            errors: vec![ErrorItem {
                field: field.map(str::to_owned),
                error: error.to_owned(),
                message: message.into(),
            }],
        }
    }
}
