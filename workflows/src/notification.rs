//! Notifications (contract §7): which alert changes reach whom, what each channel is told, and
//! how a delivery that failed is tried again. Pure: the runtime plans delivery rows from these
//! rules in the alert's own commit, and the adapters send them.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::lifecycle::Event;
use crate::roster::{Channel, Roster};

/// An alert change worth telling people about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    Raised,
    Escalated {
        tier: u32,
    },
    Acknowledged,
    Resolved,
    /// The ticket's response is due soon and nobody has answered the center.
    DueSoon,
    /// The ticket's response is overdue.
    Overdue,
}

impl Change {
    /// The change an audit event announces, if it announces one.
    pub fn of(event: &Event) -> Option<Self> {
        match event {
            Event::AlertRaised { .. } => Some(Self::Raised),
            Event::Escalated { tier, .. } => Some(Self::Escalated { tier: *tier }),
            Event::Acknowledged { .. } => Some(Self::Acknowledged),
            Event::Resolved { .. } => Some(Self::Resolved),
            Event::DueSoon { .. } => Some(Self::DueSoon),
            Event::Overdue { .. } => Some(Self::Overdue),
            _ => None,
        }
    }

    /// Names this change within its alert; with the alert id it is the key every channel
    /// de-duplicates by (a re-sent notification carries the same key).
    pub fn key(self) -> String {
        match self {
            Self::Raised => "raised".into(),
            Self::Escalated { tier } => format!("escalated-{tier}"),
            Self::Acknowledged => "acknowledged".into(),
            Self::Resolved => "resolved".into(),
            Self::DueSoon => "due-soon".into(),
            Self::Overdue => "overdue".into(),
        }
    }

    pub fn parse_key(key: &str) -> Option<Self> {
        match key {
            "raised" => Some(Self::Raised),
            "acknowledged" => Some(Self::Acknowledged),
            "resolved" => Some(Self::Resolved),
            "due-soon" => Some(Self::DueSoon),
            "overdue" => Some(Self::Overdue),
            _ => key
                .strip_prefix("escalated-")
                .and_then(|t| t.parse().ok())
                .map(|tier| Self::Escalated { tier }),
        }
    }

    /// The webhook body's `type`.
    pub fn webhook_type(self) -> &'static str {
        match self {
            Self::Raised => "alert.raised",
            Self::Escalated { .. } => "alert.escalated",
            Self::Acknowledged => "alert.acknowledged",
            Self::Resolved => "alert.resolved",
            Self::DueSoon => "ticket.due_soon",
            Self::Overdue => "ticket.overdue",
        }
    }

    /// PagerDuty's `event_action`: the incident is triggered, acknowledged and resolved with
    /// the alert, so the officer's phone and Aegis agree.
    pub fn pagerduty_action(self) -> &'static str {
        match self {
            // Re-triggering the alert's open incident adds the deadline to it.
            Self::Raised | Self::Escalated { .. } | Self::DueSoon | Self::Overdue => "trigger",
            Self::Acknowledged => "acknowledge",
            Self::Resolved => "resolve",
        }
    }

    /// Whether this change asks someone to act (and so carries an acknowledgement link).
    pub fn asks_for_action(self) -> bool {
        matches!(
            self,
            Self::Raised | Self::Escalated { .. } | Self::DueSoon | Self::Overdue
        )
    }
}

/// What a notification is about: the subject every delivery row names, and what its message
/// is rendered from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A change of an alert (raised, escalated, acknowledged, resolved, due soon, overdue).
    Alert {
        alert_id: String,
        workflow_id: String,
        change: Change,
    },
    /// A center's daily summary lists tickets that never arrived
    /// (`daily_summary::audience` decides who hears).
    MissingTickets { reconciliation_id: String },
}

impl Subject {
    /// The subject's kind, as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Alert { .. } => "alert",
            Self::MissingTickets { .. } => "missing_tickets",
        }
    }

    pub fn alert_id(&self) -> Option<&str> {
        match self {
            Self::Alert { alert_id, .. } => Some(alert_id),
            Self::MissingTickets { .. } => None,
        }
    }

    /// The workflow whose trail records the delivery's attempts; a notice about missing tickets
    /// belongs to no workflow (its outcome is on its row).
    pub fn workflow_id(&self) -> Option<&str> {
        match self {
            Self::Alert { workflow_id, .. } => Some(workflow_id),
            Self::MissingTickets { .. } => None,
        }
    }

    pub fn alert_change(&self) -> Option<Change> {
        match self {
            Self::Alert { change, .. } => Some(*change),
            Self::MissingTickets { .. } => None,
        }
    }
}

