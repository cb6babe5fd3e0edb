//! The timer service: claims due timers (one node at a time per timer, by lease) and delivers
//! each to its workflow's actor as a step. The step's commit deletes the timer; a claim whose
//! node died expires and another node takes it.

use std::sync::Arc;

use chrono::TimeDelta;
use futures::FutureExt;

use super::looping::Looping;
use crate::deps::Deps;
use crate::dispatch::Dispatcher;
use crate::health::ActorStats;
use crate::ports::BoxFuture;
use crate::records::TimerSettle;
use crate::step::{Step, StepError};

const BATCH: usize = 256;

/// The timer service's loop; run it in a [`LoopService`](super::looping::LoopService).
pub struct TimerLoop {
    pub dispatcher: Dispatcher,
}

impl Looping for TimerLoop {
    const NAME: &'static str = "timer";

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
    loop {
        let now = deps.clock.now();
        let claimed = deps
            .store
            .claim_timers(now, &deps.config.node_id, now + lease, BATCH)
            .await;
        let full = match claimed {
            Ok(timers) => {
                let n = timers.len();
                for timer in timers {
                    let dispatcher = dispatcher.clone();
                    let deps = deps.clone();
                    let guard = stats.track();
                    actix::spawn(async move {
                        let _guard = guard;
                        let id = timer.id.clone();
                        let wf = timer.workflow_id.clone();
                        match dispatcher.run(&wf, Step::Timer { timer }).await {
                            Ok(_) => {}
                            Err(StepError::NotFound) => {
                                let settle = TimerSettle {
                                    timer_ids: vec![id],
                                };
                                if let Err(e) = deps.store.settle_timers(settle).await {
                                    tracing::warn!(error = %e, "could not drop an orphan timer");
                                }
                            }
                            // The claim expires and the timer fires again.
                            Err(e) => {
                                tracing::warn!(workflow_id = %wf, error = %e, "timer step failed")
                            }
                        }
                    });
                }
                n == BATCH
            }
            Err(e) => {
                stats.failed();
                tracing::warn!(error = %e, "claiming timers failed");
                false
            }
        };
        if full {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(deps.config.timer_poll) => {}
            _ = deps.signals.timers.notified() => {}
        }
    }
}
