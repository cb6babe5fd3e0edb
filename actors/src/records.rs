//! The data that crosses the [`crate::ports::Store`] port: what a workflow looks like when
//! loaded, and what one commit writes.

use aegis_workflows::features::ExcavatorHistory;
use aegis_workflows::lifecycle::{Event, State, Workflow};
use aegis_workflows::ticket::Ticket;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ports::scorer::Contribution;

/// Who did something: `system`, `center:DEMO`, `officer:alice`, `operator:bob`.
pub type Principal = String;

pub const SYSTEM: &str = "system";

/// One workflow as the runtime needs it to take its next step.
#[derive(Debug, Clone)]
pub struct WorkflowSnapshot {
    pub id: String,
    pub center: String,
    pub ticket_number: String,
    pub revision: u32,
    pub workflow: Workflow,
    /// Compare-and-set token: the number of events so far.
    pub version: i64,
    pub last_hash: String,
    pub ticket: Ticket,
    pub excavator_key: Option<String>,
    pub alert: Option<Alert>,
    pub created_at: DateTime<Utc>,
}

/// One audit-trail entry, hashed into its workflow's chain.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub seq: i64,
    pub from_state: Option<State>,
    pub to_state: State,
    pub event: Event,
    pub principal: Principal,
    /// The event serialized as stored and hashed.
    pub payload: String,
    pub at: DateTime<Utc>,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRecord {
    pub probability: f64,
    pub band: aegis_workflows::risk::Band,
    pub model_version: String,
    /// The schema the model read: v1 models read the head of `features`.
    pub feature_schema: String,
    pub top_features: Vec<Contribution>,
    /// Every feature value in schema order (`features::SCHEMA_VERSION`), for inspection and
    /// retraining.
    pub features: Vec<Option<f32>>,
    pub scored_at: DateTime<Utc>,
}

pub use aegis_workflows::alert::{Alert, AlertState};
pub use aegis_workflows::notification::{Reach, SendResult, Subject, Target};
pub use aegis_workflows::roster::Channel;

/// One notification to send (contract §7): what it is about (an alert change, or a center's
/// missing tickets), to one user, on one channel. Written in the commit that makes the change
/// (or keeps the reconciliation), so the news and its announcement are durable together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// Stable across attempts: channels that de-duplicate are given it (webhook id, e-mail
    /// Message-ID), PagerDuty the alert id.
    pub id: String,
    pub subject: Subject,
    pub user: String,
    pub channel: Channel,
    pub created_at: DateTime<Utc>,
}

/// A positive response to the call center (contract §9), planned in the commit that decides
/// it, so a resolution and its response are durable together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseRecord {
    /// Stable across attempts; sent as the API's `trailId`.
    pub id: String,
    pub workflow_id: String,
    pub center: String,
    pub ticket_number: String,
    pub station: String,
    pub code: String,
    pub note: Option<String>,
    /// The person it is posted for (`accountNameOfPositiveResponseProvider`).
    pub account: String,
    pub created_at: DateTime<Utc>,
}

/// A response claimed for posting, with the number of this attempt (1 for the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseJob {
    pub record: ResponseRecord,
    pub attempt: u32,
}

/// What an attempt did to its response row (`Sent` is posted, `Failed` rejected): the same
/// shape as a delivery's.
pub type ResponseUpdate = DeliveryUpdate;

/// A center's response API as the runtime needs it: the station it answers for and the locate
/// code each disposition maps to. Credentials stay with the adapter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponseSetup {
    pub station: String,
    pub codes: std::collections::BTreeMap<aegis_workflows::lifecycle::Disposition, String>,
}

/// A delivery claimed for sending, with the number of this attempt (1 for the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryJob {
    pub record: DeliveryRecord,
    pub attempt: u32,
}

/// What an attempt did to its delivery row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryUpdate {
    pub id: String,
    /// Attempts made so far, this one included.
    pub attempts: u32,
    pub state: DeliveryState,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting to be sent (again) at this time.
    Pending {
        next_at: DateTime<Utc>,
    },
    Sent,
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending { .. } => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

/// Kinds of durable timers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TimerKind {
    /// The ack deadline of `tier` has passed.
    Escalate { tier: u32 },
    /// A later revision was validated: end this workflow as superseded.
    Supersede {
        by_workflow: String,
        by_revision: u32,
    },
    /// A cancel notice was validated: end this workflow as cancelled.
    Cancel { reason: String },
    /// The ticket's response is due at `due_at`: warn if none is posted.
    DueSoon { due_at: DateTime<Utc> },
    /// The ticket's response was due at `due_at`: say so if none is posted.
    Overdue { due_at: DateTime<Utc> },
}

impl TimerKind {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Escalate { .. } => "escalate",
            Self::Supersede { .. } => "supersede",
            Self::Cancel { .. } => "cancel",
            Self::DueSoon { .. } => "due_soon",
            Self::Overdue { .. } => "overdue",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerRecord {
    pub id: String,
    pub workflow_id: String,
    pub due_at: DateTime<Utc>,
    pub kind: TimerKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimerChange {
    Add(TimerRecord),
    Remove(String),
    /// Remove every timer of the committing workflow (it has ended).
    RemoveAll,
    /// Remove the committing workflow's escalation timers (its alert was acknowledged).
    RemoveEscalations,
}

/// A message to publish once the commit is durable.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRecord {
    pub message_id: String,
    pub routing_key: String,
    pub workflow_id: String,
    /// The message body, JSON text.
    pub payload: String,
}

/// A claimed outbox row.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub record: OutboxRecord,
}

