//! The deliverer: claims due notifications (one node at a time per delivery, by lease), sends
//! each through the [`Messenger`](crate::ports::Messenger) port with a bounded number in
//! flight and a timeout, and hands the outcome to the workflow's actor, which records it in the
//! audit trail and settles the row in one commit. A node that dies mid-send leaves its claims
//! to expire; another node sends them again under the same delivery id.

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
use crate::records::{DeliveryJob, SendResult, Subject};
use crate::step::{NotifyAttempt, Step};

/// The deliverer's loop; run it in a [`LoopService`](super::looping::LoopService).
pub struct DelivererLoop {
    pub dispatcher: Dispatcher,
}

impl Looping for DelivererLoop {
    const NAME: &'static str = "deliverer";

    fn run(
        &self,
        deps: Arc<Deps>,
        stats: Arc<ActorStats>,
        _restarts: u64,
    ) -> BoxFuture<'static, ()> {
        super::leased::run::<Deliveries>(deps, self.dispatcher.clone(), stats).boxed()
    }
}

/// Notifications, as [`leased::run`](super::leased::run) claims and sends them.
struct Deliveries;

impl Leased for Deliveries {
    type Job = DeliveryJob;
    const WHAT: &'static str = "deliveries";

    fn slots(deps: &Deps) -> usize {
        deps.config.delivery_concurrency
    }

    fn wake(deps: &Deps) -> &Notify {
        &deps.signals.deliveries
    }

    fn claim(
        deps: &Deps,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<DeliveryJob>, StoreError>> {
        deps.store
            .claim_deliveries(&deps.config.node_id, now, lease_until, limit)
    }

    fn handle(deps: Arc<Deps>, dispatcher: Dispatcher, job: DeliveryJob) -> BoxFuture<'static, ()> {
        async move { send_one(&deps, &dispatcher, job).await }.boxed()
    }
}

async fn send_one(deps: &Deps, dispatcher: &Dispatcher, job: DeliveryJob) {
    let timeout = deps.config.delivery_timeout;
    let result = match tokio::time::timeout(timeout, deps.messenger.send(job.clone())).await {
        Ok(r) => r,
        Err(_) => SendResult::Transient {
            error: format!("no answer within {} s", timeout.as_secs()),
        },
    };
    let r = job.record;
    let Subject::Alert {
        workflow_id,
        change,
        ..
    } = r.subject
    else {
        // A notice about missing tickets belongs to no workflow: its row is settled directly.
        let now = deps.clock.now();
        let jitter = rand::Rng::random::<f64>(&mut rand::rng());
        let after = deps
            .config
            .delivery
            .after(job.attempt, &result, now, jitter);
        let update = crate::engine::delivery_update(r.id.clone(), job.attempt, after);
        if let Err(e) = deps.store.settle_delivery(update, now).await {
            tracing::warn!(delivery = %r.id, error = %e, "could not record an operators' notice attempt");
        }
        return;
    };
    let attempt = NotifyAttempt {
        delivery: r.id,
        change,
        user: r.user,
        channel: r.channel.kind().to_owned(),
        attempt: job.attempt,
        result,
    };
    if let Err(e) = dispatcher
        .command(&workflow_id, Step::Notified { attempt })
        .await
    {
        // The claim runs out and the delivery goes out again under the same id.
        tracing::warn!(workflow_id = %workflow_id, error = %e, "could not record a notification attempt");
    }
}
