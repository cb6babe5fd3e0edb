//! The announcer: follows the events every node publishes and announces alert changes — to the
//! officers' live stream (server-sent events) and, for raised and escalated alerts, in the log.
//! It sends nothing to anyone: deliveries are rows the deliverer sends. Its health and metrics
//! still say `notifier`, the name operators' dashboards know.

use std::sync::Arc;

use actix::prelude::*;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use crate::deps::Deps;
use crate::health::{ActorState, ActorStats};
use crate::ports::EventMessage;

pub struct Announcer {
    deps: Arc<Deps>,
    alerts: broadcast::Sender<EventMessage>,
    stats: Arc<ActorStats>,
}

impl Announcer {
    pub fn new(deps: Arc<Deps>, alerts: broadcast::Sender<EventMessage>) -> Self {
        let stats = deps.health.register("notifier");
        Self {
            deps,
            alerts,
            stats,
        }
    }
}

/// Whether an event changes what officers and operators see in their alert list: alert
/// changes, tickets ending with an alert open, and rejected tickets (an operator must still
/// answer the center for them).
pub fn concerns_alerts(e: &EventMessage) -> bool {
    e.routing_key.starts_with("alert.")
        || e.routing_key == "ticket.rejected"
        || (matches!(
            e.routing_key.as_str(),
            "ticket.cancelled" | "ticket.superseded" | "ticket.failed" | "ticket.retried"
        ) && e.json().get("alert").is_some_and(|a| !a.is_null()))
}

impl Actor for Announcer {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.stats.set_state(ActorState::Running);
        ctx.add_stream(BroadcastStream::new(self.deps.bus.subscribe_events()));
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.stats.set_state(ActorState::Stopped);
    }
}

impl Supervised for Announcer {
    fn restarting(&mut self, _: &mut Self::Context) {
        self.stats.set_state(ActorState::Restarting);
        self.stats.restarted();
    }
}

impl StreamHandler<Result<EventMessage, BroadcastStreamRecvError>> for Announcer {
    fn handle(
        &mut self,
        item: Result<EventMessage, BroadcastStreamRecvError>,
        _: &mut Self::Context,
    ) {
        let event = match item {
            Ok(e) => e,
            Err(BroadcastStreamRecvError::Lagged(n)) => {
                self.stats.failed();
                tracing::warn!(missed = n, "the announcer fell behind the event stream");
                return;
            }
        };
        if !concerns_alerts(&event) {
            return;
        }
        self.stats.processed();
        if matches!(
            event.routing_key.as_str(),
            "alert.raised" | "alert.escalated"
        ) {
            let p = event.json();
            let because = aegis_workflows::alert::raised_because(p["event"]["rule"].as_str());
            tracing::info!(
                workflow_id = %event.workflow_id,
                center = %p["center"].as_str().unwrap_or(""),
                ticket = %p["ticket_number"].as_str().unwrap_or(""),
                tier = %p["event"]["tier"],
                recipients = %p["event"]["recipients"],
                deadline = %p["event"]["ack_deadline"].as_str().unwrap_or(""),
                because = %because,
                "{}", if event.routing_key == "alert.raised" { "alert raised" } else { "alert escalated" }
            );
        }
        if event.routing_key == "ticket.rejected" {
            let p = event.json();
            tracing::error!(
                workflow_id = %event.workflow_id,
                center = %p["center"].as_str().unwrap_or(""),
                ticket = %p["ticket_number"].as_str().unwrap_or(""),
                "ticket rejected: it could not be placed or identified, and the member must still answer it"
            );
        }
        // No live subscriber is fine: officers also poll the alert list.
        let _ = self.alerts.send(event);
    }

    fn finished(&mut self, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
