//! Gauges read from state rather than counted as things happen, all asked of the application:
//! actor health, pools and queues on every scrape; database counts (workflows by state, open
//! and overdue alerts, dead letters, outbox lag, notification backlog, unreachable recipients,
//! tickets due, sequence gaps, missing tickets) by a background task, so a scrape never waits
//! on the database.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use aegis_workflows::State;
use chrono::{DateTime, Utc};

use super::names;
use crate::app::Service;
use crate::app::watch::{DatabaseReadings, RuntimeReadings};

/// Cheap, in-memory gauges; called on every scrape.
pub fn refresh_runtime(app: &Service) {
    let r = app.runtime_readings();
    runtime_gauges(&r);
    super::silence::refresh(&app.settings().centers, app.last_deliveries(), r.now);
}

fn runtime_gauges(r: &RuntimeReadings) {
    for a in &r.actors {
        let name = a.name.clone();
        metrics::gauge!(names::ACTOR_MAILBOX, "actor" => name.clone()).set(a.mailbox as f64);
        metrics::gauge!(names::ACTOR_ACTIVE, "actor" => name.clone()).set(a.active as f64);
        let up = if a.state == "running" { 1.0 } else { 0.0 };
        metrics::gauge!(names::ACTOR_UP, "actor" => name.clone()).set(up);
        metrics::counter!(names::ACTOR_RESTARTS, "actor" => name.clone()).absolute(a.restarts);
        metrics::counter!(names::ACTOR_PROCESSED, "actor" => name).absolute(a.processed);
    }
    for &(pool, connections, idle) in &r.pools {
        metrics::gauge!(names::DB_POOL_CONNECTIONS, "pool" => pool).set(f64::from(connections));
        metrics::gauge!(names::DB_POOL_IDLE, "pool" => pool).set(f64::from(idle));
    }
    metrics::gauge!(names::DB_WRITER_QUEUE).set(r.writer_queued as f64);
    if let Some(b) = r.bus_backlog {
        metrics::gauge!(names::BUS_BACKLOG).set(b as f64);
    }
}

/// Refreshes the database-derived gauges every `every` until the process ends.
pub fn spawn_db_gauges(app: Arc<Service>, every: Duration) {
    actix_web::rt::spawn(async move {
        // Centers once reported with gaps: their gauge goes back to 0 when the gaps fill.
        let mut gap_centers = BTreeSet::new();
        loop {
            let readings = app.database_readings().await;
            database_gauges(readings, &mut gap_centers);
            tokio::time::sleep(every).await;
        }
    });
}

fn seconds_since(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> f64 {
    t.map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1e3)
}

fn database_gauges(r: DatabaseReadings, gap_centers: &mut BTreeSet<String>) {
    match r.stats {
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
            metrics::gauge!(names::OUTBOX_LAG).set(seconds_since(s.outbox_oldest, r.now));
            let n = &s.notifications;
            metrics::gauge!(names::NOTIFICATIONS_PENDING).set(n.pending as f64);
            metrics::gauge!(names::NOTIFICATIONS_OLDEST_PENDING)
                .set(seconds_since(n.oldest_pending, r.now));
            metrics::gauge!(names::RECIPIENTS_UNREACHABLE)
                .set(n.unreachable_recipients.len() as f64);
            for st in ["pending", "posted", "rejected"] {
                let v = s.responses.get(st).copied().unwrap_or(0);
                metrics::gauge!(names::RESPONSES, "state" => st).set(v as f64);
            }
        }
        Err(e) => tracing::debug!(error = %e, "could not refresh database gauges"),
    }
    match r.due {
        Ok((soon, overdue)) => {
            metrics::gauge!(names::TICKETS_DUE, "when" => "soon").set(soon as f64);
            metrics::gauge!(names::TICKETS_DUE, "when" => "overdue").set(overdue as f64);
        }
        Err(e) => tracing::debug!(error = %e, "could not count tickets due"),
    }
    match r.gaps {
        Ok(mut per_center) => {
            for center in gap_centers.iter() {
                per_center.entry(center.clone()).or_insert(0);
            }
            for (center, n) in per_center {
                gap_centers.insert(center.clone());
                metrics::gauge!(names::SEQUENCE_GAPS, "center" => center).set(n as f64);
            }
        }
        Err(e) => tracing::debug!(error = %e, "could not look for sequence gaps"),
    }
    match r.missing {
        Ok(per_center) => {
            for (center, n) in per_center {
                metrics::gauge!(names::TICKETS_MISSING, "center" => center).set(n as f64);
            }
        }
        Err(e) => tracing::debug!(error = %e, "could not count missing tickets"),
    }
}
