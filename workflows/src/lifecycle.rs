//! The life of one ticket: typed states, typed events and a pure transition function.
//!
//! ```text
//!             ┌──────────── rejected
//! received ──> validated ──> scored ──┬──> resolved (low/medium: auto-cleared)
//!                                     └──> alerted ──> acknowledged ──> resolved
//!                                            │  ▲
//!                                            └──┘ escalated
//! any non-terminal ──> cancelled / superseded / failed;  failed ──(operator retry)──> where it failed
//! ```
//!
//! [`Workflow::apply`] is the only way state changes; it refuses anything the picture does not
//! allow. The runtime persists each accepted event with the new state in one transaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::problem::Problem;
use crate::risk::Band;
use crate::screening::{Category, ScreenedLayer, Unknown};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Received,
    Validated,
    Rejected,
    Scored,
    Alerted,
    Acknowledged,
    Escalated,
    Resolved,
    Cancelled,
    Superseded,
    Failed,
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl State {
    pub const ALL: [State; 11] = [
        Self::Received,
        Self::Validated,
        Self::Rejected,
        Self::Scored,
        Self::Alerted,
        Self::Acknowledged,
        Self::Escalated,
        Self::Resolved,
        Self::Cancelled,
        Self::Superseded,
        Self::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Validated => "validated",
            Self::Rejected => "rejected",
            Self::Scored => "scored",
            Self::Alerted => "alerted",
            Self::Acknowledged => "acknowledged",
            Self::Escalated => "escalated",
            Self::Resolved => "resolved",
            Self::Cancelled => "cancelled",
            Self::Superseded => "superseded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Terminal states end the workflow. `failed` is terminal too, but an operator may retry it.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Rejected | Self::Resolved | Self::Cancelled | Self::Superseded | Self::Failed
        )
    }

    /// States that have an open alert in front of an officer.
    pub fn has_open_alert(self) -> bool {
        matches!(self, Self::Alerted | Self::Escalated | Self::Acknowledged)
    }

    /// The step the runtime takes next by itself, or `None` when the workflow waits for a
    /// person, a timer, or nothing at all.
    pub fn next_step(self) -> Option<AutoStep> {
        match self {
            Self::Received => Some(AutoStep::Validate),
            Self::Validated => Some(AutoStep::Score),
            Self::Scored => Some(AutoStep::Decide),
            _ => None,
        }
    }
}

/// Work the runtime does without waiting for anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoStep {
    /// Check the ticket; apply revision rules.
    Validate,
    /// Ask the risk model.
    Score,
    /// Raise an alert or clear the ticket, by band.
    Decide,
}

/// How an officer closed an alert (contract §2), or how Aegis cleared a ticket by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    LocatorDispatched,
    ExcavatorContacted,
    SiteStandby,
    NoConflict,
    FalsePositive,
    DamageOccurred,
}

