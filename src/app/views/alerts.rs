//! An alert as officers read it, alone or in a list.

use aegis_workflows::alert::AlertState;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AlertView {
    pub id: String,
    pub workflow_id: String,
    pub center: String,
    pub ticket_number: String,
    #[schema(value_type = String, example = "open")]
    pub state: AlertState,
    pub tier: i64,
    pub ack_deadline: Option<DateTime<Utc>>,
    pub raised_at: DateTime<Utc>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub disposition: Option<String>,
    pub note: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AlertItem {
    #[serde(flatten)]
    pub alert: AlertView,
    pub probability: Option<f64>,
    pub band: Option<String>,
}
