//! How often and how patiently a failing step is retried before its workflow fails.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Attempts in all, the first included. After this many failures the workflow ends `failed`.
    pub max_attempts: u32,
    pub base_backoff_ms: u64,
    pub max_backoff_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_backoff_ms: 100,
            max_backoff_ms: 30_000,
        }
    }
}

impl RetryPolicy {
    /// Whether `failures` failed attempts use up the policy.
    pub fn exhausted(&self, failures: u32) -> bool {
        failures >= self.max_attempts
    }

    /// Delay before the attempt after `failures` failures: exponential, capped, and spread by
    /// `jitter` in [0, 1) (the caller supplies randomness; this module has none) so that
    /// tickets failing together do not retry together.
    pub fn backoff(&self, failures: u32, jitter: f64) -> Duration {
        let exp = failures.saturating_sub(1).min(32);
        let raw = self.base_backoff_ms.saturating_mul(1u64 << exp);
        let capped = raw.min(self.max_backoff_ms);
        let spread = (capped as f64 * (0.5 + 0.5 * jitter.clamp(0.0, 1.0))) as u64;
        Duration::from_millis(spread.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_backoff_ms: 100,
            max_backoff_ms: 1_000,
        };
        assert_eq!(p.backoff(1, 1.0), Duration::from_millis(100));
        assert_eq!(p.backoff(2, 1.0), Duration::from_millis(200));
        assert_eq!(p.backoff(4, 1.0), Duration::from_millis(800));
        assert_eq!(p.backoff(5, 1.0), Duration::from_millis(1_000));
        assert_eq!(p.backoff(60, 1.0), Duration::from_millis(1_000));
        assert_eq!(p.backoff(2, 0.0), Duration::from_millis(100));
    }

    #[test]
    fn exhaustion_counts_every_attempt() {
        let p = RetryPolicy::default();
        assert!(!p.exhausted(4));
        assert!(p.exhausted(5));
    }
}
