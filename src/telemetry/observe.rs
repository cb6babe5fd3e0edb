//! Metrics recorded where the facts are: every committed transition passes through here.

use aegis_actors::records::TransitionCommit;
use aegis_workflows::lifecycle::{Event, State};

use super::names;

/// Records the metrics of a committed transition.
pub fn committed(c: &TransitionCommit) {
    for e in &c.events {
        let from = e.from_state.map_or("none", State::as_str);
        metrics::counter!(names::TRANSITIONS, "from" => from, "to" => e.to_state.as_str())
            .increment(1);
        match &e.event {
            Event::Scored {
                probability,
                band,
                model_version,
            } => {
                // Centers are registered, so the label stays bounded.
                metrics::counter!(names::SCORES, "band" => band.as_str(), "model_version" => model_version.clone(), "center" => c.center.clone())
                    .increment(1);
                metrics::histogram!(names::SCORE_PROBABILITY).record(*probability);
                // Only spans beyond 292,000 years overflow microseconds.
                let since = (c.at - c.received_at).num_microseconds().unwrap_or(0);
                metrics::histogram!(names::RECEIVED_TO_SCORED).record(since as f64 / 1e6);
            }
            Event::Screened { category, .. } => {
                metrics::counter!(names::SCREENINGS, "category" => category.as_str()).increment(1)
            }
            Event::Cleared { .. } => {
                metrics::counter!(names::TICKETS_CLEARED, "center" => c.center.clone()).increment(1)
            }
            Event::AlertRaised { .. } => metrics::counter!(names::ALERTS_RAISED).increment(1),
            Event::Escalated { tier, .. } => {
                metrics::counter!(names::ALERTS_ESCALATED, "tier" => tier.to_string()).increment(1)
            }
            Event::Acknowledged { .. } => {
                metrics::counter!(names::ALERTS_ACKNOWLEDGED).increment(1);
                if let Some(a) = &c.alert {
                    let secs = (e.at - a.raised_at).num_milliseconds() as f64 / 1e3;
                    metrics::histogram!(names::TIME_TO_ACK).record(secs.max(0.0));
                }
            }
            Event::Resolved { disposition, .. } => {
                metrics::counter!(names::ALERTS_RESOLVED, "disposition" => disposition.as_str())
                    .increment(1)
            }
            Event::NotificationSent { channel, .. } => {
                notification(channel, "sent");
            }
            Event::NotificationFailed {
                channel,
                will_retry,
                ..
            } => notification(channel, if *will_retry { "retrying" } else { "failed" }),
            Event::RecipientsUnreachable { .. } => {
                metrics::counter!(names::UNREACHABLE_CHANGES).increment(1)
            }
            _ => {}
        }
    }
    let settled = c.events.last().is_some_and(|e| {
        e.from_state.is_some_and(|f| f.next_step().is_some()) && e.to_state.next_step().is_none()
    });
    if settled {
        let since = (c.at - c.received_at).num_microseconds().unwrap_or(0);
        metrics::histogram!(names::RECEIVED_TO_SETTLED).record(since as f64 / 1e6);
    }
    let took = (chrono::Utc::now() - c.step_started_at)
        .num_microseconds()
        .unwrap_or(0)
        .max(0);
    let to = c.events.last().map_or("none", |e| e.to_state.as_str());
    metrics::histogram!(names::STEP_SECONDS, "step" => c.step, "state" => to)
        .record(took as f64 / 1e6);
    if let Some(d) = &c.dead_letter {
        metrics::counter!(names::DEAD_LETTERED, "kind" => d.kind.as_str()).increment(1);
    }
}

/// Counts one notification attempt. The channel kind comes from the domain's closed set.
fn notification(channel: &str, outcome: &'static str) {
    let kind = aegis_workflows::roster::Channel::KINDS
        .into_iter()
        .find(|k| *k == channel)
        .unwrap_or("other");
    metrics::counter!(names::NOTIFICATIONS, "channel" => kind, "outcome" => outcome).increment(1);
}
