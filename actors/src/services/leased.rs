//! The loop shared by the services that send rows to the outside (the deliverer's
//! notifications, the responder's positive responses): claim what is due under a lease (one
//! node at a time per row), handle each with a bounded number in flight, and claim only what can
//! be started now, so that a claimed row never waits here holding its lease. A node that dies
//! mid-send leaves its claims to expire; another node takes them over.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::{Notify, Semaphore};

use crate::deps::Deps;
use crate::dispatch::Dispatcher;
use crate::health::ActorStats;
use crate::ports::{BoxFuture, StoreError};

/// What one such service claims and how it handles a claimed row.
pub(crate) trait Leased: Send + Sync + 'static {
    type Job: Send + 'static;
    /// What is claimed, for the logs ("deliveries").
    const WHAT: &'static str;

    /// Rows in flight at most.
    fn slots(deps: &Deps) -> usize;
    /// What wakes the loop before its next poll.
    fn wake(deps: &Deps) -> &Notify;
    fn claim(
        deps: &Deps,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<Self::Job>, StoreError>>;
    /// Sends one row and records how it went.
    fn handle(deps: Arc<Deps>, dispatcher: Dispatcher, job: Self::Job) -> BoxFuture<'static, ()>;
}

pub(crate) async fn run<L: Leased>(
    deps: Arc<Deps>,
    dispatcher: Dispatcher,
    stats: Arc<ActorStats>,
) {
    let lease = TimeDelta::from_std(deps.config.claim_lease).unwrap_or(TimeDelta::seconds(30));
    let slots = Arc::new(Semaphore::new(L::slots(&deps).max(1)));
    loop {
        let free = match slots.clone().acquire_owned().await {
            Ok(first) => {
                drop(first);
                slots.available_permits()
            }
            Err(_) => return,
        };
        let now = deps.clock.now();
        let jobs = match L::claim(&deps, now, now + lease, free).await {
            Ok(jobs) => jobs,
            Err(e) => {
                stats.failed();
                tracing::warn!(error = %e, "claiming {} failed", L::WHAT);
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
                L::handle(deps, dispatcher, job).await;
            });
        }
        if full {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(deps.config.delivery_poll) => {}
            _ = L::wake(&deps).notified() => {}
        }
    }
}
