//! The ports through which the runtime reaches the outside world. The adapters in the `aegis`
//! crate implement them over SQLite/PostgreSQL, the in-process bus or RabbitMQ, XGBoost, and
//! SMTP and HTTP for notifications, and a call center's positive-response API.

pub mod bus;
pub mod clock;
pub mod messenger;
pub mod responder;
pub mod scorer;
pub mod screener;
pub mod store;

pub use bus::{Acker, Bus, BusError, Delivery, EventMessage, WorkKind, WorkMessage};
pub use clock::{Clock, ManualClock, ShiftedClock, SystemClock};
pub use messenger::Messenger;
pub use responder::Responder;
pub use scorer::{Contribution, ScoreError, ScoreInput, Scorer, ScorerInfo, Scoring};
pub use screener::{NoLayers, Screener};
pub use store::{Cause, Store, StoreError};

/// A boxed future, so the ports can be used as trait objects.
pub type BoxFuture<'a, T> = futures::future::BoxFuture<'a, T>;
