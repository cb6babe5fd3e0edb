//! The timer service: claims due timers (one node at a time per timer, by lease) and delivers
//! each to its workflow's actor as a step. The step's commit deletes the timer; a claim whose
//! node died expires and another node takes it.

use std::sync::Arc;

use actix::prelude::*;
use chrono::TimeDelta;

use crate::deps::Deps;
use crate::dispatch::Dispatcher;
use crate::health::{ActorState, ActorStats};
use crate::records::TimerSettle;
use crate::step::{Step, StepError};

const BATCH: usize = 256;

pub struct TimerService {
    deps: Arc<Deps>,
    dispatcher: Dispatcher,
    stats: Arc<ActorStats>,
    restarts: u64,
}

impl TimerService {
    pub fn new(deps: Arc<Deps>, dispatcher: Dispatcher) -> Self {
        let stats = deps.health.register("timer");
        Self {
            deps,
            dispatcher,
            stats,
            restarts: 0,
        }
    }
}

impl Actor for TimerService {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.stats.set_state(ActorState::Running);
        let deps = self.deps.clone();
        let dispatcher = self.dispatcher.clone();
        let stats = self.stats.clone();
        let delay = super::restart_delay(self.restarts);
        let restarted = self.restarts > 0;
        ctx.spawn(
            async move {
                if restarted {
                    tokio::time::sleep(delay).await;
                }
                run(deps, dispatcher, stats).await;
            }
            .into_actor(self)
            .map(|_, _, ctx| ctx.stop()),
        );
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.stats.set_state(ActorState::Stopped);
    }
}

impl Supervised for TimerService {
    fn restarting(&mut self, _: &mut Self::Context) {
        self.restarts += 1;
        self.stats.set_state(ActorState::Restarting);
        self.stats.restarted();
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
