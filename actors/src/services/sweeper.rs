//! The sweeper: at start-up, drives every unfinished workflow found in an automatic state (a
//! crash or `kill -9` loses nothing); afterwards, now and then, drives those that have stalled
//! (a node died between committing a ticket and queueing it). Driving twice is harmless:
//! compare-and-set lets only one activation advance a workflow.

use std::sync::Arc;
use std::time::Duration;

use aegis_workflows::State;
use chrono::{DateTime, TimeDelta, Utc};
use futures::FutureExt;

use super::looping::Looping;
use crate::deps::Deps;
use crate::health::ActorStats;
use crate::ports::{BoxFuture, WorkMessage};

const PAGE: usize = 500;
const AUTOMATIC: [State; 3] = [State::Received, State::Validated, State::Scored];

/// The sweeper's loop; run it in a [`LoopService`](super::looping::LoopService).
pub struct SweepLoop;

impl Looping for SweepLoop {
    const NAME: &'static str = "sweeper";

    fn run(
        &self,
        deps: Arc<Deps>,
        stats: Arc<ActorStats>,
        restarts: u64,
    ) -> BoxFuture<'static, ()> {
        async move {
            // The first start recovers everything unfinished; a restart only resumes sweeping.
            if restarts == 0 {
                let started = deps.clock.now();
                match sweep(&deps, &stats, started).await {
                    Ok(n) if n > 0 => {
                        tracing::info!(workflows = n, "recovered unfinished workflows")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "start-up recovery failed; will retry"),
                }
            }
            loop {
                tokio::time::sleep(deps.config.sweep_every).await;
                // Only look for stalls when local work is drained: a long queue is not a stall.
                if deps.bus.backlog().unwrap_or(0) > u64::from(deps.config.prefetch) {
                    continue;
                }
                let stall =
                    TimeDelta::from_std(deps.config.stall_after).unwrap_or(TimeDelta::seconds(30));
                match sweep(&deps, &stats, deps.clock.now() - stall).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(workflows = n, "drove stalled workflows again"),
                    Err(e) => {
                        stats.failed();
                        tracing::warn!(error = %e, "sweep failed");
                    }
                }
            }
        }
        .boxed()
    }
}

/// Queues a drive for every automatic-state workflow unchanged since `before`.
async fn sweep(deps: &Deps, stats: &ActorStats, before: DateTime<Utc>) -> Result<usize, String> {
    let mut after = None;
    let mut total = 0;
    loop {
        let ids = deps
            .store
            .stalled(&AUTOMATIC, before, after.clone(), PAGE)
            .await
            .map_err(|e| e.to_string())?;
        let n = ids.len();
        if n == 0 {
            return Ok(total);
        }
        after = ids.last().cloned();
        let messages: Vec<WorkMessage> = ids.iter().map(|id| WorkMessage::drive(id)).collect();
        let mut attempt = 0;
        while let Err(e) = deps.bus.publish_work(messages.clone()).await {
            attempt += 1;
            stats.failed();
            if attempt >= 5 {
                return Err(e.to_string());
            }
            tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
        }
        stats.processed();
        total += n;
        if n < PAGE {
            return Ok(total);
        }
    }
}