impl Disposition {
    pub const ALL: [Disposition; 6] = [
        Self::LocatorDispatched,
        Self::ExcavatorContacted,
        Self::SiteStandby,
        Self::NoConflict,
        Self::FalsePositive,
        Self::DamageOccurred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LocatorDispatched => "locator_dispatched",
            Self::ExcavatorContacted => "excavator_contacted",
            Self::SiteStandby => "site_standby",
            Self::NoConflict => "no_conflict",
            Self::FalsePositive => "false_positive",
            Self::DamageOccurred => "damage_occurred",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// Something that happened to a workflow. Each accepted event is one entry in the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// The ticket was made durable. Only ever the first event.
    Received,
    /// Validated; `warnings` are what looked odd but does not stop the ticket (stored only
    /// when there are some, so warning-free events read as they always did).
    Validated {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<Problem>,
    },
    Rejected {
        problems: Vec<Problem>,
    },
    /// What the member's facility layers say about the dig area (contract §10), before it is
    /// scored: the category, and per layer its version, the nearest facility and how many are
    /// within the tolerance zone and within `close_ft`.
    Screened {
        category: Category,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unknown: Option<Unknown>,
        layers: Vec<ScreenedLayer>,
    },
    Scored {
        probability: f64,
        band: Band,
        model_version: String,
    },
    /// Screened `clear` and of a type the center clears automatically: resolved with no
    /// alert, disposition `no_conflict`, by `system:screening`, naming the layers it relied on.
    Cleared {
        disposition: Disposition,
        layers: Vec<String>,
    },
    AlertRaised {
        tier: u32,
        ack_deadline: DateTime<Utc>,
        recipients: Vec<String>,
        /// Why a ticket below the high band reaches a person all the same (a rule the
        /// industry applies whatever a model says); absent for a high-band ticket.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<String>,
    },
    AutoResolved {
        reason: String,
    },
    Escalated {
        tier: u32,
        ack_deadline: DateTime<Utc>,
        recipients: Vec<String>,
    },
    Acknowledged {
        by: String,
        note: Option<String>,
        /// The channel an acknowledgement link came through (`email`, `slack`, …); absent when
        /// acknowledged in the API or console (and so in every event written before links).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via: Option<String>,
    },
    Resolved {
        by: String,
        disposition: Disposition,
        note: Option<String>,
    },
    Cancelled {
        reason: String,
    },
    Superseded {
        by_workflow: String,
        by_revision: u32,
    },
    Failed {
        error: String,
        attempts: u32,
    },
    Retried {
        by: String,
    },
    /// A channel accepted a notification of an alert change (contract §7).
    NotificationSent {
        delivery: String,
        change: String,
        recipient: String,
        channel: String,
        attempt: u32,
    },
    /// An attempt to notify failed; `will_retry` says whether another follows.
    NotificationFailed {
        delivery: String,
        change: String,
        recipient: String,
        channel: String,
        attempt: u32,
        error: String,
        will_retry: bool,
    },
    /// Recipients of an alert change that reach nobody: no such roster, or no on-duty member
    /// with a channel. Kept in the trail so nobody can think they were told.
    RecipientsUnreachable {
        change: String,
        recipients: Vec<String>,
    },
    /// A response to the call center was queued: a person resolved the alert with a disposition
    /// the center's codes map, or an operator chose a code (contract §9). Never from a score.
    ResponseRequested {
        response: String,
        code: String,
        station: String,
        by: String,
    },
    /// The ticket's response to the center is due at `due_at` (within `due.warn_before_secs`)
    /// and none is posted; `recipients` are the alert's current tier.
    DueSoon {
        due_at: DateTime<Utc>,
        recipients: Vec<String>,
    },
    /// The ticket's response was due at `due_at` and none is posted.
    Overdue {
        due_at: DateTime<Utc>,
        recipients: Vec<String>,
    },
    /// The center accepted the response.
    ResponsePosted {
        response: String,
        code: String,
        station: String,
        attempt: u32,
    },
    /// An attempt to post the response failed in a way worth retrying (transport, `5xx`); the
    /// next attempt is due at `retry_at`.
    ResponseFailed {
        response: String,
        code: String,
        attempt: u32,
        error: String,
        retry_at: DateTime<Utc>,
    },
    /// The center refused the response (its `412` reason), or retries ran out.
    ResponseRejected {
        response: String,
        code: String,
        attempt: u32,
        error: String,
    },
    /// A damage, near miss or downtime on this ticket's dig is being investigated
    /// (contract §14): what it says when opened.
    InvestigationOpened {
        investigation: String,
        findings: Box<crate::investigation::Findings>,
    },
    /// An open investigation was edited: each field changed, with its old and new value.
    InvestigationChanged {
        investigation: String,
        changes: Vec<crate::investigation::FieldChange>,
    },
    InvestigationClosed {
        investigation: String,
    },
}

impl Event {
    /// The event's name in the audit trail and on the events exchange.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Validated { .. } => "validated",
            Self::Rejected { .. } => "rejected",
            Self::Screened { .. } => "screened",
            Self::Scored { .. } => "scored",
            Self::Cleared { .. } => "cleared",
            Self::AlertRaised { .. } => "alert_raised",
            Self::AutoResolved { .. } => "auto_resolved",
            Self::Escalated { .. } => "escalated",
            Self::Acknowledged { .. } => "acknowledged",
            Self::Resolved { .. } => "resolved",
            Self::Cancelled { .. } => "cancelled",
            Self::Superseded { .. } => "superseded",
            Self::Failed { .. } => "failed",
            Self::Retried { .. } => "retried",
            Self::NotificationSent { .. } => "notification_sent",
            Self::NotificationFailed { .. } => "notification_failed",
            Self::RecipientsUnreachable { .. } => "recipients_unreachable",
            Self::ResponseRequested { .. } => "response_requested",
            Self::ResponsePosted { .. } => "response_posted",
            Self::DueSoon { .. } => "due_soon",
            Self::Overdue { .. } => "overdue",
            Self::ResponseFailed { .. } => "response_failed",
            Self::ResponseRejected { .. } => "response_rejected",
            Self::InvestigationOpened { .. } => "investigation_opened",
            Self::InvestigationChanged { .. } => "investigation_changed",
            Self::InvestigationClosed { .. } => "investigation_closed",
        }
    }

    /// Events that record something about the workflow without moving it — said to the
    /// outside, or found out afterwards (an investigation): they apply in every state, ended ones
    /// too (a resolution is announced after the fact, a damage investigated after the dig).
    pub fn is_notice(&self) -> bool {
        matches!(
            self,
            Self::NotificationSent { .. }
                | Self::InvestigationOpened { .. }
                | Self::InvestigationChanged { .. }
                | Self::InvestigationClosed { .. }
                | Self::NotificationFailed { .. }
                | Self::RecipientsUnreachable { .. }
                | Self::ResponseRequested { .. }
                | Self::ResponsePosted { .. }
                | Self::DueSoon { .. }
                | Self::Overdue { .. }
                | Self::ResponseFailed { .. }
                | Self::ResponseRejected { .. }
        )
    }
}

