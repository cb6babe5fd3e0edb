//! Due times (contract §9): when a ticket's answer to the center is due — its
//! `response_due_at`, else its legal start — and when to warn that it is coming. Only tickets
//! with an open alert and no posted response are chased.

use chrono::{DateTime, TimeDelta, Utc};

use crate::ticket::Ticket;

/// When the ticket's response is due, if the ticket says.
pub fn due_at(ticket: &Ticket) -> Option<DateTime<Utc>> {
    ticket
        .response_due_at
        .or(ticket.legal_start_at)
        .map(|t| t.with_timezone(&Utc))
}

/// When to warn (`due_at - warn_before`, or now when that has passed) and when to say the
/// response is overdue. Nothing for a due time already past when the alert is raised: the
/// alert itself is the news (its notice shows the start), and the ticket is listed overdue.
pub fn schedule(
    due_at: DateTime<Utc>,
    warn_before: TimeDelta,
    now: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if due_at <= now {
        return None;
    }
    Some(((due_at - warn_before).max(now), due_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_before_and_is_overdue_at_the_due_time() {
        let now = Utc::now();
        let h = TimeDelta::hours;
        assert_eq!(
            schedule(now + h(5), h(2), now),
            Some((now + h(3), now + h(5)))
        );
        assert_eq!(schedule(now + h(1), h(2), now), Some((now, now + h(1))));
        assert_eq!(schedule(now - h(1), h(2), now), None);
    }

    #[test]
    fn the_response_due_time_comes_before_the_legal_start() {
        let mut t = Ticket::default();
        assert_eq!(due_at(&t), None);
        let legal = DateTime::parse_from_rfc3339("2026-11-24T08:00:00-08:00").ok();
        t.legal_start_at = legal;
        assert_eq!(
            due_at(&t).map(|d| d.to_rfc3339()),
            Some("2026-11-24T16:00:00+00:00".into())
        );
        t.response_due_at = DateTime::parse_from_rfc3339("2026-11-23T17:00:00-08:00").ok();
        assert_eq!(
            due_at(&t).map(|d| d.to_rfc3339()),
            Some("2026-11-24T01:00:00+00:00".into())
        );
    }
}
