//! Durable state, as a port. Writes go through [`Store::commit`] and [`Store::intake`], which
//! the adapters batch (group commit) and guard with compare-and-set.

use aegis_workflows::lifecycle::State;
use chrono::{DateTime, Utc};

use super::BoxFuture;
use crate::records::{
    CommitOutcome, DeadLetterRecord, DriveContext, IntakeOutcome, IntakeRecord, OutboxRow,
    TimerRecord, TimerSettle, TransitionCommit, WorkflowSnapshot,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The writer's queue is full: answer 503 and let the caller retry.
    #[error("the store is overloaded")]
    Overloaded,
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("storage failed: {0}")]
    Failed(String),
}

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
    /// Whether the database answers.
    fn ready(&self) -> BoxFuture<'static, bool>;
}
