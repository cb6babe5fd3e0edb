//! The responder: claims due positive responses (one node at a time per response, by lease),
//! posts each through the [`Responder`](crate::ports::Responder) port with a timeout, a few at
//! a time, and hands the outcome to the workflow's actor, which records it in the audit trail
//! and settles the row in one commit. A slow or hostile center holds only these few slots:
//! tickets, alerts and notifications go on without it.

use std::sync::Arc;

use chrono::TimeDelta;
use futures::FutureExt;
use tokio::sync::Semaphore;

use super::looping::Looping;
use crate::deps::Deps;
use crate::dispatch::Dispatcher;
use crate::health::ActorStats;
use crate::ports::BoxFuture;
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
        run(deps, self.dispatcher.clone(), stats).boxed()
    }
}

async fn run(deps: Arc<Deps>, dispatcher: Dispatcher, stats: Arc<ActorStats>) {
    let lease = TimeDelta::from_std(deps.config.claim_lease).unwrap_or(TimeDelta::seconds(30));
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    loop {
        let free = match slots.clone().acquire_owned().await {
            Ok(first) => {
                drop(first);
                slots.available_permits()
            }
            Err(_) => return,
        };
        let now = deps.clock.now();
        let jobs = match deps
            .store
            .claim_responses(&deps.config.node_id, now, now + lease, free)
            .await
        {
            Ok(jobs) => jobs,
            Err(e) => {
                stats.failed();
                tracing::warn!(error = %e, "claiming responses failed");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        let full = jobs.len() == free;
        for job in jobs {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let (deps, dispatcher, guard) = (deps.clone(), dispatcher.clone(), stats.track());
            actix::spawn(async move {
                let _guard = guard;
                let _permit = permit;
                post_one(&deps, &dispatcher, job).await;
            });
        }
        if full {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(deps.config.delivery_poll) => {}
            _ = deps.signals.responses.notified() => {}
        }
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
