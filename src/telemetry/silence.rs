//! Whether a center has gone quiet (contract §9): the last delivery each node took from each
//! watched center (`centers.<CODE>.silence_alarm_secs`), the alarm's threshold and whether it
//! is business hours, as gauges; Prometheus's `AegisCenterSilent` compares them across nodes.

use chrono::{DateTime, Utc};

use super::names;
use crate::app::watch::LastDeliveries;
use crate::config::Centers;

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
