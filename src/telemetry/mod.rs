//! Telemetry: structured logs with `tracing`, and Prometheus metrics through the `metrics`
//! facade. Metric names and help texts live in [`names`]; nothing else spells them.

pub mod gauges;
pub mod logging;
pub mod metrics_export;
pub mod names;
pub mod observe;
pub mod silence;
