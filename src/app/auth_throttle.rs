//! Counting failed authentications per key (a client address, a presented token's prefix) over
//! a one-minute window, in bounded memory.
//!
//! Two generations of counts: the current minute and the one before. A key's count is the sum of
//! both, so a burst that straddles a minute boundary is still seen whole. Rotating drops the old
//! generation in one go, so no failure ever scans the table. Each generation holds at most
//! `capacity` keys; once it is full, new keys share one overflow count. That can only slow down
//! failing clients (a valid credential is never refused), so the overflow is safe to share.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Slot<K> {
    Key(K),
    Overflow,
}

#[derive(Debug)]
pub struct FailureWindow<K> {
    window: Duration,
    capacity: usize,
    started: Instant,
    current: HashMap<Slot<K>, u32>,
    previous: HashMap<Slot<K>, u32>,
}

impl<K: Hash + Eq + Clone> FailureWindow<K> {
    pub fn new(window: Duration, capacity: usize, now: Instant) -> Self {
        Self {
            window,
            capacity: capacity.max(1),
            started: now,
            current: HashMap::new(),
            previous: HashMap::new(),
        }
    }

    fn rotate(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.started);
        if elapsed >= self.window * 2 {
            self.previous.clear();
            self.current.clear();
            self.started = now;
        } else if elapsed >= self.window {
            self.previous = std::mem::take(&mut self.current);
            self.started += self.window;
        }
    }

    fn slot(&self, key: &K) -> Slot<K> {
        let k = Slot::Key(key.clone());
        if self.current.contains_key(&k)
            || self.previous.contains_key(&k)
            || self.current.len() < self.capacity
        {
            k
        } else {
            Slot::Overflow
        }
    }

    /// Records one failure for `key`.
    pub fn fail(&mut self, key: &K, now: Instant) {
        self.rotate(now);
        let slot = self.slot(key);
        *self.current.entry(slot).or_insert(0) += 1;
    }

    /// Failures of `key` in the last one to two windows.
    pub fn count(&mut self, key: &K, now: Instant) -> u32 {
        self.rotate(now);
        let slot = self.slot(key);
        self.current.get(&slot).copied().unwrap_or(0)
            + self.previous.get(&slot).copied().unwrap_or(0)
    }

    /// Seconds until the oldest counted failures are forgotten.
    pub fn retry_after(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.started);
        self.window.saturating_sub(elapsed).as_secs().max(1)
    }

    /// Keys held now (both generations, the overflow included).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn counts_per_key_across_one_window_boundary_then_forgets() {
        let t0 = Instant::now();
        let mut w = FailureWindow::new(MIN, 100, t0);
        for _ in 0..3 {
            w.fail(&"a", t0);
        }
        w.fail(&"b", t0);
        assert_eq!(w.count(&"a", t0), 3);
        assert_eq!(w.count(&"b", t0), 1);
        let t1 = t0 + Duration::from_secs(61);
        w.fail(&"a", t1);
        assert_eq!(w.count(&"a", t1), 4, "the previous minute still counts");
        let t2 = t0 + Duration::from_secs(125);
        assert_eq!(
            w.count(&"a", t2),
            1,
            "only the last minute's failure is left"
        );
        let t3 = t0 + Duration::from_secs(400);
        assert_eq!(w.count(&"a", t3), 0);
        assert!(w.is_empty());
    }

    #[test]
    fn memory_stays_bounded_under_many_keys_and_new_keys_share_the_overflow() {
        let t0 = Instant::now();
        let mut w = FailureWindow::new(MIN, 1_000, t0);
        for ip in 0..100_000u32 {
            w.fail(&ip, t0);
        }
        assert!(w.len() <= 1_001, "{} keys held", w.len());
        assert_eq!(
            w.count(&5, t0),
            1,
            "keys seen before the table filled keep their count"
        );
        assert_eq!(w.count(&99_999, t0), 99_000, "later keys share one count");
    }
}
