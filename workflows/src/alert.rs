//! Alerts: what puts a risky ticket in front of a safety officer, and everything that can happen
//! to it until it is over. Pure: the runtime loads an alert, applies one of these transitions
//! and stores the result with the workflow event that caused it.
//!
//! ```text
//!  raise ──> open ──escalate──> escalated ──escalate──> escalated …
//!              │                    │
//!              └──acknowledge──┬────┘
//!                              v
//!                        acknowledged ──resolve──> resolved
//!  open / escalated ──resolve──> resolved
//!  open / escalated / acknowledged ──close──> closed   (its ticket ended without an officer)
//! ```
//!
//! `resolved` and `closed` are final. An alert waiting for an officer (`open`, `escalated`) has
//! an acknowledgement deadline; no other state has one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::escalation::TierStep;
use crate::lifecycle::Disposition;
use crate::risk::{Band, BandThresholds};
use crate::screening::Category;
use crate::ticket::TicketType;

/// An alert's state as officers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Open,
    Escalated,
    Acknowledged,
    Resolved,
    /// Closed without an officer: its ticket was cancelled, superseded or failed.
    Closed,
}

impl std::fmt::Display for AlertState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AlertState {
    pub const ALL: [AlertState; 5] = [
        Self::Open,
        Self::Escalated,
        Self::Acknowledged,
        Self::Resolved,
        Self::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Escalated => "escalated",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Waiting for an officer: the escalation clock runs.
    pub fn awaits_officer(self) -> bool {
        matches!(self, Self::Open | Self::Escalated)
    }

    /// Nothing more can happen to it.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Resolved | Self::Closed)
    }
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: String,
    pub workflow_id: String,
    pub state: AlertState,
    pub tier: u32,
    pub ack_deadline: Option<DateTime<Utc>>,
    pub raised_at: DateTime<Utc>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub disposition: Option<Disposition>,
    pub note: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A transition the alert's state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an alert that is {from} cannot be {action}")]
pub struct AlertError {
    pub from: &'static str,
    pub action: &'static str,
}

fn refuse(from: AlertState, action: &'static str) -> AlertError {
    AlertError {
        from: from.as_str(),
        action,
    }
}

/// What a score means for a ticket.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertDecision {
    /// Put it in front of an officer; `rule` says why when the band alone would not.
    Raise { rule: Option<String> },
    /// Clear it automatically, saying why.
    Clear { reason: String },
}

/// What the alert rule weighs besides the band.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AlertFacts {
    pub probability: Option<f64>,
    pub kind: Option<TicketType>,
    /// The screening's category, when the ticket was screened in this run.
    pub screening: Option<Category>,
    /// The center marked it a test ticket: it reaches nobody, whatever its score.
    pub is_test: bool,
}

/// The rule the industry applies whatever a model says (KorTerra, TicketRx): an emergency or
/// short-notice ticket in conflict with a facility, or where nobody knows what is buried,
/// reaches a person — digging starts within hours and the model's probability, however well
/// calibrated, is not the member's decision to make.
pub fn standing_rule(kind: Option<TicketType>, screening: Option<Category>) -> Option<String> {
    let kind = kind.filter(|k| k.is_urgent())?;
    let what = match kind {
        TicketType::Emergency => "an emergency ticket",
        TicketType::NoResponse => "a no-response ticket (marks missing as digging is due)",
        _ => "a short-notice ticket",
    };
    match screening? {
        Category::Conflict => Some(format!("{what} in conflict with a facility")),
        Category::Unknown => Some(format!("{what} where what is buried is not known")),
        Category::Close | Category::Clear => None,
    }
}

/// Why an alert is one, as the page's heading, the logs and the notices all say it: the
/// standing rule in words ("an emergency ticket where what is buried is not known"), or the
/// band ("the model rates it high risk").
pub fn raised_because(rule: Option<&str>) -> String {
    match rule {
        Some(rule) => format!("{rule} (the standing rule, whatever the model says)"),
        None => "the model rates it high risk".to_owned(),
    }
}

/// The rule: the high band raises an alert, and so does a [`standing_rule`]; every other ticket
/// is cleared with its reason (the probability, when the caller still has it: a workflow resumed
/// after scoring may not).
///
/// Expected harm (probability × consequence, [`crate::priority`]) orders the queue but does not
/// raise alerts: its weights are relative judgements an operator may retune, while the band's
/// thresholds are calibrated probabilities; and what is buried already moves the probability
/// itself under feature schema v2.
pub fn decide(band: Band, facts: AlertFacts, thresholds: BandThresholds) -> AlertDecision {
    if facts.is_test {
        return AlertDecision::Clear {
            reason: format!(
                "a test ticket from the center ({} risk): test tickets alert nobody",
                band.as_str()
            ),
        };
    }
    if band.raises_alert() {
        return AlertDecision::Raise { rule: None };
    }
    if let Some(rule) = standing_rule(facts.kind, facts.screening) {
        return AlertDecision::Raise { rule: Some(rule) };
    }
    let reason = match facts.probability {
        Some(p) => format!(
            "{} risk: damage probability {p:.5} is below the alert threshold {}",
            band.as_str(),
            thresholds.high
        ),
        None => format!(
            "{} risk: below the alert threshold {}",
            band.as_str(),
            thresholds.high
        ),
    };
    AlertDecision::Clear { reason }
}

