//! Aegis: keeps excavators from hitting buried gas, power, telecom and water lines.
//!
//! This crate holds the adapters and the composition root; the domain lives in
//! `aegis-workflows` and the actor runtime in `aegis-actors`. Start at [`startup::Application`].
//!
//! - [`http`]: the contract's HTTP interface (webhooks, officer and operator APIs).
//! - [`intake`]: signatures and the two ticket formats.
//! - [`db`]: diesel over SQLite or PostgreSQL, with group commit; implements the `Store` port.
//! - [`bus`]: the in-process bus and RabbitMQ; implement the `Bus` port.
//! - [`risk`]: the XGBoost model, evaluated natively with SHAP explanations; training and the
//!   synthetic history.
//! - [`config`], [`cli`], [`commands`], [`telemetry`].

pub mod bus;
pub mod cli;
pub mod commands;
pub mod config;
pub mod console;
pub mod db;
pub mod http;
pub mod intake;
pub mod notify;
pub mod positive_response;
pub mod risk;
pub mod startup;
pub mod telemetry;
pub mod tls;
