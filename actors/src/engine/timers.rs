//! The timers a step plans: an alert's escalation deadline and a ticket's due-time reminders,
//! and how urgent a ticket is (which tier of deadlines it gets).

use chrono::{DateTime, Utc};

use crate::deps::Deps;
use crate::records::{TimerChange, TimerKind, TimerRecord, WorkflowSnapshot};

pub(super) fn urgent(snap: &WorkflowSnapshot) -> bool {
    snap.ticket.kind.is_some_and(|k| k.is_urgent())
}

/// The ticket's due-time timers, planned with its alert: a warning before the response is due
/// and the moment it is overdue.
pub(super) fn due_timers(
    deps: &Deps,
    snap: &WorkflowSnapshot,
    now: DateTime<Utc>,
) -> Vec<TimerChange> {
    let Some(due_at) = aegis_workflows::due::due_at(&snap.ticket) else {
        return Vec::new();
    };
    let warn = chrono::TimeDelta::from_std(deps.config.due_warn_before)
        .unwrap_or(chrono::TimeDelta::hours(2));
    let Some((soon, overdue)) = aegis_workflows::due::schedule(due_at, warn, now) else {
        return Vec::new();
    };
    let timer = |kind: TimerKind, at: DateTime<Utc>| {
        TimerChange::Add(TimerRecord {
            id: uuid::Uuid::now_v7().to_string(),
            workflow_id: snap.id.clone(),
            due_at: at,
            kind,
        })
    };
    vec![
        timer(TimerKind::DueSoon { due_at }, soon),
        timer(TimerKind::Overdue { due_at }, overdue),
    ]
}

pub(super) fn escalation_timer(workflow_id: &str, tier: u32, due_at: DateTime<Utc>) -> TimerRecord {
    TimerRecord {
        id: uuid::Uuid::now_v7().to_string(),
        workflow_id: workflow_id.to_owned(),
        due_at,
        kind: TimerKind::Escalate { tier },
    }
}