impl Alert {
    /// A new alert at the first tier of its policy.
    pub fn raise(id: String, workflow_id: String, step: &TierStep, now: DateTime<Utc>) -> Self {
        Self {
            id,
            workflow_id,
            state: AlertState::Open,
            tier: step.tier,
            ack_deadline: Some(step.deadline),
            raised_at: now,
            acknowledged_by: None,
            acknowledged_at: None,
            resolved_by: None,
            resolved_at: None,
            disposition: None,
            note: None,
            updated_at: now,
        }
    }

    /// Its deadline passed: the next tier, with a new deadline.
    pub fn escalate(&self, step: &TierStep, now: DateTime<Utc>) -> Result<Self, AlertError> {
        if !self.state.awaits_officer() {
            return Err(refuse(self.state, "escalated"));
        }
        Ok(Self {
            state: AlertState::Escalated,
            tier: step.tier.max(self.tier),
            ack_deadline: Some(step.deadline),
            updated_at: now,
            ..self.clone()
        })
    }

    /// An officer has it: escalation stops.
    pub fn acknowledge(
        &self,
        by: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self, AlertError> {
        if !self.state.awaits_officer() {
            return Err(refuse(self.state, "acknowledged"));
        }
        Ok(Self {
            state: AlertState::Acknowledged,
            acknowledged_by: Some(by.to_owned()),
            acknowledged_at: Some(now),
            ack_deadline: None,
            note: note.map(str::to_owned).or_else(|| self.note.clone()),
            updated_at: now,
            ..self.clone()
        })
    }

    /// An officer is done with it.
    pub fn resolve(
        &self,
        by: &str,
        disposition: Disposition,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self, AlertError> {
        if self.state.is_final() {
            return Err(refuse(self.state, "resolved"));
        }
        Ok(Self {
            state: AlertState::Resolved,
            resolved_by: Some(by.to_owned()),
            resolved_at: Some(now),
            disposition: Some(disposition),
            ack_deadline: None,
            note: note.map(str::to_owned).or_else(|| self.note.clone()),
            updated_at: now,
            ..self.clone()
        })
    }

    /// Its ticket ended without an officer (cancelled, superseded, failed); `None` when the
    /// alert was already over.
    pub fn close(&self, now: DateTime<Utc>) -> Option<Self> {
        (!self.state.is_final()).then(|| Self {
            state: AlertState::Closed,
            ack_deadline: None,
            updated_at: now,
            ..self.clone()
        })
    }

    /// A failed workflow resumed with this alert waiting: its escalation clock restarts.
    pub fn rearm(&self, deadline: DateTime<Utc>, now: DateTime<Utc>) -> Result<Self, AlertError> {
        if !self.state.awaits_officer() {
            return Err(refuse(self.state, "re-armed"));
        }
        Ok(Self {
            ack_deadline: Some(deadline),
            updated_at: now,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use proptest::prelude::*;

    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds(1_763_780_400 + secs)
    }

    fn step(tier: u32, at: i64) -> TierStep {
        TierStep {
            tier,
            deadline: t(at + 900),
            recipients: vec!["safety-oncall".into()],
        }
    }

    fn raised() -> Alert {
        Alert::raise("a1".into(), "w1".into(), &step(0, 0), t(0))
    }

    #[test]
    fn the_high_band_raises_and_the_rest_clear_with_their_reason() {
        let th = BandThresholds::default();
        let p = |probability| AlertFacts {
            probability,
            ..AlertFacts::default()
        };
        let raise = AlertDecision::Raise { rule: None };
        assert_eq!(decide(Band::High, p(Some(0.9)), th), raise);
        assert_eq!(decide(Band::High, p(None), th), raise);
        match decide(Band::Medium, p(Some(0.01)), th) {
            AlertDecision::Clear { reason } => {
                assert!(
                    reason.starts_with("medium risk: damage probability 0.01000"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn urgent_tickets_in_conflict_or_unknown_reach_a_person_whatever_the_band() {
        let th = BandThresholds::default();
        let facts = |kind, screening| AlertFacts {
            probability: Some(0.0001),
            kind: Some(kind),
            screening: Some(screening),
            is_test: false,
        };
        for (kind, screening, raised) in [
            (TicketType::Emergency, Category::Conflict, true),
            (TicketType::Emergency, Category::Unknown, true),
            (TicketType::ShortNotice, Category::Conflict, true),
            (TicketType::ShortNotice, Category::Unknown, true),
            (TicketType::NoResponse, Category::Conflict, true),
            (TicketType::NoResponse, Category::Unknown, true),
            (TicketType::NoResponse, Category::Clear, false),
            (TicketType::Remark, Category::Conflict, false),
            (TicketType::Emergency, Category::Close, false),
            (TicketType::Emergency, Category::Clear, false),
            (TicketType::Normal, Category::Conflict, false),
            (TicketType::Normal, Category::Unknown, false),
        ] {
            let d = decide(Band::Low, facts(kind, screening), th);
            assert_eq!(
                matches!(d, AlertDecision::Raise { rule: Some(_) }),
                raised,
                "{kind:?} {screening:?}: {d:?}"
            );
        }
        assert_eq!(
            standing_rule(Some(TicketType::Emergency), Some(Category::Conflict)).as_deref(),
            Some("an emergency ticket in conflict with a facility")
        );
        // Not screened in this run: the band decides.
        assert_eq!(standing_rule(Some(TicketType::Emergency), None), None);
    }

    #[test]
    fn a_test_ticket_reaches_nobody_whatever_its_band_or_rule() {
        let th = BandThresholds::default();
        let facts = AlertFacts {
            probability: Some(0.9),
            kind: Some(TicketType::Emergency),
            screening: Some(Category::Conflict),
            is_test: true,
        };
        match decide(Band::High, facts, th) {
            AlertDecision::Clear { reason } => assert!(reason.contains("test"), "{reason}"),
            other => panic!("a test ticket raised {other:?}"),
        }
        let real = AlertFacts {
            is_test: false,
            ..facts
        };
        assert_eq!(
            decide(Band::High, real, th),
            AlertDecision::Raise { rule: None }
        );
    }

    #[test]
    fn an_officer_acknowledges_then_resolves() {
        let a = raised();
        assert_eq!(a.state, AlertState::Open);
        assert!(a.ack_deadline.is_some());
        let e = a.escalate(&step(1, 900), t(900)).unwrap();
        assert_eq!((e.state, e.tier), (AlertState::Escalated, 1));
        let k = e
            .acknowledge("officer:dana", Some("calling"), t(1000))
            .unwrap();
        assert_eq!(k.state, AlertState::Acknowledged);
        assert_eq!(k.ack_deadline, None);
        assert_eq!(k.acknowledged_by.as_deref(), Some("officer:dana"));
        assert!(
            k.escalate(&step(2, 1800), t(1800)).is_err(),
            "no escalation once acknowledged"
        );
        let r = k
            .resolve("officer:dana", Disposition::SiteStandby, None, t(2000))
            .unwrap();
        assert_eq!(r.state, AlertState::Resolved);
        assert_eq!(r.note.as_deref(), Some("calling"), "the earlier note stays");
        assert_eq!(r.disposition, Some(Disposition::SiteStandby));
        assert!(r.close(t(3000)).is_none());
        let err = r.acknowledge("officer:lee", None, t(3000)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "an alert that is resolved cannot be acknowledged"
        );
    }

    #[derive(Debug, Clone)]
    enum Op {
        Escalate(u32),
        Acknowledge(bool),
        Resolve(usize, bool),
        Close,
        Rearm,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u32..5).prop_map(Op::Escalate),
            any::<bool>().prop_map(Op::Acknowledge),
            (0usize..Disposition::ALL.len(), any::<bool>()).prop_map(|(d, n)| Op::Resolve(d, n)),
            Just(Op::Close),
            Just(Op::Rearm),
        ]
    }

    proptest! {
        /// Whatever happens, in any order: final states stay final, only an alert waiting for an
        /// officer has a deadline, tiers never go down, time never goes back, and the record of
        /// who acknowledged or resolved is never lost.
        #[test]
        fn alerts_keep_their_invariants(ops in prop::collection::vec(op(), 0..24)) {
            let mut a = raised();
            for (i, op) in ops.into_iter().enumerate() {
                let now = t(60 * (i as i64 + 1));
                let before = a.clone();
                let next = match op {
                    Op::Escalate(tier) => a.escalate(&step(tier, 60 * i as i64), now).ok(),
                    Op::Acknowledge(note) => a.acknowledge("officer:dana", note.then_some("n"), now).ok(),
                    Op::Resolve(d, note) => a.resolve("officer:lee", Disposition::ALL[d], note.then_some("m"), now).ok(),
                    Op::Close => a.close(now),
                    Op::Rearm => a.rearm(now + TimeDelta::seconds(900), now).ok(),
                };
                if before.state.is_final() {
                    prop_assert!(next.is_none(), "{:?} changed a final alert", before.state);
                }
                if let Some(n) = next {
                    prop_assert!(n.tier >= before.tier);
                    prop_assert!(n.updated_at >= before.updated_at);
                    prop_assert_eq!(&n.id, &before.id);
                    prop_assert_eq!(n.raised_at, before.raised_at);
                    if before.acknowledged_by.is_some() {
                        prop_assert_eq!(&n.acknowledged_by, &before.acknowledged_by);
                    }
                    a = n;
                }
                prop_assert_eq!(a.ack_deadline.is_some(), a.state.awaits_officer());
                prop_assert_eq!(a.resolved_by.is_some(), a.state == AlertState::Resolved);
                prop_assert_eq!(a.disposition.is_some(), a.state == AlertState::Resolved);
            }
        }
    }
}
