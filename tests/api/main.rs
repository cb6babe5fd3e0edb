//! Black-box tests: the real application on a random port, against SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// Not every test module uses every helper.
#[allow(dead_code)]
mod helpers;

mod auth;
mod browser;
mod conformance;
mod console;
mod console_admin;
mod console_errors;
mod console_reports;
mod due_times;
mod facilities;
mod hardening;
mod hostile;
mod intake;
mod investigations;
mod layer_files;
mod lifecycle;
mod model_quality;
mod multinode;
mod notifications;
mod officers;
mod openticket;
mod operators;
mod people;
mod positive_response;
mod positive_response_server;
mod priority;
mod real_tickets;
#[allow(dead_code)]
mod receivers;
mod reports;
mod summaries;
mod supervision;
mod telemetry;
