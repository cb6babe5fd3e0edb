//! Escalation policies for high-risk alerts, shaped like PagerDuty's: ordered tiers, each with
//! people to tell and a time within which one of them must acknowledge.
//!
//! When a tier's deadline passes unacknowledged, the alert moves to the next tier and is
//! announced again; past the last tier it is re-announced to the last tier every time its
//! deadline passes, because an unacknowledged high-risk dig must never fall silent.
//! Emergency and short-notice tickets follow the `urgent` tiers, which are the tightest.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub name: String,
    /// Seconds an acknowledgement may take at this tier.
    pub ack_within_secs: u64,
    pub recipients: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationPolicy {
    pub standard: Vec<Tier>,
    pub urgent: Vec<Tier>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("escalation.{0} needs at least one tier")]
    NoTiers(&'static str),
    #[error("escalation.{0} tier '{1}' needs ack_within_secs > 0")]
    ZeroDeadline(&'static str, String),
}

/// Where an alert stands in its policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierStep {
    pub tier: u32,
    pub deadline: DateTime<Utc>,
    pub recipients: Vec<String>,
}

impl Default for EscalationPolicy {
    fn default() -> Self {
        let tier = |name: &str, mins: u64, who: &str| Tier {
            name: name.into(),
            ack_within_secs: mins * 60,
            recipients: vec![who.into()],
        };
        Self {
            standard: vec![
                tier("on-call safety officer", 15, "safety-oncall"),
                tier("safety supervisor", 30, "safety-supervisor"),
                tier("operations manager", 60, "operations-manager"),
            ],
            urgent: vec![
                tier("on-call safety officer", 5, "safety-oncall"),
                tier("safety supervisor", 10, "safety-supervisor"),
                tier("operations manager", 15, "operations-manager"),
            ],
        }
    }
}

impl EscalationPolicy {
    /// Every recipient any tier names, each once, in tier order.
    pub fn recipients(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in self.standard.iter().chain(&self.urgent) {
            for r in &t.recipients {
                if !out.contains(r) {
                    out.push(r.clone());
                }
            }
        }
        out
    }

    pub fn check(&self) -> Result<(), PolicyError> {
        for (name, tiers) in [("standard", &self.standard), ("urgent", &self.urgent)] {
            if tiers.is_empty() {
                return Err(PolicyError::NoTiers(name));
            }
            if let Some(t) = tiers.iter().find(|t| t.ack_within_secs == 0) {
                return Err(PolicyError::ZeroDeadline(name, t.name.clone()));
            }
        }
        Ok(())
    }

    fn tiers(&self, urgent: bool) -> &[Tier] {
        if urgent { &self.urgent } else { &self.standard }
    }

    /// Number of tiers the alert can climb through.
    pub fn tier_count(&self, urgent: bool) -> u32 {
        self.tiers(urgent).len() as u32
    }

    /// The first tier of a newly raised alert.
    pub fn raise(&self, urgent: bool, now: DateTime<Utc>) -> TierStep {
        self.at_tier(urgent, 0, now)
    }

    /// The tier that follows `tier` once its deadline has passed at `now`.
    pub fn escalate(&self, urgent: bool, tier: u32, now: DateTime<Utc>) -> TierStep {
        let last = self.tier_count(urgent).saturating_sub(1);
        self.at_tier(urgent, (tier + 1).min(last), now)
    }

    /// The deadline and recipients of `tier` (clamped to the last tier) counted from `now`.
    pub fn at_tier(&self, urgent: bool, tier: u32, now: DateTime<Utc>) -> TierStep {
        let tiers = self.tiers(urgent);
        let idx = (tier as usize).min(tiers.len().saturating_sub(1));
        let (secs, recipients) = tiers
            .get(idx)
            .map(|t| (t.ack_within_secs, t.recipients.clone()))
            .unwrap_or((60, Vec::new()));
        let secs = i64::try_from(secs).unwrap_or(i64::MAX / 2_000_000);
        TierStep {
            tier: idx as u32,
            deadline: now + TimeDelta::seconds(secs),
            recipients,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_763_780_400, 0).unwrap()
    }

    #[test]
    fn urgent_tickets_get_tighter_deadlines() {
        let p = EscalationPolicy::default();
        let std = p.raise(false, t0());
        let urg = p.raise(true, t0());
        assert!(urg.deadline < std.deadline);
        assert_eq!(urg.tier, 0);
    }

    #[test]
    fn escalation_climbs_then_repeats_the_last_tier() {
        let p = EscalationPolicy::default();
        let mut step = p.raise(false, t0());
        let mut seen = vec![step.tier];
        for _ in 0..4 {
            step = p.escalate(false, step.tier, step.deadline);
            seen.push(step.tier);
        }
        assert_eq!(seen, vec![0, 1, 2, 2, 2]);
        assert_eq!(step.recipients, vec!["operations-manager".to_string()]);
    }

    #[test]
    fn empty_or_zero_tiers_are_refused() {
        let mut p = EscalationPolicy::default();
        assert!(p.check().is_ok());
        p.urgent[1].ack_within_secs = 0;
        assert!(matches!(
            p.check(),
            Err(PolicyError::ZeroDeadline("urgent", _))
        ));
        p.standard.clear();
        assert_eq!(p.check(), Err(PolicyError::NoTiers("standard")));
    }
}
