//! The outbox relay: publishes committed outbox rows to the events exchange with publisher
//! confirms, then deletes them. A state change and its message therefore never disagree: the
//! message exists once the change is durable, and is sent at least once (consumers
//! de-duplicate by message id).

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use futures::FutureExt;

use super::looping::Looping;
use crate::deps::Deps;
use crate::health::ActorStats;
use crate::ports::bus::MESSAGE_SCHEMA;
use crate::ports::{BoxFuture, EventMessage};

const BATCH: usize = 500;

/// The outbox relay's loop; run it in a [`LoopService`](super::looping::LoopService).
pub struct OutboxLoop;

impl Looping for OutboxLoop {
    const NAME: &'static str = "outbox-relay";

    fn run(
        &self,
        deps: Arc<Deps>,
        stats: Arc<ActorStats>,
        _restarts: u64,
    ) -> BoxFuture<'static, ()> {
        run(deps, stats).boxed()
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
