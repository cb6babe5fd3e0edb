//! One thing wrong with a ticket, located by a field path such as `location.latitude`.

use serde::{Deserialize, Serialize};

/// A single problem found in a ticket. Validation returns all of them, never just the first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Dotted path of the offending field (`excavator.name`, `members[2]`).
    pub field: String,
    /// Stable machine-readable code: `required`, `invalid_type`, `invalid_format`,
    /// `out_of_range`, `unknown_value`, `inconsistent`.
    pub code: String,
    /// Human-readable explanation for the audit trail.
    pub message: String,
}

impl Problem {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub fn required(field: impl Into<String>) -> Self {
        let field = field.into();
        let message = format!("{field} is required");
        Self::new(field, "required", message)
    }
}
