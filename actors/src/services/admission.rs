//! Admission: makes a verified, parsed ticket durable as `received`, then asks the bus to
//! drive it. The caller is answered only after the commit; the store batches commits (group
//! commit) so durability does not cost one fsync per ticket.
//!
//! The whole path of a new ticket, with its one thread hand-off:
//!
//! ```text
//! HTTP worker: src/http/webhooks.rs        read the body, answer the center
//!      │        src/app/receive_ticket.rs  verify the signature, parse (src/formats/*)
//!      │        Admission::admit           refuse (503) when too much is in flight or
//!      │                                   queued, build the first event and the rows
//!      │        Store::intake              (src/db/store.rs) queue the write…
//!      ▼
//! writer thread: src/db/writer.rs          …commit it with whatever else is queued (group
//!      │                                   commit: src/db/write/new_ticket.rs writes the rows)
//!      ▼
//! HTTP worker: answer 202; the work message to drive the ticket goes to the bus behind it.
//! ```
//!
//! Admission keeps no state of its own, so it is a plain service called on the HTTP worker,
//! not an actor with a mailbox of its own: one hop fewer, and every refusal decided here. Its
//! health and metrics still say `intake`, the name operators' dashboards know.

use std::sync::Arc;

use actix::prelude::*;
use aegis_workflows::Ticket;
use aegis_workflows::audit::GENESIS;
use aegis_workflows::lifecycle::{Event, State, Workflow};
use tokio::sync::Semaphore;

use crate::deps::Deps;
use crate::directory::{Directory, Prime};
use crate::engine::{ChainTip, event_record, outbox_record};
use crate::health::{ActorState, ActorStats};
use crate::ports::{StoreError, WorkMessage};
use crate::records::{IntakeOutcome, IntakeRecord, WorkflowSnapshot};

/// A ticket that passed signature checks and could be identified.
#[derive(Debug, Clone)]
pub struct Admit {
    pub center_id: i64,
    pub center: String,
    pub delivery_id: String,
    pub format: String,
    pub ticket: Ticket,
    /// The normalized ticket as JSON, and its SHA-256 (the content identity).
    pub ticket_json: String,
    pub content_hash: String,
    pub raw_payload: Vec<u8>,
    pub content_type: String,
    /// The station and the center's sequence number of this delivery, noted for gap
    /// detection in the same commit as the ticket.
    pub sequence: Option<(String, i64)>,
}

/// Why a ticket was not made durable. Every one of them means: answer 503, the center sends it
/// again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmitError {
    /// More admissions are in flight than `max_backlog` allows.
    #[error("too many tickets are being admitted at once")]
    Busy,
    /// The bus holds `max_backlog` or more unprocessed work messages.
    #[error("too much work is waiting")]
    Overloaded,
    /// The first event or its message could not be written as JSON: nothing was kept.
    #[error("could not serialize the ticket's first event: {0}")]
    Unserializable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Admission {
    deps: Arc<Deps>,
    directory: Addr<Directory>,
    stats: Arc<ActorStats>,
    in_flight: Semaphore,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission").finish_non_exhaustive()
    }
}

impl Admission {
    pub fn new(deps: Arc<Deps>, directory: Addr<Directory>) -> Self {
        let stats = deps.health.register("intake");
        stats.set_state(ActorState::Running);
        let permits = usize::try_from(deps.config.max_backlog.clamp(1, 1 << 20)).unwrap_or(1 << 20);
        Self {
            deps,
            directory,
            stats,
            in_flight: Semaphore::new(permits),
        }
    }

    /// Makes the ticket durable and answers what became of it.
    pub async fn admit(&self, msg: Admit) -> Result<IntakeOutcome, AdmitError> {
        let Ok(_slot) = self.in_flight.try_acquire() else {
            return Err(AdmitError::Busy);
        };
        let _guard = self.stats.track();
        let deps = &self.deps;
        if deps
            .bus
            .backlog()
            .is_some_and(|b| b >= deps.config.max_backlog)
        {
            return Err(AdmitError::Overloaded);
        }
        let (mut record, snapshot) =
            prepare(deps, msg).map_err(|e| AdmitError::Unserializable(e.to_string()))?;
        let workflow_id = record.workflow_id.clone();
        let direct = if deps.config.durable_outbox {
            None
        } else {
            record.outbox.take()
        };
        let outcome = deps.store.intake(record).await;
        if outcome.is_err() {
            self.stats.failed();
        }
        let outcome = outcome?;
        if let IntakeOutcome::Accepted { .. } = outcome {
            // Priming only saves a read; a full directory mailbox is no reason to wait.
            let _ = self.directory.try_send(Prime(snapshot));
            crate::engine::publish_direct(deps, direct.into_iter().collect());
            // The ticket is durable: the caller is answered now, and the work message goes out
            // behind the answer. If it is lost (a crash, the broker away), the sweeper drives
            // the workflow once it is seen as stalled.
            let bus = deps.bus.clone();
            actix::spawn(async move {
                if let Err(e) = bus
                    .publish_work(vec![WorkMessage::drive(&workflow_id)])
                    .await
                {
                    tracing::warn!(workflow_id, error = %e, "could not queue a received ticket");
                }
            });
        }
        Ok(outcome)
    }
}

fn prepare(deps: &Deps, msg: Admit) -> Result<(IntakeRecord, WorkflowSnapshot), serde_json::Error> {
    let now = deps.clock.now();
    let workflow_id = uuid::Uuid::now_v7().to_string();
    let principal = format!("center:{}", msg.center);
    let tip = ChainTip {
        workflow_id: &workflow_id,
        seq: 1,
        prev_hash: GENESIS,
    };
    let first = event_record(tip, None, State::Received, Event::Received, principal, now)?;
    let outbox = outbox_record(
        &msg.center,
        &msg.ticket.ticket_number,
        msg.ticket.revision,
        &workflow_id,
        &first,
        None,
    )?;
    let excavator_key = msg.ticket.excavator.history_key();
    let snapshot = WorkflowSnapshot {
        id: workflow_id.clone(),
        center: msg.center.clone(),
        ticket_number: msg.ticket.ticket_number.clone(),
        revision: msg.ticket.revision,
        workflow: Workflow::received(),
        version: 1,
        last_hash: first.hash.clone(),
        ticket: msg.ticket.clone(),
        excavator_key: excavator_key.clone(),
        alert: None,
        created_at: first.at,
    };
    let record = IntakeRecord {
        workflow_id,
        center_id: msg.center_id,
        center: msg.center,
        delivery_id: msg.delivery_id,
        format: msg.format,
        ticket: msg.ticket,
        content_hash: msg.content_hash,
        ticket_json: msg.ticket_json,
        raw_payload: msg.raw_payload,
        content_type: msg.content_type,
        sequence: msg.sequence,
        excavator_key,
        received_at: first.at,
        first_event: first,
        outbox: Some(outbox),
    };
    Ok((record, snapshot))
}
