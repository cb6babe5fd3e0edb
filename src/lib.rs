//! Aegis: keeps excavators from hitting buried gas, power, telecom and water lines.
//!
//! This crate holds the adapters, the application layer between them and the runtime, and the
//! composition root; the domain lives in `aegis-workflows` and the actor runtime in
//! `aegis-actors`. Dependencies point inward: adapters → [`app`] → storage, runtime, domain.
//! Start at [`startup::Application`].
//!
//! - [`app`]: the use cases, one module each (receive a ticket, reconcile a summary, repair a
//!   workflow, act on an alert, set up people and response APIs, sign in…), each with typed
//!   input and a typed error under one error policy (`app::errors`).
//! - Adapters people and centers talk to: [`http`] (the contract's JSON API, webhooks) and
//!   [`console`] (server-rendered pages), both thin translators over [`app`]; [`cli`] and
//!   [`commands`] (the command line).
//! - Adapters Aegis talks to: [`db`] (diesel over SQLite or PostgreSQL, group commit; the
//!   runtime's `Store` port), [`bus`] (in-process and RabbitMQ; the `Bus` port), [`notify`]
//!   (e-mail, PagerDuty, Slack, webhooks; the `Messenger` port), [`positive_response`] (the
//!   centers' PositiveResponse APIs; the `Responder` port), [`risk`] (the XGBoost model,
//!   evaluated natively with SHAP explanations; the `Scorer` port; training and the synthetic
//!   history).
//! - [`formats`]: what centers send — native JSON, USA North 811 OneCallAccess, daily summaries
//!   — and their signatures, read into the domain's types.
//! - [`config`], [`telemetry`] (metrics, logs, gauges), [`tls`].

pub mod app;
pub mod bus;
pub mod cli;
pub mod commands;
pub mod config;
pub mod console;
pub mod db;
pub mod facilities;
pub mod formats;
pub mod http;
pub mod notify;
pub mod outbound;
pub mod positive_response;
pub mod risk;
pub mod startup;
pub mod telemetry;
pub mod tls;
pub mod web;
