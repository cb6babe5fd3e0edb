//! A positive response to a call center as the read-back shows it.

use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResponseView {
    pub id: String,
    /// `pending`, `posted` or `rejected`.
    pub state: String,
    pub code: String,
    pub station: String,
    /// Who it was posted for (`accountNameOfPositiveResponseProvider`).
    pub account: String,
    pub note: Option<String>,
    pub attempts: i64,
    /// When it was asked for, or when it was posted or rejected.
    pub at: DateTime<Utc>,
    /// The center's reason for a rejection, or the last attempt's error.
    pub error: Option<String>,
}