/// Who hears about a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// The on-duty members of these rosters (a tier's recipients).
    Rosters(Vec<String>),
    /// Everyone already told about this alert, on the channels they were told on: the others
    /// stop, and PagerDuty closes the incident it opened.
    AlreadyNotified,
}

pub fn audience(event: &Event) -> Option<Audience> {
    match event {
        Event::AlertRaised { recipients, .. }
        | Event::Escalated { recipients, .. }
        | Event::DueSoon { recipients, .. }
        | Event::Overdue { recipients, .. } => Some(Audience::Rosters(recipients.clone())),
        Event::Acknowledged { .. } | Event::Resolved { .. } => Some(Audience::AlreadyNotified),
        _ => None,
    }
}

/// One user to reach on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub user: String,
    pub channel: Channel,
}

/// Who a set of rosters reaches at `at`, and which recipients reach nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    pub targets: Vec<Target>,
    /// Recipients with no roster, or whose on-duty members have no channel.
    pub unreachable: Vec<String>,
}

/// Resolves recipients to (user, channel) pairs: each on-duty member of each roster on every
/// channel they have, each pair once even when rosters overlap. `roster` and `channels` look
/// up what is stored.
pub fn reach<'a>(
    recipients: &[String],
    at: DateTime<Utc>,
    roster: impl Fn(&str) -> Option<&'a Roster>,
    channels: impl Fn(&str) -> &'a [Channel],
) -> Reach {
    let mut out = Reach::default();
    for name in recipients {
        let Some(r) = roster(name) else {
            out.unreachable.push(name.clone());
            continue;
        };
        let mut reached_any = false;
        for user in r.on_duty(at) {
            for ch in channels(user) {
                reached_any = true;
                let t = Target {
                    user: user.clone(),
                    channel: ch.clone(),
                };
                if !out.targets.contains(&t) {
                    out.targets.push(t);
                }
            }
        }
        if !reached_any {
            out.unreachable.push(name.clone());
        }
    }
    out
}

/// How a send ended, as the adapter saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum SendResult {
    /// The channel accepted the message.
    Accepted,
    /// Worth trying again: a transport error, a timeout, `429`, `5xx`.
    Transient { error: String },
    /// Trying again cannot help: the channel refused the message itself (`4xx`, a mailbox the
    /// server does not know).
    Refused { error: String },
}

/// How patiently a delivery is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_backoff_ms: u64,
    pub max_backoff_ms: u64,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        // Eight attempts over about four minutes: long enough to ride out a relay's restart,
        // short enough that an operator hears of a dead channel while the alert is still fresh.
        Self {
            max_attempts: 8,
            base_backoff_ms: 1_000,
            max_backoff_ms: 60_000,
        }
    }
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterAttempt {
    Sent,
    Retry { at: DateTime<Utc>, error: String },
    GaveUp { error: String },
}

impl AfterAttempt {
    /// The audit event recording the attempt.
    pub fn event(&self, d: &Attempted<'_>) -> Event {
        match self {
            Self::Sent => Event::NotificationSent {
                delivery: d.delivery.to_owned(),
                change: d.change.key(),
                recipient: d.user.to_owned(),
                channel: d.channel.to_owned(),
                attempt: d.attempt,
            },
            Self::Retry { error, .. } | Self::GaveUp { error } => Event::NotificationFailed {
                delivery: d.delivery.to_owned(),
                change: d.change.key(),
                recipient: d.user.to_owned(),
                channel: d.channel.to_owned(),
                attempt: d.attempt,
                error: error.clone(),
                will_retry: matches!(self, Self::Retry { .. }),
            },
        }
    }
}

/// The delivery an attempt was for, as the audit trail names it.
#[derive(Debug, Clone, Copy)]
pub struct Attempted<'a> {
    pub delivery: &'a str,
    pub change: Change,
    pub user: &'a str,
    pub channel: &'a str,
    /// 1 for the first attempt.
    pub attempt: u32,
}

impl DeliveryPolicy {
    /// What follows attempt number `attempt` (1-based) that ended with `result`; `jitter` in
    /// [0, 1) spreads retries of deliveries that failed together.
    pub fn after(
        &self,
        attempt: u32,
        result: &SendResult,
        now: DateTime<Utc>,
        jitter: f64,
    ) -> AfterAttempt {
        match result {
            SendResult::Accepted => AfterAttempt::Sent,
            SendResult::Refused { error } => AfterAttempt::GaveUp {
                error: error.clone(),
            },
            SendResult::Transient { error } if attempt >= self.max_attempts => {
                AfterAttempt::GaveUp {
                    error: error.clone(),
                }
            }
            SendResult::Transient { error } => AfterAttempt::Retry {
                at: now + self.backoff(attempt, jitter),
                error: error.clone(),
            },
        }
    }

