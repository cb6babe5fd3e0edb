//! The ticket actor: one per active workflow, keyed by workflow id. It owns that workflow's
//! snapshot and runs its steps one at a time ([`AtomicResponse`]), so two steps of the same
//! ticket never interleave on this node; across nodes, compare-and-set keeps them apart.

use std::sync::Arc;

use actix::prelude::*;

use crate::deps::Deps;
use crate::engine;
use crate::records::WorkflowSnapshot;
use crate::step::{Step, StepError, StepOutcome};

/// Steps queued for one ticket beyond this make senders wait.
pub const MAILBOX: usize = 64;

pub struct TicketActor {
    id: String,
    deps: Arc<Deps>,
    snapshot: Option<WorkflowSnapshot>,
}

impl TicketActor {
    /// A fresh activation. `snapshot` seeds it when the caller already holds the workflow
    /// (intake just wrote it); otherwise the first step loads it from the store.
    pub fn new(id: String, deps: Arc<Deps>, snapshot: Option<WorkflowSnapshot>) -> Self {
        Self { id, deps, snapshot }
    }
}

impl Actor for TicketActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(MAILBOX);
    }
}

#[derive(Message)]
#[rtype(result = "Result<StepOutcome, StepError>")]
pub struct RunStep(pub Step);

impl Handler<RunStep> for TicketActor {
    type Result = AtomicResponse<Self, Result<StepOutcome, StepError>>;

    fn handle(&mut self, msg: RunStep, _ctx: &mut Self::Context) -> Self::Result {
        let fut = engine::run(
            self.deps.clone(),
            self.snapshot.take(),
            self.id.clone(),
            msg.0,
        );
        AtomicResponse::new(Box::pin(fut.into_actor(self).map(
            |(snapshot, result), act, _ctx| {
                act.snapshot = snapshot;
                result
            },
        )))
    }
}
