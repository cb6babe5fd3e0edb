//! What a step does to a workflow: the lifecycle and alert rules of `aegis-workflows` applied
//! to a snapshot, with the scorer and a few store reads for the facts they need. Nothing here
//! decides anything itself: it loads, applies the domain's transitions and plans the writes.

use aegis_workflows::lifecycle::{Disposition, Event, State};
use chrono::{DateTime, Utc};

use crate::deps::Deps;
use crate::records::{
    DeadLetterKind, DeadLetterRecord, SYSTEM, TimerChange, TimerKind, TimerRecord, WorkflowSnapshot,
};
use crate::step::{Command, Step, StepError};

use super::plan::{Decision, Plan};
use super::timers::{escalation_timer, urgent};

pub(crate) async fn decide(
    deps: &Deps,
    snap: &WorkflowSnapshot,
    step: &Step,
) -> Result<Decision, StepError> {
    let now = deps.clock.now();
    let decision = match step {
        Step::Drive => super::drive::drive(deps, snap, now).await?,
        Step::Timer { timer } => on_timer(deps, snap, timer, now).await?,
        Step::Command {
            command: Command::Respond { by, code, note },
        } => {
            let mut plan = Plan::default();
            super::respond::explicit(deps, snap, &mut plan, by, code, note.as_deref(), now).await?;
            Decision::Commit(Box::new(plan))
        }
        Step::Command {
            command: Command::Investigate { by, change },
        } => super::investigate::investigate(deps, snap, by, change, now).await?,
        Step::Command { command } => on_command(deps, snap, command, now)?,
        Step::Notified { attempt } => super::notify::on_notified(deps, attempt, now),
        Step::Responded { attempt } => super::respond::on_responded(deps, attempt, now),
        Step::Fail {
            error,
            attempts,
            failed_step,
        } => fail(snap, error, *attempts, failed_step, now)?,
    };
    match decision {
        Decision::Commit(mut plan) => {
            if let Step::Command {
                command:
                    Command::Resolve {
                        by,
                        disposition,
                        note,
                    },
            } = step
            {
                super::respond::for_resolution(
                    deps,
                    snap,
                    &mut plan,
                    by,
                    *disposition,
                    note.as_deref(),
                    now,
                )
                .await?;
            }
            super::notify::plan_deliveries(deps, snap, &mut plan, now).await?;
            Ok(Decision::Commit(plan))
        }
        other => Ok(other),
    }
}

async fn on_timer(
    deps: &Deps,
    snap: &WorkflowSnapshot,
    timer: &TimerRecord,
    now: DateTime<Utc>,
) -> Result<Decision, StepError> {
    let settle = Decision::Settle(vec![timer.id.clone()]);
    let state = snap.workflow.state;
    let plan = match &timer.kind {
        TimerKind::DueSoon { due_at } | TimerKind::Overdue { due_at } => {
            // Only a ticket whose alert is open and whose center has no answer yet is chased.
            if !state.has_open_alert() || deps.store.response_posted(&snap.id).await? {
                return Ok(settle);
            }
            chase(deps, snap, timer, *due_at, now)
        }
        TimerKind::Escalate { tier } => {
            let open = matches!(state, State::Alerted | State::Escalated);
            if !open || snap.workflow.tier != Some(*tier) {
                return Ok(settle);
            }
            escalate(deps, snap, *tier, now)
        }
        _ if state.is_terminal() => return Ok(settle),
        TimerKind::Supersede {
            by_workflow,
            by_revision,
        } => end(
            snap,
            Event::Superseded {
                by_workflow: by_workflow.clone(),
                by_revision: *by_revision,
            },
            now,
        ),
        TimerKind::Cancel { reason } => end(
            snap,
            Event::Cancelled {
                reason: reason.clone(),
            },
            now,
        ),
    };
    Ok(Decision::Commit(Box::new(plan)))
}

