//! What a step does to a workflow: the lifecycle and alert rules of `aegis-workflows` applied
//! to a snapshot, with the scorer and a few store reads for the facts they need. Nothing here
//! decides anything itself: it loads, applies the domain's transitions and plans the writes.

use aegis_workflows::features::{self, ExcavatorHistory};
use aegis_workflows::lifecycle::{Event, State};
use aegis_workflows::revision;
use aegis_workflows::validation;
use chrono::{DateTime, Utc};

use crate::deps::Deps;
use aegis_workflows::alert::{self, AlertDecision};

use crate::records::DeadLetterKind;
use crate::records::{
    Alert, DeadLetterRecord, SYSTEM, ScoreRecord, TimerChange, TimerKind, TimerRecord,
    WorkflowSnapshot,
};
use crate::step::{Command, Step, StepError};
use aegis_workflows::lifecycle::Disposition;

use super::plan::{Decision, Plan};

/// Who clears a ticket screened `clear` (contract §10).
pub(crate) const SCREENING: &str = "system:screening";

pub(crate) async fn decide(
    deps: &Deps,
    snap: &WorkflowSnapshot,
    step: &Step,
) -> Result<Decision, StepError> {
    let now = deps.clock.now();
    let decision = match step {
        Step::Drive => drive(deps, snap, now).await?,
        Step::Timer { timer } => on_timer(deps, snap, timer, now).await?,
        Step::Command {
            command: Command::Respond { by, code, note },
        } => {
            let mut plan = Plan::default();
            super::respond::explicit(deps, snap, &mut plan, by, code, note.as_deref(), now).await?;
            Decision::Commit(Box::new(plan))
        }
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

fn urgent(snap: &WorkflowSnapshot) -> bool {
    snap.ticket.kind.is_some_and(|k| k.is_urgent())
}

/// Validate → score → decide, as far as the workflow's state allows, in one commit.
async fn drive(
    deps: &Deps,
    snap: &WorkflowSnapshot,
    now: DateTime<Utc>,
) -> Result<Decision, StepError> {
    let mut plan = Plan::default();
    let mut state = snap.workflow.state;
    // The excavator's history, once read (validation reads it with the siblings).
    let mut context: Option<Option<ExcavatorHistory>> = None;
    if state == State::Received {
        let found = validation::validate(&snap.ticket);
        if found.rejects() {
            // Every problem goes in the trail, in the ticket's order, the warnings too: the
            // operator answering the center sees the whole ticket at once.
            let problems = validation::problems(&snap.ticket);
            plan.events
                .push((Event::Rejected { problems }, SYSTEM.to_owned()));
            return Ok(Decision::Commit(Box::new(plan)));
        }
        plan.events.push((
            Event::Validated {
                warnings: found.warnings,
            },
            SYSTEM.to_owned(),
        ));
        let ctx = deps
            .store
            .drive_context(
                &snap.center,
                &snap.ticket_number,
                &snap.id,
                snap.excavator_key.as_deref(),
            )
            .await?;
        context = Some(ctx.history);
        let siblings = ctx.siblings;
        let kind = snap
            .ticket
            .kind
            .unwrap_or(aegis_workflows::ticket::TicketType::Normal);
        let rev = revision::plan_after_validation(kind, snap.revision, &siblings);
        for target in &rev.supersede {
            plan.timers.push(TimerChange::Add(TimerRecord {
                id: uuid::Uuid::now_v7().to_string(),
                workflow_id: target.clone(),
                due_at: now,
                kind: TimerKind::Supersede {
                    by_workflow: snap.id.clone(),
                    by_revision: snap.revision,
                },
            }));
        }
        for target in &rev.cancel {
            plan.timers.push(TimerChange::Add(TimerRecord {
                id: uuid::Uuid::now_v7().to_string(),
                workflow_id: target.clone(),
                due_at: now,
                kind: TimerKind::Cancel {
                    reason: format!(
                        "cancel notice in revision {} of ticket {}",
                        snap.revision, snap.ticket_number
                    ),
                },
            }));
        }
        if let Some((by_workflow, by_revision)) = rev.superseded_by {
            plan.events.push((
                Event::Superseded {
                    by_workflow,
                    by_revision,
                },
                SYSTEM.to_owned(),
            ));
            return Ok(Decision::Commit(Box::new(plan)));
        }
        if rev.cancel_self {
            plan.events.push((
                Event::Cancelled {
                    reason: format!("this revision ({}) is a cancel notice", snap.revision),
                },
                SYSTEM.to_owned(),
            ));
            return Ok(Decision::Commit(Box::new(plan)));
        }
        state = State::Validated;
    }
    let mut band = snap.workflow.band;
    let mut probability = None;
    // What is buried there, before the risk is judged; only a screening recorded in this same
    // run may clear the ticket (one resumed after a failure goes to the band's rule instead).
    let mut screened = None;
    if state == State::Validated {
        let screening = deps.screener.screen(&snap.ticket);
        plan.events.push((
            Event::Screened {
                category: screening.category,
                unknown: screening.unknown,
                layers: screening.summary(),
            },
            SYSTEM.to_owned(),
        ));
        screened = Some(screening.category);
        let counts = match context {
            Some(h) => h,
            None => {
                deps.store
                    .drive_context(
                        &snap.center,
                        &snap.ticket_number,
                        &snap.id,
                        snap.excavator_key.as_deref(),
                    )
                    .await?
                    .history
            }
        };
        // The counters already include this ticket when it is a first revision.
        let own = u32::from(snap.revision == 0);
        let history = counts.map(|c| ExcavatorHistory {
            prior_tickets: c.prior_tickets.saturating_sub(own),
            prior_damages: c.prior_damages,
        });
        let fv = features::extract_screened(&snap.ticket, history, &screening);
        plan.screening = Some(screening);
        let scoring = deps
            .scorer
            .score(crate::ports::ScoreInput {
                ticket_number: snap.ticket_number.clone(),
                features: fv.clone(),
            })
            .await?;
        let b = deps.config.thresholds.band(scoring.probability);
        plan.events.push((
            Event::Scored {
                probability: scoring.probability,
                band: b,
                model_version: scoring.model_version.clone(),
            },
            SYSTEM.to_owned(),
        ));
        plan.score = Some(ScoreRecord {
            probability: scoring.probability,
            band: b,
            model_version: scoring.model_version,
            feature_schema: scoring.feature_schema,
            top_features: scoring.top_features,
            features: fv.0.to_vec(),
            scored_at: now,
        });
        band = Some(b);
        probability = Some(scoring.probability);
        state = State::Scored;
    }
    if state == State::Scored {
        let Some(band) = band else {
            return Err(StepError::Store(crate::ports::StoreError::Corrupt(
                "a scored workflow has no band".into(),
            )));
        };
        // A test ticket is never cleared for the center: clearing posts a response.
        if let Some(category) = screened.filter(|_| !snap.ticket.is_test)
            && deps
                .screener
                .auto_clear(&snap.center)
                .clears(category, snap.ticket.kind)
        {
            let layers = plan
                .screening
                .as_ref()
                .map(aegis_workflows::screening::Screening::versions)
                .unwrap_or_default();
            plan.events.push((
                Event::Cleared {
                    disposition: Disposition::NoConflict,
                    layers,
                },
                SCREENING.to_owned(),
            ));
            super::respond::for_resolution(
                deps,
                snap,
                &mut plan,
                &SCREENING.to_owned(),
                Disposition::NoConflict,
                Some("no facility of ours within the screening distance"),
                now,
            )
            .await?;
            return Ok(Decision::Commit(Box::new(plan)));
        }
        let facts = alert::AlertFacts {
            probability,
            kind: snap.ticket.kind,
            screening: screened,
            is_test: snap.ticket.is_test,
        };
        match alert::decide(band, facts, deps.config.thresholds) {
            AlertDecision::Raise { rule } => {
                let step = deps.config.escalation.raise(urgent(snap), now);
                let raised = Alert::raise(
                    uuid::Uuid::now_v7().to_string(),
                    snap.id.clone(),
                    &step,
                    now,
                );
                plan.timers.push(TimerChange::Add(escalation_timer(
                    &snap.id,
                    step.tier,
                    step.deadline,
                )));
                plan.events.push((
                    Event::AlertRaised {
                        tier: step.tier,
                        ack_deadline: step.deadline,
                        recipients: step.recipients,
                        rule,
                    },
                    SYSTEM.to_owned(),
                ));
                plan.alert = Some(raised);
                plan.timers.extend(due_timers(deps, snap, now));
            }
            AlertDecision::Clear { reason } => {
                plan.events
                    .push((Event::AutoResolved { reason }, SYSTEM.to_owned()));
            }
        }
    }
    if plan.events.is_empty() {
        Ok(Decision::Nothing)
    } else {
        Ok(Decision::Commit(Box::new(plan)))
    }
}

/// The ticket's due-time timers, planned with its alert: a warning before the response is due
/// and the moment it is overdue.
fn due_timers(deps: &Deps, snap: &WorkflowSnapshot, now: DateTime<Utc>) -> Vec<TimerChange> {
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

fn escalation_timer(workflow_id: &str, tier: u32, due_at: DateTime<Utc>) -> TimerRecord {
    TimerRecord {
        id: uuid::Uuid::now_v7().to_string(),
        workflow_id: workflow_id.to_owned(),
        due_at,
        kind: TimerKind::Escalate { tier },
    }
}

async fn on_timer(
    deps: &Deps,
    snap: &WorkflowSnapshot,
    timer: &TimerRecord,
    now: DateTime<Utc>,
) -> Result<Decision, StepError> {
    let state = snap.workflow.state;
    let settle = Decision::Settle(vec![timer.id.clone()]);
    if let TimerKind::DueSoon { due_at } | TimerKind::Overdue { due_at } = &timer.kind {
        // Only a ticket whose alert is open and whose center has no answer yet is chased.
        if !state.has_open_alert() || deps.store.response_posted(&snap.id).await? {
            return Ok(settle);
        }
        let tier = snap.workflow.tier.unwrap_or(0);
        let recipients = deps
            .config
            .escalation
            .at_tier(urgent(snap), tier, now)
            .recipients;
        let due_at = *due_at;
        let event = if matches!(timer.kind, TimerKind::DueSoon { .. }) {
            Event::DueSoon { due_at, recipients }
        } else {
            Event::Overdue { due_at, recipients }
        };
        let plan = Plan {
            events: vec![(event, SYSTEM.to_owned())],
            timers: vec![TimerChange::Remove(timer.id.clone())],
            ..Plan::default()
        };
        return Ok(Decision::Commit(Box::new(plan)));
    }
    Ok(match &timer.kind {
        TimerKind::Escalate { tier } => {
            let open = matches!(state, State::Alerted | State::Escalated);
            if !open || snap.workflow.tier != Some(*tier) {
                return Ok(settle);
            }
            let step = deps.config.escalation.escalate(urgent(snap), *tier, now);
            // The workflow says the alert is waiting; an alert row that disagrees is kept as it
            // is (and said so) rather than forced, and the workflow still escalates.
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
            Decision::Commit(Box::new(plan))
        }
        TimerKind::Supersede {
            by_workflow,
            by_revision,
        } => {
            if state.is_terminal() {
                return Ok(settle);
            }
            let mut plan = ending(snap, now);
            plan.events.push((
                Event::Superseded {
                    by_workflow: by_workflow.clone(),
                    by_revision: *by_revision,
                },
                SYSTEM.to_owned(),
            ));
            Decision::Commit(Box::new(plan))
        }
        TimerKind::Cancel { reason } => {
            if state.is_terminal() {
                return Ok(settle);
            }
            let mut plan = ending(snap, now);
            plan.events.push((
                Event::Cancelled {
                    reason: reason.clone(),
                },
                SYSTEM.to_owned(),
            ));
            Decision::Commit(Box::new(plan))
        }
        // Handled above.
        TimerKind::DueSoon { .. } | TimerKind::Overdue { .. } => settle,
    })
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
    let wf = &snap.workflow;
    match command {
        Command::Acknowledge { by, note, via } => {
            if wf.state == State::Acknowledged {
                return match wf.acknowledged_by.as_deref() {
                    Some(who) if who == by => Ok(Decision::Nothing),
                    other => Err(StepError::AlreadyAcknowledged {
                        by: other.unwrap_or("someone else").to_owned(),
                    }),
                };
            }
            let event = Event::Acknowledged {
                by: by.clone(),
                note: note.clone(),
                via: via.clone(),
            };
            wf.apply(&event)?;
            let mut plan = Plan::default();
            plan.events.push((event, by.clone()));
            plan.timers.push(TimerChange::RemoveEscalations);
            plan.alert = snap
                .alert
                .as_ref()
                .map(|a| a.acknowledge(by, note.as_deref(), now))
                .transpose()?;
            Ok(Decision::Commit(Box::new(plan)))
        }
        Command::Resolve {
            by,
            disposition,
            note,
        } => {
            let event = Event::Resolved {
                by: by.clone(),
                disposition: *disposition,
                note: note.clone(),
            };
            wf.apply(&event)?;
            let mut plan = Plan::default();
            plan.events.push((event, by.clone()));
            plan.timers.push(TimerChange::RemoveAll);
            plan.alert = snap
                .alert
                .as_ref()
                .map(|a| a.resolve(by, *disposition, note.as_deref(), now))
                .transpose()?;
            Ok(Decision::Commit(Box::new(plan)))
        }
        Command::Cancel { by, reason } => {
            let event = Event::Cancelled {
                reason: reason.clone(),
            };
            wf.apply(&event)?;
            let mut plan = ending(snap, now);
            plan.events.push((event, by.clone()));
            Ok(Decision::Commit(Box::new(plan)))
        }
        Command::Retry { by } => {
            let event = Event::Retried { by: by.clone() };
            let resumed = wf.apply(&event)?;
            let mut plan = Plan::default();
            plan.events.push((event, by.clone()));
            // A workflow that failed with an alert open gets its escalation clock back.
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
            Ok(Decision::Commit(Box::new(plan)))
        }
        // Planned in `decide`, which can read the center's response API.
        Command::Respond { .. } => Ok(Decision::Nothing),
    }
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
