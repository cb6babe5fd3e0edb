//! Everything the writer writes, named for what it writes: a new ticket ([`intake`]), a
//! workflow's transition ([`transition`]), timers, outbox messages, notification deliveries,
//! positive responses to call centers, failures and dead letters.
//! Each function runs inside a writer batch (group commit, see [`super::writer`]).

pub mod deliveries;
pub mod failures;
pub mod new_ticket;
pub mod outbox;
pub mod responses;
pub mod timers;
pub mod transition;

/// Rows per multi-row statement: well under SQLite's and PostgreSQL's bind limits.
const CHUNK: usize = 500;