/// The response to the center is due soon, or overdue: the tier's rosters are told.
fn chase(
    deps: &Deps,
    snap: &WorkflowSnapshot,
    timer: &TimerRecord,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Plan {
    let tier = snap.workflow.tier.unwrap_or(0);
    let recipients = deps
        .config
        .escalation
        .at_tier(urgent(snap), tier, now)
        .recipients;
    let event = if matches!(timer.kind, TimerKind::DueSoon { .. }) {
        Event::DueSoon { due_at, recipients }
    } else {
        Event::Overdue { due_at, recipients }
    };
    Plan {
        events: vec![(event, SYSTEM.to_owned())],
        timers: vec![TimerChange::Remove(timer.id.clone())],
        ..Plan::default()
    }
}

/// Nobody acknowledged in time: the next tier, with its own deadline.
fn escalate(deps: &Deps, snap: &WorkflowSnapshot, tier: u32, now: DateTime<Utc>) -> Plan {
    let step = deps.config.escalation.escalate(urgent(snap), tier, now);
    // The workflow says the alert is waiting; an alert row that disagrees is kept as it is (and
    // said so) rather than forced, and the workflow still escalates.
    let alert = snap.alert.as_ref().and_then(|a| match a.escalate(&step, now) {
        Ok(next) => Some(next),
        Err(e) => {
            tracing::warn!(workflow_id = %snap.id, error = %e, "alert out of step with its workflow");
            None
        }
    });
    let mut plan = Plan {
        alert,
        ..Plan::default()
    };
    plan.timers.push(TimerChange::Add(escalation_timer(
        &snap.id,
        step.tier,
        step.deadline,
    )));
    plan.events.push((
        Event::Escalated {
            tier: step.tier,
            ack_deadline: step.deadline,
            recipients: step.recipients,
        },
        SYSTEM.to_owned(),
    ));
    plan
}

/// Ends an unfinished workflow by a later revision or a cancel notice.
fn end(snap: &WorkflowSnapshot, event: Event, now: DateTime<Utc>) -> Plan {
    let mut plan = ending(snap, now);
    plan.events.push((event, SYSTEM.to_owned()));
    plan
}

/// A plan that ends the workflow without an officer: timers go, an open alert closes.
fn ending(snap: &WorkflowSnapshot, now: DateTime<Utc>) -> Plan {
    let mut plan = Plan::default();
    plan.timers.push(TimerChange::RemoveAll);
    plan.alert = snap.alert.as_ref().and_then(|a| a.close(now));
    plan
}

fn on_command(
    deps: &Deps,
    snap: &WorkflowSnapshot,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Decision, StepError> {
    let plan = match command {
        Command::Acknowledge { by, note, via } => {
            match acknowledge(snap, by, note.as_deref(), via.as_deref(), now)? {
                Some(plan) => plan,
                None => return Ok(Decision::Nothing),
            }
        }
        Command::Resolve {
            by,
            disposition,
            note,
        } => resolve(snap, by, *disposition, note.as_deref(), now)?,
        Command::Cancel { by, reason } => {
            let event = Event::Cancelled {
                reason: reason.clone(),
            };
            snap.workflow.apply(&event)?;
            let mut plan = ending(snap, now);
            plan.events.push((event, by.clone()));
            plan
        }
        Command::Retry { by } => retry(deps, snap, by, now)?,
        // Planned in `decide`, which can read the center's response API and investigations.
        Command::Respond { .. } | Command::Investigate { .. } => return Ok(Decision::Nothing),
    };
    Ok(Decision::Commit(Box::new(plan)))
}

/// `None` when the same person acknowledges again (nothing to do).
fn acknowledge(
    snap: &WorkflowSnapshot,
    by: &str,
    note: Option<&str>,
    via: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<Plan>, StepError> {
    let wf = &snap.workflow;
    if wf.state == State::Acknowledged {
        return match wf.acknowledged_by.as_deref() {
            Some(who) if who == by => Ok(None),
            other => Err(StepError::AlreadyAcknowledged {
                by: other.unwrap_or("someone else").to_owned(),
            }),
        };
    }
    let event = Event::Acknowledged {
        by: by.to_owned(),
        note: note.map(str::to_owned),
        via: via.map(str::to_owned),
    };
    wf.apply(&event)?;
    let mut plan = Plan::default();
    plan.events.push((event, by.to_owned()));
    plan.timers.push(TimerChange::RemoveEscalations);
    plan.alert = snap
        .alert
        .as_ref()
        .map(|a| a.acknowledge(by, note, now))
        .transpose()?;
    Ok(Some(plan))
}

/// Resolves the alert. An alert nobody acknowledged is first acknowledged by the same person,
/// so the trail and the alert say who took it before it was closed.
fn resolve(
    snap: &WorkflowSnapshot,
    by: &str,
    disposition: Disposition,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Plan, StepError> {
    let mut plan = Plan::default();
    let mut wf = snap.workflow.clone();
    let mut alert = snap.alert.clone();
    if matches!(wf.state, State::Alerted | State::Escalated) {
        let ack = Event::Acknowledged {
            by: by.to_owned(),
            note: None,
            via: Some("resolve".to_owned()),
        };
        wf = wf.apply(&ack)?;
        alert = alert.map(|a| a.acknowledge(by, None, now)).transpose()?;
        plan.events.push((ack, by.to_owned()));
    }
    let event = Event::Resolved {
        by: by.to_owned(),
        disposition,
        note: note.map(str::to_owned),
    };
    wf.apply(&event)?;
    plan.events.push((event, by.to_owned()));
    plan.timers.push(TimerChange::RemoveAll);
    plan.alert = alert
        .as_ref()
        .map(|a| a.resolve(by, disposition, note, now))
        .transpose()?;
    Ok(plan)
}

/// A failed workflow resumes; one that failed with an alert open gets its escalation clock
/// back.
fn retry(
    deps: &Deps,
    snap: &WorkflowSnapshot,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Plan, StepError> {
    let event = Event::Retried { by: by.to_owned() };
    let resumed = snap.workflow.apply(&event)?;
    let mut plan = Plan::default();
    plan.events.push((event, by.to_owned()));
    if matches!(resumed.state, State::Alerted | State::Escalated) {
        let tier = resumed.tier.unwrap_or(0);
        let step = deps.config.escalation.at_tier(urgent(snap), tier, now);
        plan.timers.push(TimerChange::Add(escalation_timer(
            &snap.id,
            step.tier,
            step.deadline,
        )));
        plan.alert = snap
            .alert
            .as_ref()
            .map(|a| a.rearm(step.deadline, now))
            .transpose()?;
    }
    Ok(plan)
}

fn fail(
    snap: &WorkflowSnapshot,
    error: &str,
    attempts: u32,
    failed_step: &Step,
    now: DateTime<Utc>,
) -> Result<Decision, StepError> {
    if snap.workflow.state.is_terminal() {
        return Ok(Decision::Nothing);
    }
    let mut plan = Plan::default();
    plan.events.push((
        Event::Failed {
            error: error.to_owned(),
            attempts,
        },
        SYSTEM.to_owned(),
    ));
    plan.timers.push(TimerChange::RemoveAll);
    plan.dead_letter = Some(DeadLetterRecord {
        id: uuid::Uuid::now_v7().to_string(),
        kind: DeadLetterKind::StepFailed,
        format: None,
        center: Some(snap.center.clone()),
        workflow_id: Some(snap.id.clone()),
        error: error.to_owned(),
        // The step is what an operator redrives; a letter without it could not be.
        payload: serde_json::to_vec(failed_step)
            .map_err(|e| StepError::Unserializable(e.to_string()))?,
        content_type: Some("application/json".into()),
        created_at: now,
    });
    Ok(Decision::Commit(Box::new(plan)))
}
