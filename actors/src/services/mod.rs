//! The shared services: admission (new tickets made durable behind the store port's group
//! commit, on the caller's thread), and, each a supervised actor, the work consumer, the timer
//! service, the outbox relay, the announcer, the deliverer (notifications), the responder
//! (positive responses to call centers) and the sweeper.
//! A service whose loop ends (a lost connection, say) stops itself and its supervisor starts it
//! again, counting the restart.

pub mod admission;
pub mod announcer;
pub mod consumer;
pub mod deliverer;
pub(crate) mod leased;
pub mod looping;
pub mod outbox;
pub mod responder;
pub mod sweeper;
pub mod timer;

use std::time::Duration;

/// Delay before a restarted service starts work again, so a service that keeps failing (its
/// broker is down) does not spin.
pub(crate) fn restart_delay(restarts: u64) -> Duration {
    let ms = 200u64.saturating_mul(1 << restarts.min(6));
    Duration::from_millis(ms.min(10_000))
}
