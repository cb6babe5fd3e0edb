//! A workflow as operators read it: its whole story (the normalized ticket, score, alert,
//! response, screening, audit trail and the chain's verdict), or a line of a list.

use aegis_actors::ports::Contribution;
use aegis_workflows::problem::Problem;
use aegis_workflows::{State, Ticket};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::alerts::AlertView;
use super::responses::ResponseView;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScoreView {
    pub probability: f64,
    pub band: String,
    pub model_version: String,
    /// The feature schema the model read: `aegis-features-v2` (what is buried near the dig
    /// area included) or `aegis-features-v1` (the ticket alone).
    pub feature_schema: String,
    #[schema(value_type = Vec<Object>)]
    pub top_features: Vec<Contribution>,
    pub scored_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub seq: i64,
    pub from_state: Option<String>,
    pub to_state: String,
    pub event: String,
    pub principal: String,
    pub at: DateTime<Utc>,
    /// The event itself (reasons, probabilities, dispositions…).
    #[schema(value_type = Object)]
    pub detail: Value,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkflowDetail {
    pub id: String,
    pub center: String,
    pub ticket_number: String,
    pub revision: i64,
    #[schema(value_type = String, example = "alerted")]
    pub state: State,
    pub version: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The ticket as Aegis normalized it.
    #[schema(value_type = Object)]
    pub ticket: Ticket,
    pub score: Option<ScoreView>,
    pub alert: Option<AlertView>,
    pub events: Vec<EventView>,
    /// What looked odd in the ticket but did not stop it (field, code, message), from its
    /// validation.
    #[schema(value_type = Vec<Object>)]
    pub warnings: Vec<Value>,
    pub chain_valid: bool,
    /// The first event whose hash does not fit, when the chain is broken.
    pub chain_broken_at: Option<i64>,
    /// The latest positive response to the call center, if one was asked for.
    pub response: Option<ResponseView>,
    /// What the member's facility layers say about the dig area (contract §10): `category`,
    /// and per layer its version, the nearest facility and those within `close_ft`.
    #[schema(value_type = Option<Object>)]
    pub screening: Option<Value>,
}

impl WorkflowDetail {
    /// Why the ticket was rejected, problem by problem, from its `rejected` event (empty when
    /// it was not); an event whose problems do not read is an error, not an empty list.
    pub fn rejected_for(&self) -> Result<Vec<Problem>, serde_json::Error> {
        match self.events.iter().rev().find(|e| e.event == "rejected") {
            Some(e) => {
                serde_json::from_value(e.detail.get("problems").cloned().unwrap_or_default())
            }
            None => Ok(Vec::new()),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkflowItem {
    pub id: String,
    pub center: String,
    pub ticket_number: String,
    pub revision: i64,
    #[schema(value_type = String, example = "resolved")]
    pub state: State,
    pub band: Option<String>,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Its screening's category (`conflict`, `close`, `clear`, `unknown`), once screened.
    pub screening: Option<String>,
}
