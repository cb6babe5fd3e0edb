//! Row types for diesel: what is written to and read from each table.

use diesel::prelude::*;

use super::schema::{
    alerts, dead_letters, deliveries, events, outbox, responses, scores, tickets, timers, workflows,
};

#[derive(Debug, Insertable)]
#[diesel(table_name = tickets, treat_none_as_default_value = false)]
pub struct NewTicket<'a> {
    pub workflow_id: &'a str,
    pub center_id: i64,
    pub ticket_number: &'a str,
    pub revision: i64,
    pub delivery_id: &'a str,
    pub format: &'a str,
    pub content_hash: &'a str,
    pub ticket_json: &'a str,
    pub raw_payload: &'a [u8],
    pub content_type: &'a str,
    pub excavator_key: Option<&'a str>,
    pub received_at: i64,
    pub due_at: Option<i64>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = workflows, treat_none_as_default_value = false)]
pub struct NewWorkflow<'a> {
    pub id: &'a str,
    pub center_id: i64,
    pub center: &'a str,
    pub ticket_number: &'a str,
    pub revision: i64,
    pub state: &'a str,
    pub version: i64,
    pub aggregate: &'a str,
    pub band: Option<&'a str>,
    pub last_hash: &'a str,
    pub attempts: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = workflows)]
pub struct WorkflowRow {
    pub id: String,
    pub center_id: i64,
    pub center: String,
    pub ticket_number: String,
    pub revision: i64,
    pub state: String,
    pub version: i64,
    pub aggregate: String,
    pub band: Option<String>,
    pub last_hash: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
pub struct EventRow {
    pub workflow_id: String,
    pub seq: i64,
    pub from_state: Option<String>,
    pub to_state: String,
    pub event: String,
    pub principal: String,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
    pub at: i64,
}

#[derive(Debug, Clone, Insertable, AsChangeset, Queryable, Selectable)]
#[diesel(table_name = scores, treat_none_as_default_value = false)]
pub struct ScoreRow {
    pub workflow_id: String,
    pub probability: f64,
    pub band: String,
    pub model_version: String,
    pub top_features: String,
    pub features: String,
    pub scored_at: i64,
}

#[derive(Debug, Clone, Insertable, AsChangeset, Queryable, Selectable)]
#[diesel(table_name = alerts, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct AlertRow {
    pub id: String,
    pub workflow_id: String,
    pub center: String,
    pub ticket_number: String,
    pub state: String,
    pub tier: i64,
    pub ack_deadline: Option<i64>,
    pub raised_at: i64,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<i64>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
    pub disposition: Option<String>,
    pub note: Option<String>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = timers, treat_none_as_default_value = false)]
pub struct TimerRow {
    pub id: String,
    pub workflow_id: String,
    pub kind: String,
    pub payload: String,
    pub due_at: i64,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
pub struct NewOutbox {
    pub message_id: String,
    pub routing_key: String,
    pub workflow_id: String,
    pub payload: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRowDb {
    pub id: i64,
    pub message_id: String,
    pub routing_key: String,
    pub workflow_id: String,
    pub payload: String,
}

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = dead_letters, treat_none_as_default_value = false)]
pub struct DeadLetterRow {
    pub id: String,
    pub kind: String,
    pub format: Option<String>,
    pub center: Option<String>,
    pub workflow_id: Option<String>,
    pub error: String,
    pub payload: Vec<u8>,
    pub content_type: Option<String>,
    pub created_at: i64,
    pub redriven_at: Option<i64>,
    pub redriven_by: Option<String>,
    pub dismissed_at: Option<i64>,
    pub dismissed_by: Option<String>,
    pub dismiss_reason: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = deliveries, treat_none_as_default_value = false)]
pub struct NewDelivery {
    pub id: String,
    pub subject: &'static str,
    pub alert_id: Option<String>,
    pub workflow_id: Option<String>,
    pub change: Option<String>,
    pub reconciliation_id: Option<String>,
    pub user_name: String,
    pub channel_kind: &'static str,
    pub channel: String,
    pub state: &'static str,
    pub attempts: i64,
    pub next_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub subject: String,
    pub alert_id: Option<String>,
    pub workflow_id: Option<String>,
    pub change: Option<String>,
    pub reconciliation_id: Option<String>,
    pub user_name: String,
    pub channel_kind: String,
    pub channel: String,
    pub state: String,
    pub attempts: i64,
    pub next_at: i64,
    pub last_error: Option<String>,
    pub link_used_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = responses, treat_none_as_default_value = false)]
pub struct NewResponse {
    pub id: String,
    pub workflow_id: String,
    pub center: String,
    pub ticket_number: String,
    pub station: String,
    pub code: String,
    pub note: Option<String>,
    pub account: String,
    pub state: &'static str,
    pub attempts: i64,
    pub next_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = responses)]
pub struct ResponseRow {
    pub id: String,
    pub workflow_id: String,
    pub center: String,
    pub ticket_number: String,
    pub station: String,
    pub code: String,
    pub note: Option<String>,
    pub account: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}
