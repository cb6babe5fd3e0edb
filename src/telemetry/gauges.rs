//! Gauges read from state rather than counted as things happen: actor health, pools and
//! queues on every scrape; database counts (workflows by state, open and overdue alerts, dead
//! letters, outbox lag, notification backlog, unreachable recipients) by a background task, so
//! a scrape never waits on the database.

use std::sync::Arc;
use std::time::Duration;

use aegis_actors::health::Health;
use aegis_actors::ports::{Bus, Clock};
use aegis_workflows::State;
use chrono::TimeDelta;

use super::names;
use super::silence::LastDeliveries;
use crate::config::Centers;
use crate::db::Db;
use crate::db::store::DbStore;

/// What the gauges are read from: handles, not the application.
#[derive(Clone)]
pub struct Sources {
    pub db: Db,
    pub store: Arc<DbStore>,
    pub bus: Arc<dyn Bus>,
    pub health: Health,
    pub clock: Arc<dyn Clock>,
    /// The escalation tiers' recipients, checked for reachability.
    pub recipients: Vec<String>,
    pub due_warn_before_secs: u64,
    pub gap_grace: TimeDelta,
    pub centers: Centers,
    pub last_deliveries: LastDeliveries,
}

impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sources").finish_non_exhaustive()
    }
}

/// Cheap, in-memory gauges; called on every scrape.
pub fn refresh_runtime(state: &Sources) {
    for a in state.health.report() {
        let name = a.name.clone();
        metrics::gauge!(names::ACTOR_MAILBOX, "actor" => name.clone()).set(a.mailbox as f64);
        metrics::gauge!(names::ACTOR_ACTIVE, "actor" => name.clone()).set(a.active as f64);
        metrics::gauge!(names::ACTOR_UP, "actor" => name.clone()).set(if a.state == "running" {
            1.0
        } else {
            0.0
        });
        metrics::counter!(names::ACTOR_RESTARTS, "actor" => name.clone()).absolute(a.restarts);
        metrics::counter!(names::ACTOR_PROCESSED, "actor" => name).absolute(a.processed);
    }
    for (pool, connections, idle) in state.db.pool_state() {
        metrics::gauge!(names::DB_POOL_CONNECTIONS, "pool" => pool).set(f64::from(connections));
        metrics::gauge!(names::DB_POOL_IDLE, "pool" => pool).set(f64::from(idle));
    }
    metrics::gauge!(names::DB_WRITER_QUEUE).set(state.store.writer().queued() as f64);
    super::silence::refresh(&state.centers, &state.last_deliveries, state.clock.now());
    if let Some(b) = state.bus.backlog() {
        metrics::gauge!(names::BUS_BACKLOG).set(b as f64);
    }
}

/// Refreshes the database-derived gauges every `every` until the process ends.
pub fn spawn_db_gauges(state: Sources, every: Duration) {
    actix_web::rt::spawn(async move {
        // Centers once reported with gaps: their gauge goes back to 0 when the gaps fill.
        let mut gap_centers = std::collections::BTreeSet::new();
        loop {
            let now = state.clock.now();
            let db = state.db.clone();
            let recipients = state.recipients.clone();
            match db
                .with_read(move |c| crate::db::read::stats(c, &recipients, now))
                .await
            {
                Ok(s) => {
                    for st in State::ALL {
                        let n = s.workflows.get(st.as_str()).copied().unwrap_or(0);
                        metrics::gauge!(names::WORKFLOWS, "state" => st.as_str()).set(n as f64);
                    }
                    let open: i64 = ["open", "escalated", "acknowledged"]
                        .iter()
                        .map(|k| s.alerts.get(*k).copied().unwrap_or(0))
                        .sum();
                    metrics::gauge!(names::ALERTS_OPEN).set(open as f64);
                    metrics::gauge!(names::ALERTS_OVERDUE).set(s.alerts_overdue as f64);
                    metrics::gauge!(names::DEAD_LETTERS).set(s.dead_letters as f64);
                    metrics::gauge!(names::OUTBOX_PENDING).set(s.outbox_pending as f64);
                    let lag = s
                        .outbox_oldest
                        .map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1e3);
                    metrics::gauge!(names::OUTBOX_LAG).set(lag);
                    let n = &s.notifications;
                    metrics::gauge!(names::NOTIFICATIONS_PENDING).set(n.pending as f64);
                    let age = n
                        .oldest_pending
                        .map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1e3);
                    metrics::gauge!(names::NOTIFICATIONS_OLDEST_PENDING).set(age);
                    metrics::gauge!(names::RECIPIENTS_UNREACHABLE)
                        .set(n.unreachable_recipients.len() as f64);
                    for st in ["pending", "posted", "rejected"] {
                        let v = s.responses.get(st).copied().unwrap_or(0);
                        metrics::gauge!(names::RESPONSES, "state" => st).set(v as f64);
                    }
                }
                Err(e) => tracing::debug!(error = %e, "could not refresh database gauges"),
            }
            let warn = chrono::TimeDelta::seconds(
                i64::try_from(state.due_warn_before_secs).unwrap_or(i64::MAX),
            );
            match state
                .db
                .with_read(move |c| crate::db::read::due::open_alert_counts(c, now, warn))
                .await
            {
                Ok((soon, overdue)) => {
                    metrics::gauge!(names::TICKETS_DUE, "when" => "soon").set(soon as f64);
                    metrics::gauge!(names::TICKETS_DUE, "when" => "overdue").set(overdue as f64);
                }
                Err(e) => tracing::debug!(error = %e, "could not count tickets due"),
            }
            let grace = state.gap_grace;
            match state
                .db
                .with_read(move |c| {
                    Ok((
                        crate::db::sequence_gaps::gaps(c, now, grace)?,
                        crate::db::sequence_gaps::centers(c, now)?,
                    ))
                })
                .await
            {
                Ok((gaps, watched)) => {
                    let mut per_center: std::collections::BTreeMap<String, u64> =
                        watched.into_iter().map(|c| (c, 0)).collect();
                    for g in gaps {
                        *per_center.entry(g.center).or_default() += g.to - g.from + 1;
                    }
                    for center in &gap_centers {
                        per_center.entry(String::clone(center)).or_insert(0);
                    }
                    for (center, n) in per_center {
                        gap_centers.insert(center.clone());
                        metrics::gauge!(names::SEQUENCE_GAPS, "center" => center).set(n as f64);
                    }
                }
                Err(e) => tracing::debug!(error = %e, "could not look for sequence gaps"),
            }
            match state
                .db
                .with_read(crate::db::reconciliations::missing_now)
                .await
            {
                Ok(per_center) => {
                    for (center, n) in per_center {
                        metrics::gauge!(names::TICKETS_MISSING, "center" => center).set(n as f64);
                    }
                }
                Err(e) => tracing::debug!(error = %e, "could not count missing tickets"),
            }
            tokio::time::sleep(every).await;
        }
    });
}
