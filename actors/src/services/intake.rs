//! Intake: makes a verified, parsed ticket durable as `received`, then asks the bus to drive it.
//! The caller is answered only after the commit; the store batches commits (group commit) so
//! durability does not cost one fsync per ticket.

use std::sync::Arc;

use actix::prelude::*;
use aegis_workflows::Ticket;
use aegis_workflows::audit::GENESIS;
use aegis_workflows::lifecycle::{Event, State, Workflow};

use crate::deps::Deps;
use crate::directory::{Directory, Prime};
use crate::engine::{ChainTip, event_record, outbox_record};
use crate::health::{ActorState, ActorStats};
use crate::ports::{StoreError, WorkMessage};
use crate::records::{IntakeOutcome, IntakeRecord, WorkflowSnapshot};

const MAILBOX: usize = 16_384;

/// A ticket that passed signature checks and could be identified.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<IntakeOutcome, AdmitError>")]
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
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmitError {
    /// Not made durable: the caller must answer 503 and the center will send it again.
    #[error("too much work is waiting")]
    Overloaded,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Intake {
    deps: Arc<Deps>,
    directory: Addr<Directory>,
    stats: Arc<ActorStats>,
}

impl Intake {
    pub fn new(deps: Arc<Deps>, directory: Addr<Directory>) -> Self {
        let stats = deps.health.register("intake");
        Self {
            deps,
            directory,
            stats,
        }
    }
}

impl Actor for Intake {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(MAILBOX);
        self.stats.set_state(ActorState::Running);
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.stats.set_state(ActorState::Stopped);
    }
}

impl Supervised for Intake {
    fn restarting(&mut self, _: &mut Self::Context) {
        self.stats.set_state(ActorState::Restarting);
        self.stats.restarted();
    }
}

impl Handler<Admit> for Intake {
    type Result = ResponseFuture<Result<IntakeOutcome, AdmitError>>;

    fn handle(&mut self, msg: Admit, _: &mut Self::Context) -> Self::Result {
        let guard = self.stats.track();
        let deps = self.deps.clone();
        let directory = self.directory.clone();
        Box::pin(async move {
            let _guard = guard;
            if deps
                .bus
                .backlog()
                .is_some_and(|b| b >= deps.config.max_backlog)
            {
                return Err(AdmitError::Overloaded);
            }
            let (mut record, snapshot) = prepare(&deps, msg);
            let workflow_id = record.workflow_id.clone();
            let direct = if deps.config.durable_outbox {
                None
            } else {
                record.outbox.take()
            };
            let outcome = deps.store.intake(record).await?;
            if let IntakeOutcome::Accepted { .. } = outcome {
                // Priming only saves a read; a full directory mailbox is no reason to wait.
                let _ = directory.try_send(Prime(snapshot));
                crate::engine::publish_direct(&deps, direct.into_iter().collect());
                // The ticket is durable: the caller is answered now, and the work message goes
                // out behind the answer. If it is lost (a crash, the broker away), the sweeper
                // drives the workflow once it is seen as stalled.
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
        })
    }
}

fn prepare(deps: &Deps, msg: Admit) -> (IntakeRecord, WorkflowSnapshot) {
    let now = deps.clock.now();
    let workflow_id = uuid::Uuid::now_v7().to_string();
    let principal = format!("center:{}", msg.center);
    let tip = ChainTip {
        workflow_id: &workflow_id,
        seq: 1,
        prev_hash: GENESIS,
    };
    let first = event_record(tip, None, State::Received, Event::Received, principal, now);
    let outbox = outbox_record(
        &msg.center,
        &msg.ticket.ticket_number,
        msg.ticket.revision,
        &workflow_id,
        &first,
        None,
    );
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
        excavator_key,
        received_at: first.at,
        first_event: first,
        outbox: Some(outbox),
    };
    (record, snapshot)
}
