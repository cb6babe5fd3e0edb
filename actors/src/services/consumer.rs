//! The work consumer: takes work messages from the bus (at most `prefetch` unsettled) and drives
//! each workflow, acknowledging the message only after the workflow's steps are committed.
//! A message whose workflow could not even be failed (the store is down) is requeued.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use tokio_stream::wrappers::ReceiverStream;

use crate::deps::Deps;
use crate::dispatch::Dispatcher;
use crate::health::{ActorState, ActorStats};
use crate::ports::{Delivery, WorkKind};
use crate::step::{Step, StepError};

pub struct WorkConsumer {
    deps: Arc<Deps>,
    dispatcher: Dispatcher,
    stats: Arc<ActorStats>,
    restarts: u64,
}

impl WorkConsumer {
    pub fn new(deps: Arc<Deps>, dispatcher: Dispatcher) -> Self {
        let stats = deps.health.register("work-consumer");
        Self {
            deps,
            dispatcher,
            stats,
            restarts: 0,
        }
    }
}

impl Actor for WorkConsumer {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.stats.set_state(ActorState::Starting);
        let bus = self.deps.bus.clone();
        let prefetch = self.deps.config.prefetch;
        let delay = if self.restarts > 0 {
            super::restart_delay(self.restarts)
        } else {
            Duration::ZERO
        };
        let fut = async move {
            tokio::time::sleep(delay).await;
            bus.consume_work(prefetch).await
        };
        ctx.wait(fut.into_actor(self).map(|res, act, ctx| match res {
            Ok(rx) => {
                act.stats.set_state(ActorState::Running);
                ctx.add_stream(ReceiverStream::new(rx));
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot consume work; restarting the consumer");
                act.stats.failed();
                ctx.stop();
            }
        }));
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.stats.set_state(ActorState::Stopped);
    }
}

impl Supervised for WorkConsumer {
    fn restarting(&mut self, _: &mut Self::Context) {
        self.restarts += 1;
        self.stats.set_state(ActorState::Restarting);
        self.stats.restarted();
    }
}

impl StreamHandler<Delivery> for WorkConsumer {
    fn handle(&mut self, delivery: Delivery, _: &mut Self::Context) {
        let dispatcher = self.dispatcher.clone();
        let guard = self.stats.track();
        actix::spawn(async move {
            let _guard = guard;
            let Delivery { message, acker, .. } = delivery;
            let step = match message.kind {
                WorkKind::Drive => Step::Drive,
            };
            let settle = match dispatcher.run(&message.workflow_id, step).await {
                Ok(_) | Err(StepError::NotFound) => acker.ack().await,
                Err(e) if !e.retryable() => {
                    tracing::warn!(workflow_id = %message.workflow_id, error = %e, "work refused");
                    acker.ack().await
                }
                Err(e) => {
                    tracing::warn!(workflow_id = %message.workflow_id, error = %e, "work failed; requeueing");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    acker.nack(true).await
                }
            };
            if let Err(e) = settle {
                // The broker redelivers an unsettled message; compare-and-set makes that harmless.
                tracing::warn!(error = %e, "could not settle a work message");
            }
        });
    }

    fn finished(&mut self, ctx: &mut Self::Context) {
        tracing::warn!("work stream ended; restarting the consumer");
        ctx.stop();
    }
}
