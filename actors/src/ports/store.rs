//! Durable state, as a port. Writes go through [`Store::commit`] and [`Store::intake`], which
//! the adapters batch (group commit) and guard with compare-and-set.

use aegis_workflows::lifecycle::State;
use chrono::{DateTime, Utc};

use super::BoxFuture;
use crate::records::{
    CommitOutcome, DeadLetterRecord, DeliveryJob, DeliveryUpdate, DriveContext, IntakeOutcome,
    IntakeRecord, OutboxRow, Reach, ResponseJob, ResponseSetup, Target, TimerRecord, TimerSettle,
    TransitionCommit, WorkflowSnapshot,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The writer's queue is full: answer 503 and let the caller retry.
    #[error("the store is overloaded")]
    Overloaded,
    #[error("the store is unavailable: {0}")]
    Unavailable(#[source] Cause),
    #[error("stored data is corrupt: {0}")]
    Corrupt(#[source] Cause),
    #[error("storage failed: {0}")]
    Failed(#[source] Cause),
}

/// What made a store operation fail: the adapter's own error, kept whole (its chain of sources
/// included) for the logs, or a sentence when there is no error value to keep. Compared by its
/// text, so errors stay comparable in tests.
#[derive(Debug, Clone)]
pub struct Cause(std::sync::Arc<dyn std::error::Error + Send + Sync>);

impl Cause {
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(std::sync::Arc::new(e))
    }
}

#[derive(Debug)]
struct Message(String);

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Message {}

impl From<String> for Cause {
    fn from(s: String) -> Self {
        Self::new(Message(s))
    }
}

impl From<&str> for Cause {
    fn from(s: &str) -> Self {
        Self::from(s.to_owned())
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Cause {}

pub trait Store: Send + Sync + 'static {
    /// Makes a received ticket durable (ticket, workflow, first event, outbox) unless it is a
    /// duplicate or conflicts with a stored revision.
    fn intake(&self, record: IntakeRecord)
    -> BoxFuture<'static, Result<IntakeOutcome, StoreError>>;
    /// Stores a payload nobody could read as a ticket, for operators.
    fn dead_letter(&self, record: DeadLetterRecord) -> BoxFuture<'static, Result<(), StoreError>>;
    fn load(
        &self,
        workflow_id: &str,
    ) -> BoxFuture<'static, Result<Option<WorkflowSnapshot>, StoreError>>;
    fn commit(
        &self,
        commit: std::sync::Arc<TransitionCommit>,
    ) -> BoxFuture<'static, Result<CommitOutcome, StoreError>>;
    /// Deletes timers that fired without changing anything.
    fn settle_timers(&self, settle: TimerSettle) -> BoxFuture<'static, Result<(), StoreError>>;
    /// Counts one more failed attempt of the workflow's current step; returns the count.
    fn record_failure(
        &self,
        workflow_id: &str,
        error: &str,
    ) -> BoxFuture<'static, Result<u32, StoreError>>;
    /// What validating and scoring a workflow needs to read: the other workflows of the same
    /// center and ticket number, and the excavator's history when it can be identified. One
    /// call, so one trip to the database per ticket.
    fn drive_context(
        &self,
        center: &str,
        ticket_number: &str,
        workflow_id: &str,
        excavator_key: Option<&str>,
    ) -> BoxFuture<'static, Result<DriveContext, StoreError>>;
    /// Unfinished workflows in states the runtime moves by itself, not changed since `before`,
    /// in id order after `after`.
    fn stalled(
        &self,
        states: &[State],
        before: DateTime<Utc>,
        after: Option<String>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<String>, StoreError>>;
    /// Claims due timers for `lease` so that one node at a time fires each.
    fn claim_timers(
        &self,
        now: DateTime<Utc>,
        node: &str,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<TimerRecord>, StoreError>>;
    /// When the next unclaimed timer is due, if any.
    fn next_timer(&self) -> BoxFuture<'static, Result<Option<DateTime<Utc>>, StoreError>>;
    fn claim_outbox(
        &self,
        node: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<OutboxRow>, StoreError>>;
    fn outbox_sent(&self, ids: Vec<i64>) -> BoxFuture<'static, Result<(), StoreError>>;
    /// Who the recipients (roster names) reach at `at`, as stored now
    /// ([`aegis_workflows::notification::reach`]).
    fn reach(
        &self,
        recipients: Vec<String>,
        at: DateTime<Utc>,
    ) -> BoxFuture<'static, Result<Reach, StoreError>>;
    /// Everyone told about an alert so far, each (user, channel) once, in the order first told.
    fn notified(&self, alert_id: &str) -> BoxFuture<'static, Result<Vec<Target>, StoreError>>;
    /// Claims pending deliveries that are due for `lease` so that one node sends each; a claim
    /// whose node died expires and another node takes it over.
    fn claim_deliveries(
        &self,
        node: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<DeliveryJob>, StoreError>>;
    /// The center's positive-response API as the runtime needs it (station, disposition →
    /// code), or `None` when the center answers through none.
    fn response_setup(
        &self,
        center: &str,
    ) -> BoxFuture<'static, Result<Option<ResponseSetup>, StoreError>>;
    /// Whether the center accepted a response for the workflow.
    fn response_posted(&self, workflow_id: &str) -> BoxFuture<'static, Result<bool, StoreError>>;
    /// Claims pending responses that are due for `lease`, as [`Store::claim_deliveries`] does.
    fn claim_responses(
        &self,
        node: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<ResponseJob>, StoreError>>;
    /// Settles an attempt of a delivery that belongs to no workflow (an operators' notice):
    /// nothing goes into an audit trail, the row records it.
    fn settle_delivery(
        &self,
        update: DeliveryUpdate,
        at: DateTime<Utc>,
    ) -> BoxFuture<'static, Result<(), StoreError>>;
    /// One investigation as stored.
    fn investigation(
        &self,
        id: &str,
    ) -> BoxFuture<'static, Result<Option<crate::records::InvestigationRecord>, StoreError>>;
    /// Whether the database answers.
    fn ready(&self) -> BoxFuture<'static, bool>;
}