/// Why something ended in dead letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadLetterKind {
    /// A payload that could not be read as a ticket.
    Unidentifiable,
    /// A workflow whose retries ran out.
    StepFailed,
    /// A ticket revision received again with other content.
    RevisionConflict,
    /// A daily summary that could not be read.
    UnreadableSummary,
}

impl std::fmt::Display for DeadLetterKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl DeadLetterKind {
    pub const ALL: [Self; 4] = [
        Self::Unidentifiable,
        Self::StepFailed,
        Self::RevisionConflict,
        Self::UnreadableSummary,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unidentifiable => "unidentifiable",
            Self::StepFailed => "step_failed",
            Self::RevisionConflict => "revision_conflict",
            Self::UnreadableSummary => "unreadable_summary",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetterRecord {
    pub id: String,
    pub kind: DeadLetterKind,
    /// For unidentifiable payloads: the webhook format they came in (`native`, `onecall`).
    pub format: Option<String>,
    pub center: Option<String>,
    pub workflow_id: Option<String>,
    pub error: String,
    /// The step (as JSON) or the raw payload, so it can be redriven.
    pub payload: Vec<u8>,
    pub content_type: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Everything one transition commit writes, atomically, guarded by compare-and-set.
#[derive(Debug, Clone)]
pub struct TransitionCommit {
    pub workflow_id: String,
    pub center: String,
    pub ticket_number: String,
    pub expected_version: i64,
    pub workflow: Workflow,
    /// One or more events, in order; the new version is the last one's `seq`.
    pub events: Vec<EventRecord>,
    pub score: Option<ScoreRecord>,
    pub alert: Option<Alert>,
    pub timers: Vec<TimerChange>,
    pub outbox: Vec<OutboxRecord>,
    pub dead_letter: Option<DeadLetterRecord>,
    /// Notifications of the alert changes in `events`.
    pub deliveries: Vec<DeliveryRecord>,
    /// The outcome of a notification attempt this commit records.
    pub delivery_update: Option<DeliveryUpdate>,
    /// Responses to the call center this commit decides.
    pub responses: Vec<ResponseRecord>,
    /// The outcome of a response attempt this commit records.
    pub response_update: Option<ResponseUpdate>,
    /// A screening made in this step, stored whole for the read-back and the map.
    pub screening: Option<aegis_workflows::screening::Screening>,
    /// An investigation this commit opens, edits or closes, as it stands after it.
    pub investigation: Option<InvestigationRecord>,
    pub at: DateTime<Utc>,
    /// When the workflow's ticket was received, for latency metrics.
    pub received_at: DateTime<Utc>,
    /// The kind of step that made this commit, and when the actor began it (metrics).
    pub step: &'static str,
    pub step_started_at: DateTime<Utc>,
}

impl TransitionCommit {
    pub fn new_version(&self) -> i64 {
        self.events.last().map_or(self.expected_version, |e| e.seq)
    }
}

/// A commit that only settles timers (a stale escalation, say): no state change.
#[derive(Debug, Clone)]
pub struct TimerSettle {
    pub timer_ids: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    Committed,
    /// The workflow's version moved on: reload and decide again.
    Conflict,
}

/// A newly received ticket, ready to be made durable.
#[derive(Debug, Clone)]
pub struct IntakeRecord {
    pub workflow_id: String,
    pub center_id: i64,
    pub center: String,
    pub delivery_id: String,
    pub format: String,
    pub ticket: Ticket,
    pub content_hash: String,
    pub raw_payload: Vec<u8>,
    pub content_type: String,
    pub excavator_key: Option<String>,
    pub first_event: EventRecord,
    /// The `ticket.received` message, when it goes through the durable outbox.
    pub outbox: Option<OutboxRecord>,
    pub received_at: DateTime<Utc>,
    /// The normalized ticket as stored; `content_hash` is its SHA-256.
    pub ticket_json: String,
    /// The delivery's station and sequence number, noted once per delivery for gap detection
    /// (a repeat or a conflict is noted too: the center did send that number).
    pub sequence: Option<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeOutcome {
    Accepted {
        workflow_id: String,
    },
    /// This delivery, or the same content under this center/ticket/revision, is already stored.
    Duplicate {
        workflow_id: String,
        state: State,
    },
    /// This center/ticket/revision exists with different content.
    RevisionConflict {
        workflow_id: String,
    },
}

/// Data the scorer's features need from history.
pub type History = ExcavatorHistory;

/// What a drive reads before deciding: see [`crate::ports::Store::drive_context`].
#[derive(Debug, Clone, Default)]
pub struct DriveContext {
    pub siblings: Vec<aegis_workflows::revision::Sibling>,
    /// Counters as stored (they include this ticket when it is a first revision).
    pub history: Option<History>,
}

/// A damage investigation as stored (contract §14): its findings and bookkeeping. Changed only
/// through its workflow's steps, so its trail events and its row never disagree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvestigationRecord {
    pub id: String,
    pub workflow_id: String,
    pub state: aegis_workflows::investigation::InvestigationState,
    pub findings: aegis_workflows::investigation::Findings,
    /// The excavator's history key (the scorecard's row), from the ticket.
    pub excavator_key: Option<String>,
    pub opened_by: Principal,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_by: Option<Principal>,
    pub closed_at: Option<DateTime<Utc>>,
    /// 1 when opened, one more at every change: an edit names the version it was made from.
    pub version: u32,
}
