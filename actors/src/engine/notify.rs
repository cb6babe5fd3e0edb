//! Notifications in a step's plan (contract §7): every alert change the plan announces gets a
//! delivery row per reached (user, channel), committed with the change itself; a finished
//! attempt becomes an audit event and settles its row. Who is reached, and what follows a
//! failed attempt, are the domain's rules ([`aegis_workflows::notification`]).

use aegis_workflows::lifecycle::Event;
use aegis_workflows::notification::{self, Attempted, Audience, Change, Subject};
use chrono::{DateTime, Utc};
use rand::Rng;

use super::plan::{Decision, Plan};
use crate::deps::Deps;
use crate::records::{
    DeliveryRecord, DeliveryState, DeliveryUpdate, SYSTEM, Target, WorkflowSnapshot,
};
use crate::step::{NotifyAttempt, StepError};

/// The change an event announces for this workflow: the alert's own changes, and a ticket that
/// ends (cancelled, superseded) while its alert is open, which closes the alert for everyone
/// told of it (PagerDuty resolves its incident).
fn announced(event: &Event, open_before: bool) -> Option<Change> {
    match event {
        Event::Cancelled { .. } | Event::Superseded { .. } if open_before => Some(Change::Resolved),
        e => Change::of(e),
    }
}

/// Adds the deliveries of every change the plan's events announce.
pub(crate) async fn plan_deliveries(
    deps: &Deps,
    snap: &WorkflowSnapshot,
    plan: &mut Plan,
    now: DateTime<Utc>,
) -> Result<(), StepError> {
    let open_before = snap.workflow.state.has_open_alert();
    let changes: Vec<(Change, Option<Audience>)> = plan
        .events
        .iter()
        .filter_map(|(e, _)| {
            announced(e, open_before).map(|c| {
                let audience = notification::audience(e).or(Some(Audience::AlreadyNotified));
                (c, audience)
            })
        })
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    let Some(alert_id) = plan
        .alert
        .as_ref()
        .or(snap.alert.as_ref())
        .map(|a| a.id.clone())
    else {
        tracing::warn!(workflow_id = %snap.id, "an alert change without an alert row: nobody is notified");
        return Ok(());
    };
    for (change, audience) in changes {
        let targets: Vec<Target> = match audience {
            Some(Audience::Rosters(recipients)) => {
                let reach = deps.store.reach(recipients, now).await?;
                if !reach.unreachable.is_empty() {
                    tracing::error!(
                        workflow_id = %snap.id,
                        alert_id = %alert_id,
                        change = %change.key(),
                        recipients = ?reach.unreachable,
                        "alert recipients reach nobody: no such roster, or no on-duty member has a channel"
                    );
                    plan.events.push((
                        Event::RecipientsUnreachable {
                            change: change.key(),
                            recipients: reach.unreachable,
                        },
                        SYSTEM.to_owned(),
                    ));
                }
                reach.targets
            }
            _ => {
                let mut told = deps.store.notified(&alert_id).await?;
                // Raised and acknowledged in one plan: the raise's rows are not stored yet.
                for d in &plan.deliveries {
                    let t = Target {
                        user: d.user.clone(),
                        channel: d.channel.clone(),
                    };
                    if !told.contains(&t) {
                        told.push(t);
                    }
                }
                told
            }
        };
        plan.deliveries
            .extend(targets.into_iter().map(|t| DeliveryRecord {
                id: uuid::Uuid::now_v7().to_string(),
                subject: Subject::Alert {
                    alert_id: alert_id.clone(),
                    workflow_id: snap.id.clone(),
                    change,
                },
                user: t.user,
                channel: t.channel,
                created_at: now,
            }));
    }
    Ok(())
}

/// Records one finished attempt: the audit event, and the row sent, failed or due again.
pub(crate) fn on_notified(deps: &Deps, a: &NotifyAttempt, now: DateTime<Utc>) -> Decision {
    let jitter = rand::rng().random::<f64>();
    let after = deps
        .config
        .delivery
        .after(a.attempt, &a.result, now, jitter);
    let event = after.event(&Attempted {
        delivery: &a.delivery,
        change: a.change,
        user: &a.user,
        channel: &a.channel,
        attempt: a.attempt,
    });
    let plan = Plan {
        events: vec![(event, SYSTEM.to_owned())],
        delivery_update: Some(delivery_update(a.delivery.clone(), a.attempt, after)),
        ..Plan::default()
    };
    Decision::Commit(Box::new(plan))
}

/// What an attempt does to its delivery row.
pub(crate) fn delivery_update(
    id: String,
    attempt: u32,
    after: notification::AfterAttempt,
) -> DeliveryUpdate {
    let (state, error) = match after {
        notification::AfterAttempt::Sent => (DeliveryState::Sent, None),
        notification::AfterAttempt::Retry { at, error } => (
            DeliveryState::Pending { next_at: at },
            Some(notification::short_error(&error)),
        ),
        notification::AfterAttempt::GaveUp { error } => (
            DeliveryState::Failed,
            Some(notification::short_error(&error)),
        ),
    };
    DeliveryUpdate {
        id,
        attempts: attempt,
        state,
        error,
    }
}
