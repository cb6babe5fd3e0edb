//! A service that is one long-running loop (timers, outbox relay, sweeper): started in its actor,
//! and when the loop ends (it never should), stopped so that its supervisor starts it again after
//! a growing pause, counting the restart.

use std::sync::Arc;

use actix::prelude::*;

use crate::deps::Deps;
use crate::health::{ActorState, ActorStats};
use crate::ports::BoxFuture;

/// The loop a [`LoopService`] runs.
pub trait Looping: Unpin + 'static {
    /// The name the service reports under.
    const NAME: &'static str;

    /// The loop; `restarts` is 0 on the first start.
    fn run(&self, deps: Arc<Deps>, stats: Arc<ActorStats>, restarts: u64)
    -> BoxFuture<'static, ()>;
}

pub struct LoopService<L: Looping> {
    body: L,
    deps: Arc<Deps>,
    stats: Arc<ActorStats>,
    restarts: u64,
}

impl<L: Looping> LoopService<L> {
    pub fn new(deps: Arc<Deps>, body: L) -> Self {
        let stats = deps.health.register(L::NAME);
        Self {
            body,
            deps,
            stats,
            restarts: 0,
        }
    }
}

impl<L: Looping> Actor for LoopService<L> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.stats.set_state(ActorState::Running);
        let delay = super::restart_delay(self.restarts);
        let restarted = self.restarts > 0;
        let run = self
            .body
            .run(self.deps.clone(), self.stats.clone(), self.restarts);
        ctx.spawn(
            async move {
                if restarted {
                    tokio::time::sleep(delay).await;
                }
                run.await;
            }
            .into_actor(self)
            .map(|_, _, ctx| ctx.stop()),
        );
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.stats.set_state(ActorState::Stopped);
    }
}

impl<L: Looping> Supervised for LoopService<L> {
    fn restarting(&mut self, _: &mut Self::Context) {
        self.restarts += 1;
        self.stats.set_state(ActorState::Restarting);
        self.stats.restarted();
    }
}
