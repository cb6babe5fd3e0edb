//! The step engine: given a workflow snapshot and a step, decide what happens (pure rules from
//! `aegis-workflows` plus the scorer and a few store reads), commit it with compare-and-set, and
//! go on while the workflow can move by itself.
//!
//! A ticket actor runs one step at a time through [`run`]; the engine holds no state of its own.

mod build;

pub use build::{ChainTip, event_record, outbox_record, routing_key};
mod decide;
mod drive;
mod investigate;
mod notify;
mod plan;
mod respond;
mod timers;

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
        None => match load(&deps, &workflow_id).await {
            Ok(s) => s,
            Err(e) => return (None, Err(e)),
        },
    };
    let mut step = step;
    let mut changed = false;
    // Wall time, not the (possibly manual) domain clock: this measures Aegis, not the world.
    let started = chrono::Utc::now();
    let mut conflicts = 0;
    loop {
        let plan = match decide::decide(&deps, &snap, &step).await {
            Ok(Decision::Nothing) => break,
            Ok(Decision::Settle(timer_ids)) => {
                if let Err(e) = deps.store.settle_timers(TimerSettle { timer_ids }).await {
                    return (Some(snap), Err(e.into()));
                }
                break;
            }
            Ok(Decision::Commit(plan)) => *plan,
            Err(e) => return (Some(snap), Err(e)),
        };
        match commit(&deps, &mut snap, plan, (step.name(), started)).await {
            Committed::Yes => {
                changed = true;
                conflicts = 0;
                // Whatever the step was, the workflow may now be able to move by itself (a
                // retried workflow resumes, say).
                if snap.workflow.state.next_step().is_none() {
                    break;
                }
                step = Step::Drive;
            }
            Committed::Conflict => {
                conflicts += 1;
                if conflicts >= MAX_CONFLICTS {
                    return (None, Err(StepError::Contended(conflicts)));
                }
                match load(&deps, &workflow_id).await {
                    Ok(s) => snap = s,
                    Err(e) => return (None, Err(e)),
                }
            }
            Committed::Unplanned(e) => return (Some(snap), Err(e)),
            Committed::Failed(e) => return (None, Err(e)),
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

async fn load(deps: &Deps, workflow_id: &str) -> Result<WorkflowSnapshot, StepError> {
    match deps.store.load(workflow_id).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(StepError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// How a plan's commit went.
enum Committed {
    Yes,
    /// Another step moved the workflow first: reload and decide again.
    Conflict,
    /// The plan could not be turned into a commit; the snapshot still holds.
    Unplanned(StepError),
    /// The store failed: the snapshot may be stale.
    Failed(StepError),
}

/// Commits `plan` with compare-and-set; once durable, the snapshot moves on and the services
/// the commit gave work to are woken.
async fn commit(
    deps: &Arc<Deps>,
    snap: &mut WorkflowSnapshot,
    plan: plan::Plan,
    step: (&'static str, chrono::DateTime<chrono::Utc>),
) -> Committed {
    let now = deps.clock.now();
    let mut commit = match build::commit(snap, plan, now, step) {
        Ok(c) => c,
        Err(e) => return Committed::Unplanned(e),
    };
    let direct = if deps.config.durable_outbox {
        Vec::new()
    } else {
        std::mem::take(&mut commit.outbox)
    };
    let commit = Arc::new(commit);
    let wakes = Wakes::of(&commit);
    match deps.store.commit(commit.clone()).await {
        Ok(CommitOutcome::Committed) => {
            build::advance(snap, &commit);
            publish_direct(deps, direct);
            wakes.send(deps);
            Committed::Yes
        }
        Ok(CommitOutcome::Conflict) => Committed::Conflict,
        Err(e) => Committed::Failed(e.into()),
    }
}

/// The services a commit gave work to.
struct Wakes {
    outbox: bool,
    timers: bool,
    deliveries: bool,
    responses: bool,
}

impl Wakes {
    fn of(c: &crate::records::TransitionCommit) -> Self {
        Self {
            outbox: !c.outbox.is_empty(),
            timers: c
                .timers
                .iter()
                .any(|t| matches!(t, crate::records::TimerChange::Add(_))),
            deliveries: !c.deliveries.is_empty(),
            responses: !c.responses.is_empty(),
        }
    }

    fn send(self, deps: &Deps) {
        let s = &deps.signals;
        for (wake, signal) in [
            (self.outbox, &s.outbox),
            (self.timers, &s.timers),
            (self.deliveries, &s.deliveries),
            (self.responses, &s.responses),
        ] {
            if wake {
                signal.notify_one();
            }
        }
    }
}
