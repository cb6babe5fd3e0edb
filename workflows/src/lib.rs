//! The Aegis domain, pure and synchronous: no I/O, no async, no actix.
//!
//! How it fits together:
//! - [`ticket`] is the normalized locate request ticket every intake format is turned into, and
//!   [`validation`] checks one and reports *every* problem with a field path ([`problem`]).
//! - [`lifecycle`] is the life of one ticket as a pure transition function over typed states and
//!   events; [`revision`] says which earlier workflows a new revision supersedes or cancels.
//! - [`alert`] is what puts a risky ticket in front of an officer: the rule that raises one and
//!   its own transitions (raise, escalate, acknowledge, resolve, close).
//! - [`roster`] says who is reached: users' channels and rosters with business hours;
//!   [`notification`] which alert changes reach whom, and how failed deliveries are retried;
//!   [`positive_response`] which codes answer the call center, and what its refusals mean.
//! - [`escalation`] (alert tiers and deadlines) and [`retry`] (attempts and backoff) are policies
//!   the runtime consults; [`risk`] turns a probability into a band; [`features`] turns a ticket
//!   into the model's feature vector, [`explain`] its values into words; [`geometry`] reads and
//!   measures dig areas; [`screening`] says what the member's facilities near a dig area mean
//!   (the category, automatic clearing); [`priority`] orders the officers' queue by expected
//!   harm and time left.
//! - [`investigation`] is what a damage, near miss or downtime was and why, in the closed
//!   vocabularies ([`vocabulary`]) CGA's DIRT and PHMSA's annual report count by.
//! - [`audit`] computes and verifies the hash chain that makes the audit trail tamper-evident.
//!
//! The runtime (`aegis-actors`) drives these functions; the adapters (`aegis`) feed them.

pub mod alert;
pub mod audit;
pub mod daily_summary;
pub mod due;
pub mod escalation;
pub mod explain;
pub mod features;
pub mod geometry;
pub mod investigation;
pub mod lifecycle;
pub mod notification;
pub mod positive_response;
pub mod priority;
pub mod problem;
pub mod quality;
pub mod reports;
pub mod retry;
pub mod revision;
pub mod risk;
pub mod roster;
pub mod screening;
pub mod sequence_gaps;
pub mod ticket;
pub mod validation;
pub mod vocabulary;

pub use lifecycle::{Event, State, TransitionError, Workflow};
pub use problem::Problem;
pub use ticket::Ticket;