    fn backoff(&self, attempt: u32, jitter: f64) -> TimeDelta {
        let exp = attempt.saturating_sub(1).min(32);
        let raw = self.base_backoff_ms.saturating_mul(1u64 << exp);
        let capped = raw.min(self.max_backoff_ms);
        let spread = (capped as f64 * (0.5 + 0.5 * jitter.clamp(0.0, 1.0))) as i64;
        TimeDelta::milliseconds(spread.max(1))
    }
}

/// Errors kept in the audit trail and the delivery row are cut to this many characters: a
/// receiver's error page is not evidence, and must not bloat the trail.
pub const MAX_ERROR_CHARS: usize = 300;

pub fn short_error(e: &str) -> String {
    e.chars().take(MAX_ERROR_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::roster::BusinessHours;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_763_780_400, 0).unwrap()
    }

    #[test]
    fn change_keys_round_trip() {
        for c in [
            Change::Raised,
            Change::Escalated { tier: 2 },
            Change::Acknowledged,
            Change::Resolved,
        ] {
            assert_eq!(Change::parse_key(&c.key()), Some(c));
        }
        assert_eq!(Change::parse_key("escalated-x"), None);
        assert_eq!(Change::Escalated { tier: 1 }.pagerduty_action(), "trigger");
        assert_eq!(Change::Acknowledged.pagerduty_action(), "acknowledge");
        assert_eq!(Change::Resolved.pagerduty_action(), "resolve");
    }

    #[test]
    fn reach_covers_every_member_and_channel_once_and_names_the_unreachable() {
        let email = |a: &str| Channel::Email { address: a.into() };
        let rosters: HashMap<&str, Roster> = [
            (
                "oncall",
                Roster {
                    members: vec!["dana".into(), "lee".into()],
                    after_hours_members: vec![],
                    business_hours: None,
                },
            ),
            (
                "managers",
                Roster {
                    members: vec!["lee".into(), "kim".into()],
                    after_hours_members: vec![],
                    business_hours: None,
                },
            ),
            (
                "empty-at-night",
                Roster {
                    members: vec!["dana".into()],
                    after_hours_members: vec!["kim".into()],
                    business_hours: Some(BusinessHours {
                        days: "Mon-Sun".into(),
                        from: "00:00".into(),
                        to: "00:01".into(),
                        timezone: "UTC".into(),
                    }),
                },
            ),
        ]
        .into_iter()
        .collect();
        let channels: HashMap<&str, Vec<Channel>> = [
            ("dana", vec![email("dana@example.org")]),
            (
                "lee",
                vec![
                    email("lee@example.org"),
                    Channel::Slack {
                        url: "https://hooks.example/x".into(),
                    },
                ],
            ),
        ]
        .into_iter()
        .collect();
        let none: &[Channel] = &[];
        let r = reach(
            &[
                "oncall".into(),
                "managers".into(),
                "nobody".into(),
                "empty-at-night".into(),
            ],
            at(),
            |n| rosters.get(n),
            |u| channels.get(u).map_or(none, Vec::as_slice),
        );
        let pairs: Vec<(&str, &str)> = r
            .targets
            .iter()
            .map(|t| (t.user.as_str(), t.channel.kind()))
            .collect();
        assert_eq!(
            pairs,
            vec![("dana", "email"), ("lee", "email"), ("lee", "slack")]
        );
        // `kim` has no channel, so outside its hours the night roster reaches nobody.
        assert_eq!(r.unreachable, vec!["nobody", "empty-at-night"]);
    }

    #[test]
    fn transient_failures_back_off_then_give_up_and_refusals_stop_at_once() {
        let p = DeliveryPolicy {
            max_attempts: 3,
            base_backoff_ms: 1_000,
            max_backoff_ms: 3_000,
        };
        let t = SendResult::Transient {
            error: "503".into(),
        };
        assert_eq!(
            p.after(1, &t, at(), 1.0),
            AfterAttempt::Retry {
                at: at() + TimeDelta::seconds(1),
                error: "503".into()
            }
        );
        assert_eq!(
            p.after(2, &t, at(), 1.0),
            AfterAttempt::Retry {
                at: at() + TimeDelta::seconds(2),
                error: "503".into()
            }
        );
        assert_eq!(
            p.after(3, &t, at(), 1.0),
            AfterAttempt::GaveUp {
                error: "503".into()
            }
        );
        let refused = SendResult::Refused {
            error: "400 invalid routing key".into(),
        };
        assert!(matches!(
            p.after(1, &refused, at(), 0.5),
            AfterAttempt::GaveUp { .. }
        ));
        assert_eq!(
            p.after(1, &SendResult::Accepted, at(), 0.5),
            AfterAttempt::Sent
        );
    }
}
