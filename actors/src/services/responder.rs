//! The responder: claims due positive responses (one node at a time per response, by lease),
//! posts each through the [`Responder`](crate::ports::Responder) port with a timeout, a few at
//! a time, and hands the outcome to the workflow's actor, which records it in the audit trail
//! and settles the row in one commit. A slow or hostile center holds only these few slots:
//! tickets, alerts and notifications go on without it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::FutureExt;
use tokio::sync::Notify;

use super::leased::Leased;
use super::looping::Looping;
use crate::deps::Deps;
use crate::dispatch::Dispatcher;
use crate::health::ActorStats;
use crate::ports::{BoxFuture, StoreError};
use crate::records::{ResponseJob, SendResult};
use crate::step::{RespondAttempt, Step};

/// Responses posted at once per node: a center's API is one server, not a fleet of channels.
const CONCURRENCY: usize = 8;

pub struct ResponderLoop {
    pub dispatcher: Dispatcher,
}

impl Looping for ResponderLoop {
    const NAME: &'static str = "responder";

    fn run(
        &self,
        deps: Arc<Deps>,
        stats: Arc<ActorStats>,
        _restarts: u64,
    ) -> BoxFuture<'static, ()> {
        super::leased::run::<Responses>(deps, self.dispatcher.clone(), stats).boxed()
    }
}

/// Positive responses, as [`leased::run`](super::leased::run) claims and posts them.
struct Responses;

impl Leased for Responses {
    type Job = ResponseJob;
    const WHAT: &'static str = "responses";

    fn slots(_deps: &Deps) -> usize {
        CONCURRENCY
    }

    fn wake(deps: &Deps) -> &Notify {
        &deps.signals.responses
    }

    fn claim(
        deps: &Deps,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<ResponseJob>, StoreError>> {
        deps.store
            .claim_responses(&deps.config.node_id, now, lease_until, limit)
    }

    fn handle(deps: Arc<Deps>, dispatcher: Dispatcher, job: ResponseJob) -> BoxFuture<'static, ()> {
        async move { post_one(&deps, &dispatcher, job).await }.boxed()
    }
}

async fn post_one(deps: &Deps, dispatcher: &Dispatcher, job: ResponseJob) {
    let timeout = deps.config.delivery_timeout;
    let result = match tokio::time::timeout(timeout, deps.responder.post(job.clone())).await {
        Ok(r) => r,
        Err(_) => SendResult::Transient {
            error: format!("no answer within {} s", timeout.as_secs()),
        },
    };
    let r = job.record;
    let attempt = RespondAttempt {
        response: r.id,
        code: r.code,
        station: r.station,
        attempt: job.attempt,
        result,
    };
    if let Err(e) = dispatcher
        .command(&r.workflow_id, Step::Responded { attempt })
        .await
    {
        // The claim runs out and the response is posted again under the same trail id.
        tracing::warn!(workflow_id = %r.workflow_id, error = %e, "could not record a response attempt");
    }
}
