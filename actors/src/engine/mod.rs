//! The step engine: given a workflow snapshot and a step, decide what happens (pure rules from
//! `aegis-workflows` plus the scorer and a few store reads), commit it with compare-and-set, and
//! go on while the workflow can move by itself.
//!
//! A ticket actor runs one step at a time through [`run`]; the engine holds no state of its own.

mod build;

pub use build::{ChainTip, event_record, outbox_record, routing_key};
mod decide;
mod drive;
mod notify;
mod plan;
mod respond;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;

use crate::deps::Deps;
use crate::records::{CommitOutcome, TimerSettle, WorkflowSnapshot};
use crate::step::{Step, StepError, StepOutcome};

pub(crate) use notify::delivery_update;
pub(crate) use plan::Decision;

/// A workflow that changes under us this many times in a row is reported as contended and
/// retried later: something else is driving it hard.
const MAX_CONFLICTS: u32 = 8;

/// Runs one step. Returns the snapshot to keep (or `None` to reload next time) and the result.
/// A panic anywhere inside becomes [`StepError::Panicked`]: actix does not catch panics, and a
/// panicking step must end in a supervised restart, not a dead actor.
pub async fn run(
    deps: Arc<Deps>,
    snapshot: Option<WorkflowSnapshot>,
    workflow_id: String,
    step: Step,
) -> (Option<WorkflowSnapshot>, Result<StepOutcome, StepError>) {
    let fut = run_inner(deps, snapshot, workflow_id, step);
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok((snap, res)) => (snap, res),
        Err(panic) => (None, Err(StepError::Panicked(panic_message(&panic)))),
    }
}

/// Hands event messages to the bus right after their commit, when there is no durable outbox.
pub fn publish_direct(deps: &Arc<Deps>, records: Vec<crate::records::OutboxRecord>) {
    if records.is_empty() {
        return;
    }
    let messages = records
        .into_iter()
        .map(|r| crate::ports::EventMessage {
            schema: crate::ports::bus::MESSAGE_SCHEMA,
            message_id: r.message_id,
            routing_key: r.routing_key,
            workflow_id: r.workflow_id,
            payload: r.payload,
        })
        .collect();
    let bus = deps.bus.clone();
    actix::spawn(async move {
        if let Err(e) = bus.publish_events(messages).await {
            tracing::warn!(error = %e, "could not publish events");
        }
    });
}

/// The text of a panic payload.
pub fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

async fn run_inner(
    deps: Arc<Deps>,
    snapshot: Option<WorkflowSnapshot>,
    workflow_id: String,
    step: Step,
) -> (Option<WorkflowSnapshot>, Result<StepOutcome, StepError>) {
    let mut snap = match snapshot {
        Some(s) => s,
        None => match deps.store.load(&workflow_id).await {
            Ok(Some(s)) => s,
            Ok(None) => return (None, Err(StepError::NotFound)),
            Err(e) => return (None, Err(e.into())),
        },
    };
    let mut step = step;
    let mut changed = false;
    // Wall time, not the (possibly manual) domain clock: this measures Aegis, not the world.
    let started = chrono::Utc::now();
    let mut conflicts = 0;
    loop {
        let decision = match decide::decide(&deps, &snap, &step).await {
            Ok(d) => d,
            Err(e) => return (Some(snap), Err(e)),
        };
        match decision {
            Decision::Nothing => break,
            Decision::Settle(timer_ids) => {
                if let Err(e) = deps.store.settle_timers(TimerSettle { timer_ids }).await {
                    return (Some(snap), Err(e.into()));
                }
                break;
            }
            Decision::Commit(plan) => {
                let plan = *plan;
                let now = deps.clock.now();
                let mut commit = match build::commit(&snap, plan, now, (step.name(), started)) {
                    Ok(c) => c,
                    Err(e) => return (Some(snap), Err(e)),
                };
                let direct = if deps.config.durable_outbox {
                    Vec::new()
                } else {
                    std::mem::take(&mut commit.outbox)
                };
                let commit = Arc::new(commit);
                let has_outbox = !commit.outbox.is_empty();
                let has_deliveries = !commit.deliveries.is_empty();
                let has_responses = !commit.responses.is_empty();
                let adds_timer = commit
                    .timers
                    .iter()
                    .any(|t| matches!(t, crate::records::TimerChange::Add(_)));
                match deps.store.commit(commit.clone()).await {
                    Ok(CommitOutcome::Committed) => {
                        build::advance(&mut snap, &commit);
                        changed = true;
                        conflicts = 0;
                        if has_outbox {
                            deps.signals.outbox.notify_one();
                        }
                        publish_direct(&deps, direct);
                        if adds_timer {
                            deps.signals.timers.notify_one();
                        }
                        if has_deliveries {
                            deps.signals.deliveries.notify_one();
                        }
                        if has_responses {
                            deps.signals.responses.notify_one();
                        }
                        // Whatever the step was, the workflow may now be able to move by itself
                        // (a retried workflow resumes, say).
                        if snap.workflow.state.next_step().is_none() {
                            break;
                        }
                        step = Step::Drive;
                    }
                    Ok(CommitOutcome::Conflict) => {
                        conflicts += 1;
                        if conflicts >= MAX_CONFLICTS {
                            return (None, Err(StepError::Contended(conflicts)));
                        }
                        match deps.store.load(&workflow_id).await {
                            Ok(Some(s)) => snap = s,
                            Ok(None) => return (None, Err(StepError::NotFound)),
                            Err(e) => return (None, Err(e.into())),
                        }
                    }
                    Err(e) => return (None, Err(e.into())),
                }
            }
        }
    }
    let outcome = StepOutcome {
        state: snap.workflow.state,
        version: snap.version,
        changed,
        alert: snap.alert.clone(),
    };
    (Some(snap), Ok(outcome))
}
