//! Time, as a port: production reads the system clock; tests drive a manual one.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The system clock moved by a fixed offset: a test suite that runs on any day but wants the
/// same calendar day and hour every time (the `testing.clock_offset_secs` switch).
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    offset: TimeDelta,
}

impl ShiftedClock {
    pub fn new(offset: TimeDelta) -> Self {
        Self { offset }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

/// A clock that moves only when told to (tests, and the `testing.manual_clock` switch).
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

    /// Moves the clock on by `by` (saturating, far beyond any test's needs); returns the new now.
    pub fn advance(&self, by: TimeDelta) -> DateTime<Utc> {
        let step = by.num_microseconds().unwrap_or(i64::MAX / 4);
        let now = self.micros.fetch_add(step, Ordering::SeqCst) + step;
        micros_time(now)
    }
}

/// Only `advance` moves a manual clock, by amounts a test chooses; a time it cannot represent
/// means a test asked for the impossible, and the epoch makes that loud in its assertions.
fn micros_time(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        micros_time(self.micros.load(Ordering::SeqCst))
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

    #[test]
    fn a_shifted_clock_runs_at_the_system_clocks_pace_from_elsewhere() {
        let shifted = ShiftedClock::new(TimeDelta::days(-400));
        let before = Utc::now();
        let read = shifted.now();
        let after = Utc::now();
        assert!(read >= before - TimeDelta::days(400) && read <= after - TimeDelta::days(400));
    }
}
