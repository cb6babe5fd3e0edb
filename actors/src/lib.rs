//! The Aegis runtime: actix actors that drive each ticket's workflow to the end of its
//! lifecycle, whatever fails on the way.
//!
//! Start reading at [`runtime::Runtime::start`]. The pieces:
//! - [`ports`]: the traits (`Store`, `Bus`, `Scorer`, `Clock`, `Messenger`, `Responder`)
//!   through which the runtime reaches the outside world; the `aegis` crate implements them.
//! - [`ticket::TicketActor`]: one actor per active workflow, running [`engine::run`] one step at
//!   a time; [`directory::Directory`] activates, caps and passivates them;
//!   [`dispatch::Dispatcher`] delivers steps with supervision (restart, backoff, dead letter).
//! - [`services`]: admission of new tickets (a plain service on the caller's thread), and the
//!   work consumer, timers, outbox relay, announcer, deliverer, responder and sweeper, each a
//!   supervised actor.
//! - [`health`]: what every actor reports (state, restarts, mailbox, processed).
//! - `testing` (feature `test-support`): the ports in memory, for the runtime's own tests in
//!   `actors/tests/`.
//!
//! The lifecycle rules themselves live in `aegis-workflows`; nothing here decides what a
//! ticket's next state is without asking it.

pub mod config;
pub mod deps;
pub mod directory;
pub mod dispatch;
pub mod engine;
pub mod health;
pub mod ports;
pub mod records;
pub mod runtime;
pub mod services;
pub mod step;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod ticket;

pub use config::RuntimeConfig;
pub use deps::{Deps, ScorerSlot, Signals};
pub use runtime::Runtime;
pub use step::{Command, Step, StepError, StepOutcome};
