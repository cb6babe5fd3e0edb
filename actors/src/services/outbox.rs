//! The outbox relay: publishes committed outbox rows to the events exchange with publisher
//! confirms, then deletes them. A state change and its message therefore never disagree: the
//! message exists once the change is durable, and is sent at least once (consumers
//! de-duplicate by message id).

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use chrono::TimeDelta;

use crate::deps::Deps;
use crate::health::{ActorState, ActorStats};
use crate::ports::EventMessage;
use crate::ports::bus::MESSAGE_SCHEMA;

const BATCH: usize = 500;

pub struct OutboxRelay {
    deps: Arc<Deps>,
    stats: Arc<ActorStats>,
    restarts: u64,
}

impl OutboxRelay {
    pub fn new(deps: Arc<Deps>) -> Self {
        let stats = deps.health.register("outbox-relay");
        Self {
            deps,
            stats,
            restarts: 0,
        }
    }
}

impl Actor for OutboxRelay {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.stats.set_state(ActorState::Running);
        let deps = self.deps.clone();
        let stats = self.stats.clone();
        let delay = super::restart_delay(self.restarts);
        let restarted = self.restarts > 0;
        ctx.spawn(
            async move {
                if restarted {
                    tokio::time::sleep(delay).await;
                }
                run(deps, stats).await;
            }
            .into_actor(self)
            .map(|_, _, ctx| ctx.stop()),
        );
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.stats.set_state(ActorState::Stopped);
    }
}

impl Supervised for OutboxRelay {
    fn restarting(&mut self, _: &mut Self::Context) {
        self.restarts += 1;
        self.stats.set_state(ActorState::Restarting);
        self.stats.restarted();
    }
}

async fn run(deps: Arc<Deps>, stats: Arc<ActorStats>) {
    let lease = TimeDelta::from_std(deps.config.claim_lease).unwrap_or(TimeDelta::seconds(30));
    loop {
        let now = chrono::Utc::now();
        let rows = match deps
            .store
            .claim_outbox(&deps.config.node_id, now, now + lease, BATCH)
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                stats.failed();
                tracing::warn!(error = %e, "claiming outbox rows failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if rows.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(deps.config.outbox_poll) => {}
                _ = deps.signals.outbox.notified() => {}
            }
            continue;
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let messages: Vec<EventMessage> = rows
            .into_iter()
            .map(|r| EventMessage {
                schema: MESSAGE_SCHEMA,
                message_id: r.record.message_id,
                routing_key: r.record.routing_key,
                workflow_id: r.record.workflow_id,
                payload: r.record.payload,
            })
            .collect();
        let n = messages.len();
        if let Err(e) = deps.bus.publish_events(messages).await {
            stats.failed();
            // Unsent rows stay claimed until the lease ends, then go out again.
            tracing::warn!(error = %e, "publishing events failed");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        if let Err(e) = deps.store.outbox_sent(ids).await {
            stats.failed();
            tracing::warn!(error = %e, "marking outbox rows sent failed; they will be sent again");
        }
        stats.processed_n(n as u64);
    }
}
