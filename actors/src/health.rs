//! What every supervised actor reports about itself: state, restarts, mailbox depth and
//! messages processed. The admin API and the metrics exporter read the same registry.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, Ordering};

use parking_lot::RwLock;
use serde::Serialize;

/// Lifecycle of a supervised actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorState {
    Starting,
    Running,
    Restarting,
    Stopped,
}

impl ActorState {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Running,
            2 => Self::Restarting,
            3 => Self::Stopped,
            _ => Self::Starting,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Restarting => "restarting",
            Self::Stopped => "stopped",
        }
    }
}

/// Counters of one actor (or of one family of actors, such as the ticket actors).
#[derive(Debug, Default)]
pub struct ActorStats {
    state: AtomicU8,
    restarts: AtomicU64,
    processed: AtomicU64,
    /// Messages sent and not yet answered: the mailbox as its senders see it.
    mailbox: AtomicI64,
    /// Members of a family (active ticket actors); 1 for a single actor.
    active: AtomicI64,
    failures: AtomicU64,
}

impl ActorStats {
    pub fn set_state(&self, s: ActorState) {
        self.state.store(s as u8, Ordering::Relaxed);
    }
    pub fn restarted(&self) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
    }
    pub fn processed(&self) {
        self.processed_n(1);
    }
    pub fn processed_n(&self, n: u64) {
        self.processed.fetch_add(n, Ordering::Relaxed);
    }
    pub fn failed(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
    }
    pub fn enqueued(&self) {
        self.mailbox.fetch_add(1, Ordering::Relaxed);
    }
    pub fn dequeued(&self) {
        self.mailbox.fetch_sub(1, Ordering::Relaxed);
    }
    pub fn set_active(&self, n: i64) {
        self.active.store(n, Ordering::Relaxed);
    }
    pub fn mailbox(&self) -> i64 {
        self.mailbox.load(Ordering::Relaxed)
    }

    /// Counts a message as queued until the guard drops.
    pub fn track(self: &Arc<Self>) -> InFlight {
        self.enqueued();
        InFlight(self.clone())
    }
}

/// Decrements the mailbox gauge and counts the message processed when dropped.
#[derive(Debug)]
pub struct InFlight(Arc<ActorStats>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dequeued();
        self.0.processed();
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActorReport {
    pub name: String,
    pub state: &'static str,
    pub restarts: u64,
    pub mailbox: i64,
    pub processed: u64,
    pub failures: u64,
    pub active: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Health {
    actors: Arc<RwLock<BTreeMap<String, Arc<ActorStats>>>>,
}

impl Health {
    /// The stats of `name`, created on first use.
    pub fn register(&self, name: &str) -> Arc<ActorStats> {
        if let Some(s) = self.actors.read().get(name) {
            return s.clone();
        }
        self.actors
            .write()
            .entry(name.to_owned())
            .or_default()
            .clone()
    }

    pub fn report(&self) -> Vec<ActorReport> {
        self.actors
            .read()
            .iter()
            .map(|(name, s)| ActorReport {
                name: name.clone(),
                state: ActorState::from_u8(s.state.load(Ordering::Relaxed)).as_str(),
                restarts: s.restarts.load(Ordering::Relaxed),
                mailbox: s.mailbox.load(Ordering::Relaxed).max(0),
                processed: s.processed.load(Ordering::Relaxed),
                failures: s.failures.load(Ordering::Relaxed),
                active: s.active.load(Ordering::Relaxed),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_guards_count_mailbox_and_processed() {
        let h = Health::default();
        let s = h.register("x");
        s.set_state(ActorState::Running);
        let g1 = s.track();
        let g2 = s.track();
        assert_eq!(h.report()[0].mailbox, 2);
        drop(g1);
        drop(g2);
        let r = &h.report()[0];
        assert_eq!((r.mailbox, r.processed, r.state), (0, 2, "running"));
        assert!(Arc::ptr_eq(&s, &h.register("x")));
    }
}
