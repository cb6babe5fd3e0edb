//! Whether a center has gone quiet (contract §9): the last delivery each node took from each
//! watched center (`centers.<CODE>.silence_alarm_secs`), the alarm's threshold and whether it
//! is business hours, as gauges; Prometheus's `AegisCenterSilent` compares them across nodes.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;

use super::names;
use crate::config::Centers;
use crate::db::Db;

/// The last delivery taken from each watched center (code in upper case), by this node, or
/// when this node started watching. Other centers cost a comparison per request, no lock.
#[derive(Debug, Clone, Default)]
pub struct LastDeliveries {
    watched: Arc<Vec<String>>,
    last: Arc<Mutex<HashMap<String, DateTime<Utc>>>>,
}

impl LastDeliveries {
    pub fn watching(centers: &crate::config::Centers) -> Self {
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

    fn get(&self, center: &str) -> Option<DateTime<Utc>> {
        self.last.lock().get(&center.to_ascii_uppercase()).copied()
    }
}

/// At start-up: each watched center's last delivery as stored, or now for a center that never
/// sent anything (its silence is counted from when Aegis started watching).
pub async fn load(db: &Db, centers: &Centers, last: &LastDeliveries, now: DateTime<Utc>) {
    for (code, _) in centers.silence_alarms() {
        let upper = code.to_ascii_uppercase();
        let key = upper.clone();
        let stored = db
            .with_read(move |c| crate::db::read::workflows::latest_from_center(c, &key))
            .await;
        let at = match stored {
            Ok(Some(t)) => t,
            Ok(None) => now,
            Err(e) => {
                tracing::warn!(center = %upper, error = %e, "could not read the center's last delivery; counting silence from now");
                now
            }
        };
        last.note(&upper, at);
    }
}

/// The silence gauges, on every scrape.
pub fn refresh(centers: &Centers, last: &LastDeliveries, now: DateTime<Utc>) {
    let business = match centers.business_hours(now) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "business hours could not be computed");
            return;
        }
    };
    for (code, secs) in centers.silence_alarms() {
        let label = code.to_ascii_uppercase();
        if let Some(at) = last.get(&label) {
            metrics::gauge!(names::CENTER_LAST_DELIVERY, "center" => label.clone())
                .set(at.timestamp_millis() as f64 / 1e3);
        }
        metrics::gauge!(names::CENTER_SILENCE_ALARM, "center" => label.clone()).set(secs as f64);
        metrics::gauge!(names::CENTER_BUSINESS_HOURS, "center" => label).set(if business {
            1.0
        } else {
            0.0
        });
    }
}
