//! Clocks for the runtime: the system clock in production, a manual one for tests that must
//! move time (escalation deadlines) without waiting for it.

use std::sync::atomic::{AtomicI64, Ordering};

use aegis_actors::ports::Clock;
use chrono::{DateTime, TimeDelta, Utc};

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock {
    micros: AtomicI64,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            micros: AtomicI64::new(start.timestamp_micros()),
        }
    }

    pub fn advance(&self, by: TimeDelta) -> DateTime<Utc> {
        let step = by.num_microseconds().unwrap_or(i64::MAX / 4);
        let now = self.micros.fetch_add(step, Ordering::SeqCst) + step;
        DateTime::from_timestamp_micros(now).unwrap_or_default()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.micros.load(Ordering::SeqCst)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_only_when_advanced() {
        let t0 = Utc::now();
        let c = ManualClock::new(t0);
        assert_eq!(c.now().timestamp_micros(), t0.timestamp_micros());
        let t1 = c.advance(TimeDelta::minutes(5));
        assert_eq!(c.now(), t1);
        assert_eq!(t1.timestamp_micros() - t0.timestamp_micros(), 300_000_000);
    }
}
