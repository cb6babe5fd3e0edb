//! The Prometheus exporter: one recorder per process, explicit histogram buckets, and the
//! upkeep task the exporter needs to keep its histograms from growing without bound.

use std::sync::Mutex;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::names;

/// The process's recorder, once installed. Installing holds the lock, so apps started at once
/// (tests start several in one process) wait for the first to finish and share its recorder.
static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

/// Installs the recorder the first time and returns its handle.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let mut installed = HANDLE
        .lock()
        .map_err(|_| anyhow::anyhow!("the metrics recorder's set-up panicked"))?;
    if let Some(h) = installed.as_ref() {
        return Ok(h.clone());
    }
    let mut builder = PrometheusBuilder::new();
    for (name, buckets) in [
        (names::HTTP_SECONDS, names::LATENCY_BUCKETS),
        (names::STEP_SECONDS, names::LATENCY_BUCKETS),
        (names::RECEIVED_TO_SCORED, names::LATENCY_BUCKETS),
        (names::RECEIVED_TO_SETTLED, names::LATENCY_BUCKETS),
        (names::SCORER_SECONDS, names::LATENCY_BUCKETS),
        (names::DB_COMMIT_SECONDS, names::LATENCY_BUCKETS),
        (names::TIME_TO_ACK, names::ACK_BUCKETS),
        (names::SCORE_PROBABILITY, names::PROBABILITY_BUCKETS),
        (names::SCORER_BATCH, names::BATCH_BUCKETS),
        (names::DB_BATCH_SIZE, names::BATCH_BUCKETS),
        (names::SCREENING_SECONDS, names::SCREENING_BUCKETS),
    ] {
        builder = builder.set_buckets_for_metric(Matcher::Full(name.to_owned()), buckets)?;
    }
    let handle = builder.install_recorder()?;
    for (name, kind, help) in names::ALL {
        match *kind {
            "counter" => metrics::describe_counter!(*name, *help),
            "gauge" => metrics::describe_gauge!(*name, *help),
            _ => metrics::describe_histogram!(*name, *help),
        }
    }
    metrics::gauge!(names::BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    // Counters of rare events exist from the start, at zero, so that rules and dashboards
    // see a series before the first occurrence (and `increase()` sees it).
    for name in [
        names::BUS_REDELIVERED,
        names::BUS_ERRORS,
        names::DEAD_LETTERED,
        names::AUTH_FAILURES,
        names::ALERTS_RAISED,
        names::ALERTS_ACKNOWLEDGED,
        names::ALERTS_ESCALATED,
        names::ALERTS_RESOLVED,
        names::TICKETS_CLEARED,
    ] {
        metrics::counter!(name).absolute(0);
    }
    metrics::counter!(names::UNREACHABLE_CHANGES).absolute(0);
    // Every (channel, outcome) pair is known in advance: all start at zero, so that
    // `AegisNotificationsFailing` sees the series before the first failure.
    for kind in aegis_workflows::roster::Channel::KINDS {
        for outcome in ["sent", "retrying", "failed"] {
            metrics::counter!(names::NOTIFICATIONS, "channel" => kind, "outcome" => outcome)
                .absolute(0);
        }
    }
    let upkeep = handle.clone();
    std::thread::Builder::new()
        .name("aegis-metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(5));
                upkeep.run_upkeep();
            }
        })?;
    *installed = Some(handle.clone());
    Ok(handle)
}