/// A refused transition: the event does not apply in the current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot apply '{event}' in state '{}': {reason}", from.as_str())]
pub struct TransitionError {
    pub from: State,
    pub event: &'static str,
    pub reason: String,
}

/// The state of one workflow as far as the lifecycle rules need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    pub state: State,
    pub band: Option<Band>,
    /// Escalation tier of the open alert (0 = first responders).
    pub tier: Option<u32>,
    pub acknowledged_by: Option<String>,
    /// Where a failed workflow stopped, so an operator's retry resumes there.
    pub failed_from: Option<State>,
}

impl Workflow {
    /// A workflow that has just been made durable.
    pub fn received() -> Self {
        Self {
            state: State::Received,
            band: None,
            tier: None,
            acknowledged_by: None,
            failed_from: None,
        }
    }

    /// Applies one event, returning the next workflow or why the event is refused.
    pub fn apply(&self, event: &Event) -> Result<Workflow, TransitionError> {
        use State as S;
        let refuse = |reason: &str| TransitionError {
            from: self.state,
            event: event.kind(),
            reason: reason.to_owned(),
        };
        let mut next = self.clone();
        if event.is_notice() {
            return Ok(next);
        }
        match (self.state, event) {
            (_, Event::Received) => return Err(refuse("a workflow is received only once")),
            (S::Received, Event::Validated { .. }) => next.state = S::Validated,
            // Screening says what is near; it moves nothing by itself.
            (S::Validated, Event::Screened { .. }) => {}
            (S::Received, Event::Rejected { problems }) => {
                if problems.is_empty() {
                    return Err(refuse("a rejection needs at least one problem"));
                }
                next.state = S::Rejected;
            }
            (
                S::Validated,
                Event::Scored {
                    probability, band, ..
                },
            ) => {
                if !(0.0..=1.0).contains(probability) {
                    return Err(refuse("probability must be within [0, 1]"));
                }
                next.state = S::Scored;
                next.band = Some(*band);
            }
            (S::Scored, Event::AlertRaised { tier, rule, .. }) => {
                if !self.band.is_some_and(Band::raises_alert) && rule.is_none() {
                    return Err(refuse(
                        "only a high-band ticket, or one a standing rule names, raises an alert",
                    ));
                }
                if *tier != 0 {
                    return Err(refuse("an alert starts at tier 0"));
                }
                next.state = S::Alerted;
                next.tier = Some(0);
            }
            (S::Scored, Event::Cleared { disposition, .. }) => {
                if *disposition != Disposition::NoConflict {
                    return Err(refuse("screening clears only with no_conflict"));
                }
                next.state = S::Resolved;
            }
            (S::Scored, Event::AutoResolved { .. }) => {
                if self.band.is_none_or(Band::raises_alert) {
                    return Err(refuse("a high-band ticket needs an officer"));
                }
                next.state = S::Resolved;
            }
            (S::Alerted | S::Escalated, Event::Escalated { tier, .. }) => {
                let current = self.tier.unwrap_or(0);
                if *tier < current {
                    return Err(refuse("escalation never goes down a tier"));
                }
                next.state = S::Escalated;
                next.tier = Some(*tier);
            }
            (S::Alerted | S::Escalated, Event::Acknowledged { by, .. }) => {
                next.state = S::Acknowledged;
                next.acknowledged_by = Some(by.clone());
            }
            (S::Acknowledged, Event::Acknowledged { .. }) => {
                return Err(refuse("the alert is already acknowledged"));
            }
            (S::Alerted | S::Escalated | S::Acknowledged, Event::Resolved { .. }) => {
                next.state = S::Resolved;
            }
            (s, Event::Cancelled { .. }) if !s.is_terminal() => next.state = S::Cancelled,
            (s, Event::Superseded { .. }) if !s.is_terminal() => next.state = S::Superseded,
            (s, Event::Failed { .. }) if !s.is_terminal() => {
                next.state = S::Failed;
                next.failed_from = Some(s);
            }
            (S::Failed, Event::Retried { .. }) => {
                let Some(resume) = self.failed_from else {
                    return Err(refuse("the failed workflow does not say where it stopped"));
                };
                next.state = resume;
                next.failed_from = None;
            }
            (s, _) if s.is_terminal() => return Err(refuse("the workflow has ended")),
            _ => return Err(refuse("not allowed by the lifecycle")),
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn deadline() -> DateTime<Utc> {
        DateTime::from_timestamp(1_763_780_400, 0).unwrap()
    }

    fn scored(band: Band) -> Event {
        Event::Scored {
            probability: 0.5,
            band,
            model_version: "m1".into(),
        }
    }

    fn raise() -> Event {
        Event::AlertRaised {
            tier: 0,
            ack_deadline: deadline(),
            recipients: vec![],
            rule: None,
        }
    }

    fn run(events: &[Event]) -> Result<Workflow, TransitionError> {
        events
            .iter()
            .try_fold(Workflow::received(), |wf, e| wf.apply(e))
    }

    #[test]
    fn notices_apply_in_every_state_and_change_nothing() {
        let notice = Event::NotificationSent {
            delivery: "d".into(),
            change: "resolved".into(),
            recipient: "dana".into(),
            channel: "email".into(),
            attempt: 1,
        };
        for state in State::ALL {
            let wf = Workflow {
                state,
                ..Workflow::received()
            };
            assert_eq!(wf.apply(&notice), Ok(wf.clone()));
        }
    }

    #[test]
    fn the_happy_paths_of_the_design() {
        let low = run(&[
            Event::Validated { warnings: vec![] },
            scored(Band::Low),
            Event::AutoResolved {
                reason: "low".into(),
            },
        ])
        .unwrap();
        assert_eq!(low.state, State::Resolved);

        let high = run(&[
            Event::Validated { warnings: vec![] },
            scored(Band::High),
            raise(),
            Event::Escalated {
                tier: 1,
                ack_deadline: deadline(),
                recipients: vec![],
            },
            Event::Acknowledged {
                by: "officer-1".into(),
                note: None,
                via: None,
            },
            Event::Resolved {
                by: "officer-1".into(),
                disposition: Disposition::LocatorDispatched,
                note: None,
            },
        ])
        .unwrap();
        assert_eq!(high.state, State::Resolved);
        assert_eq!(high.tier, Some(1));
        assert_eq!(high.acknowledged_by.as_deref(), Some("officer-1"));
    }

    #[test]
    fn bands_decide_between_alert_and_auto_resolve() {
        let high = run(&[Event::Validated { warnings: vec![] }, scored(Band::High)]).unwrap();
        assert!(
            high.apply(&Event::AutoResolved { reason: "x".into() })
                .is_err()
        );
        let medium = run(&[Event::Validated { warnings: vec![] }, scored(Band::Medium)]).unwrap();
        assert!(medium.apply(&raise()).is_err());
        // A standing rule names why it reaches a person all the same.
        let ruled = Event::AlertRaised {
            tier: 0,
            ack_deadline: deadline(),
            recipients: vec![],
            rule: Some("emergency in conflict".into()),
        };
        assert_eq!(medium.apply(&ruled).unwrap().state, State::Alerted);
    }

    #[test]
    fn ack_of_a_resolved_alert_is_refused() {
        let wf = run(&[
            Event::Validated { warnings: vec![] },
            scored(Band::High),
            raise(),
            Event::Resolved {
                by: "o".into(),
                disposition: Disposition::NoConflict,
                note: None,
            },
        ])
        .unwrap();
        let err = wf
            .apply(&Event::Acknowledged {
                by: "o".into(),
                note: None,
                via: None,
            })
            .unwrap_err();
        assert_eq!(err.from, State::Resolved);
    }

    #[test]
    fn failed_workflows_resume_where_they_stopped() {
        let wf = run(&[
            Event::Validated { warnings: vec![] },
            Event::Failed {
                error: "boom".into(),
                attempts: 5,
            },
        ])
        .unwrap();
        assert_eq!(wf.state, State::Failed);
        let back = wf.apply(&Event::Retried { by: "op".into() }).unwrap();
        assert_eq!(back.state, State::Validated);
        assert_eq!(back.failed_from, None);
    }

    #[test]
    fn names_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        for d in Disposition::ALL {
            assert_eq!(Disposition::parse(d.as_str()), Some(d));
        }
    }

    /// Edges of the lifecycle diagram in DESIGN.md, written out independently of `apply`.
    fn allowed_edge(from: State, to: State) -> bool {
        use State as S;
        let cross_cutting =
            !from.is_terminal() && matches!(to, S::Cancelled | S::Superseded | S::Failed);
        cross_cutting
            || matches!(
                (from, to),
                (S::Received, S::Validated | S::Rejected)
                    | (S::Validated, S::Scored | S::Validated)
                    | (S::Scored, S::Resolved | S::Alerted)
                    | (S::Alerted, S::Acknowledged | S::Escalated | S::Resolved)
                    | (S::Escalated, S::Escalated | S::Acknowledged | S::Resolved)
                    | (S::Acknowledged, S::Resolved)
                    | (
                        S::Failed,
                        S::Received
                            | S::Validated
                            | S::Scored
                            | S::Alerted
                            | S::Escalated
                            | S::Acknowledged
                    )
            )
    }

    fn any_event() -> impl Strategy<Value = Event> {
        let band = prop_oneof![Just(Band::Low), Just(Band::Medium), Just(Band::High)];
        prop_oneof![
            Just(Event::Received),
            Just(Event::Validated { warnings: vec![] }),
            prop::collection::vec(Just(crate::Problem::required("x")), 0..2)
                .prop_map(|problems| Event::Rejected { problems }),
            (-0.5f64..1.5, band).prop_map(|(probability, band)| Event::Scored {
                probability,
                band,
                model_version: "m".into()
            }),
            (0u32..3, prop::option::of(Just("rule".to_owned()))).prop_map(|(tier, rule)| {
                Event::AlertRaised {
                    tier,
                    ack_deadline: deadline(),
                    recipients: vec![],
                    rule,
                }
            }),
            Just(Event::AutoResolved { reason: "r".into() }),
            Just(Event::Screened {
                category: crate::screening::Category::Clear,
                unknown: None,
                layers: vec![]
            }),
            prop_oneof![
                Just(Disposition::NoConflict),
                Just(Disposition::FalsePositive)
            ]
            .prop_map(|disposition| Event::Cleared {
                disposition,
                layers: vec![]
            }),
            (0u32..4).prop_map(|tier| Event::Escalated {
                tier,
                ack_deadline: deadline(),
                recipients: vec![]
            }),
            prop_oneof![Just("a"), Just("b")].prop_map(|by| Event::Acknowledged {
                by: by.into(),
                note: None,
                via: None,
            }),
            Just(Event::Resolved {
                by: "a".into(),
                disposition: Disposition::NoConflict,
                note: None
            }),
            Just(Event::Cancelled { reason: "c".into() }),
            Just(Event::Superseded {
                by_workflow: "w".into(),
                by_revision: 1
            }),
            Just(Event::Failed {
                error: "e".into(),
                attempts: 3
            }),
            Just(Event::Retried { by: "op".into() }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Whatever events arrive, in whatever order, every accepted transition is an edge of the
        /// diagram and the workflow's facts stay consistent with its state.
        #[test]
        fn no_sequence_of_events_reaches_an_illegal_state(events in prop::collection::vec(any_event(), 0..40)) {
            let mut wf = Workflow::received();
            let mut ended_for_good = false;
            for e in &events {
                match wf.apply(e) {
                    Ok(next) => {
                        prop_assert!(!ended_for_good, "{:?} moved after a final state", e);
                        prop_assert!(allowed_edge(wf.state, next.state),
                            "illegal edge {:?} -> {:?} by {:?}", wf.state, next.state, e);
                        if matches!(next.state, State::Alerted | State::Escalated | State::Acknowledged) {
                            // High, or any band a standing rule raised the alert for.
                            prop_assert!(next.band.is_some());
                            prop_assert!(next.tier.is_some());
                        }
                        if next.state == State::Acknowledged {
                            prop_assert!(next.acknowledged_by.is_some());
                        }
                        if next.state == State::Escalated {
                            prop_assert!(next.tier >= wf.tier);
                        }
                        if next.state == State::Failed {
                            prop_assert!(next.failed_from.is_some_and(|s| !s.is_terminal()));
                        }
                        if matches!(next.state, State::Scored) {
                            prop_assert!(next.band.is_some());
                        }
                        wf = next;
                    }
                    Err(err) => prop_assert_eq!(err.from, wf.state),
                }
                if wf.state.is_terminal() && wf.state != State::Failed {
                    ended_for_good = true;
                }
            }
        }
    }
}
