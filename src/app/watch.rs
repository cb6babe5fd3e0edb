//! What the gauges read (telemetry asks; it never queries storage itself): the runtime's
//! in-memory readings on every scrape — actors, pools, the writer's queue, the bus's backlog,
//! each watched center's last delivery — and the database's counts every few seconds —
//! workflows, alerts, responses and notifications by state, tickets due, sequence gaps and
//! missing tickets. Also the record of each watched center's last delivery (the silence
//! alarm's input), kept by this node.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aegis_actors::health::ActorReport;
use aegis_actors::ports::StoreError;
use chrono::{DateTime, TimeDelta, Utc};
use parking_lot::Mutex;

use super::{App, Service};
use crate::config::Centers;
use crate::db::read::{self, Stats};

/// The last delivery taken from each watched center (code in upper case), by this node, or
/// when this node started watching. Other centers cost a comparison per request, no lock.
#[derive(Debug, Clone, Default)]
pub struct LastDeliveries {
    watched: Arc<Vec<String>>,
    last: Arc<Mutex<HashMap<String, DateTime<Utc>>>>,
}

impl LastDeliveries {
    pub fn watching(centers: &Centers) -> Self {
        Self {
            watched: Arc::new(
                centers
                    .silence_alarms()
                    .into_iter()
                    .map(|(c, _)| c.to_ascii_uppercase())
                    .collect(),
            ),
            last: Arc::default(),
        }
    }

    pub fn note(&self, center: &str, at: DateTime<Utc>) {
        if !self.watched.iter().any(|w| w.eq_ignore_ascii_case(center)) {
            return;
        }
        let mut m = self.last.lock();
        let e = m.entry(center.to_ascii_uppercase()).or_insert(at);
        if at > *e {
            *e = at;
        }
    }

    pub fn get(&self, center: &str) -> Option<DateTime<Utc>> {
        self.last.lock().get(&center.to_ascii_uppercase()).copied()
    }
}

/// What is read from memory on every scrape.
#[derive(Debug)]
pub struct RuntimeReadings {
    pub actors: Vec<ActorReport>,
    /// (pool, connections, idle).
    pub pools: Vec<(&'static str, u32, u32)>,
    pub writer_queued: usize,
    pub bus_backlog: Option<u64>,
    pub now: DateTime<Utc>,
}

/// What is counted in the database every few seconds; each part may fail on its own.
#[derive(Debug)]
pub struct DatabaseReadings {
    pub stats: Result<Stats, StoreError>,
    /// Open alerts whose answer is due soon, and overdue.
    pub due: Result<(i64, i64), StoreError>,
    /// Missing sequence numbers per center (every watched center listed, 0 when none).
    pub gaps: Result<BTreeMap<String, u64>, StoreError>,
    /// Tickets listed by a center's summary and never received, per center.
    pub missing: Result<Vec<(String, usize)>, StoreError>,
    pub now: DateTime<Utc>,
}

impl Service {
    /// The in-memory readings (cheap; every scrape).
    pub fn runtime_readings(&self) -> RuntimeReadings {
        RuntimeReadings {
            actors: self.actors(),
            pools: self.db.pool_state(),
            writer_queued: self.store.writer().queued(),
            bus_backlog: self.bus.backlog(),
            now: self.clock.now(),
        }
    }

    /// At start-up: each watched center's last delivery as stored, or now for a center that
    /// never sent anything (its silence is counted from when Aegis started watching).
    pub async fn load_last_deliveries(&self) {
        let now = self.clock.now();
        for (code, _) in self.settings.centers.silence_alarms() {
            let upper = code.to_ascii_uppercase();
            let key = upper.clone();
            let stored = self
                .db
                .with_read(move |c| read::workflows::latest_from_center(c, &key))
                .await;
            let at = match stored {
                Ok(Some(t)) => t,
                Ok(None) => now,
                Err(e) => {
                    tracing::warn!(center = %upper, error = %e, "could not read the center's last delivery; counting silence from now");
                    now
                }
            };
            self.last_deliveries.note(&upper, at);
        }
    }
}

impl App {
    /// The database's counts behind the gauges.
    pub async fn database_readings(&self) -> DatabaseReadings {
        let now = self.clock.now();
        let warn = TimeDelta::seconds(
            i64::try_from(self.settings.due.warn_before_secs).unwrap_or(i64::MAX),
        );
        let grace = self.settings.reconcile.grace();
        DatabaseReadings {
            stats: self.stats().await,
            due: self
                .db
                .with_read(move |c| read::due::open_alert_counts(c, now, warn))
                .await,
            gaps: self
                .db
                .with_read(move |c| {
                    let gaps = crate::db::sequence_gaps::gaps(c, now, grace)?;
                    let watched = crate::db::sequence_gaps::centers(c, now)?;
                    let mut per_center: BTreeMap<String, u64> =
                        watched.into_iter().map(|c| (c, 0)).collect();
                    for g in gaps {
                        *per_center.entry(g.center).or_default() += g.to - g.from + 1;
                    }
                    Ok(per_center)
                })
                .await,
            missing: self
                .db
                .with_read(crate::db::reconciliations::missing_now)
                .await,
            now,
        }
    }
}
