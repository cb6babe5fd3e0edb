//! Turns a plan into a commit: applies each event to the workflow (refusing illegal ones),
//! numbers and hashes them into the chain, and adds the outbox messages.

use aegis_workflows::audit::{self, Link};
use aegis_workflows::lifecycle::Event;
use chrono::{DateTime, Utc};

use super::plan::Plan;
use crate::ports::bus::MESSAGE_SCHEMA;
use crate::records::{EventRecord, OutboxRecord, TransitionCommit, WorkflowSnapshot};
use crate::step::StepError;

/// Routing key on the events exchange for an event.
pub fn routing_key(event: &Event) -> &'static str {
    match event {
        Event::Received => "ticket.received",
        Event::Validated { .. } => "ticket.validated",
        Event::Rejected { .. } => "ticket.rejected",
        Event::Screened { .. } => "ticket.screened",
        Event::Scored { .. } => "ticket.scored",
        Event::Cleared { .. } => "ticket.resolved",
        Event::AlertRaised { .. } => "alert.raised",
        Event::AutoResolved { .. } => "ticket.resolved",
        Event::Escalated { .. } => "alert.escalated",
        Event::Acknowledged { .. } => "alert.acknowledged",
        Event::Resolved { .. } => "alert.resolved",
        Event::Cancelled { .. } => "ticket.cancelled",
        Event::Superseded { .. } => "ticket.superseded",
        Event::Failed { .. } => "ticket.failed",
        Event::Retried { .. } => "ticket.retried",
        Event::NotificationSent { .. } => "notification.sent",
        Event::NotificationFailed { .. } => "notification.failed",
        Event::RecipientsUnreachable { .. } => "alert.unreachable",
        Event::ResponseRequested { .. } => "response.requested",
        Event::ResponsePosted { .. } => "response.posted",
        Event::DueSoon { .. } => "ticket.due_soon",
        Event::Overdue { .. } => "ticket.overdue",
        Event::ResponseFailed { .. } => "response.failed",
        Event::ResponseRejected { .. } => "response.rejected",
        Event::InvestigationOpened { .. } => "investigation.opened",
        Event::InvestigationChanged { .. } => "investigation.changed",
        Event::InvestigationClosed { .. } => "investigation.closed",
    }
}

/// Where the next event goes: its workflow, sequence number and predecessor's hash.
#[derive(Debug, Clone, Copy)]
pub struct ChainTip<'a> {
    pub workflow_id: &'a str,
    pub seq: i64,
    pub prev_hash: &'a str,
}

/// Hashes one event onto a chain.
pub fn event_record(
    tip: ChainTip<'_>,
    from: Option<aegis_workflows::State>,
    to: aegis_workflows::State,
    event: Event,
    principal: String,
    at: DateTime<Utc>,
) -> Result<EventRecord, serde_json::Error> {
    let ChainTip {
        workflow_id,
        seq,
        prev_hash,
    } = tip;
    let at = audit::stored_time(at);
    // The payload is what the hash covers: a stand-in would make the trail lie.
    let payload = serde_json::to_string(&event)?;
    let hash = audit::link_hash(
        prev_hash,
        &Link {
            workflow_id,
            seq,
            from_state: from.map(|s| s.as_str()),
            to_state: to.as_str(),
            event: event.kind(),
            principal: &principal,
            payload: &payload,
            at_micros: audit::to_micros(at),
        },
    );
    Ok(EventRecord {
        seq,
        from_state: from,
        to_state: to,
        event,
        principal,
        payload,
        at,
        prev_hash: prev_hash.to_owned(),
        hash,
    })
}

/// The outbox message announcing one event. The message id is the workflow id and sequence
/// number, so a consumer can de-duplicate redeliveries without a lookup table of its own.
pub fn outbox_record(
    snap_center: &str,
    ticket_number: &str,
    revision: u32,
    workflow_id: &str,
    e: &EventRecord,
    alert: Option<&crate::records::Alert>,
) -> Result<OutboxRecord, serde_json::Error> {
    #[derive(serde::Serialize)]
    struct Message<'a> {
        schema: u32,
        workflow_id: &'a str,
        center: &'a str,
        ticket_number: &'a str,
        revision: u32,
        seq: i64,
        from_state: Option<&'static str>,
        to_state: &'static str,
        event: &'a Event,
        principal: &'a str,
        at: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        alert: Option<&'a crate::records::Alert>,
    }
    // Only messages about alerts carry the alert; the rest stay small.
    let about_alert = matches!(
        e.event,
        Event::AlertRaised { .. }
            | Event::Escalated { .. }
            | Event::Acknowledged { .. }
            | Event::Resolved { .. }
            | Event::Cancelled { .. }
            | Event::Superseded { .. }
            | Event::Failed { .. }
            | Event::Retried { .. }
            | Event::RecipientsUnreachable { .. }
    );
    let payload = serde_json::to_string(&Message {
        schema: MESSAGE_SCHEMA,
        workflow_id,
        center: snap_center,
        ticket_number,
        revision,
        seq: e.seq,
        from_state: e.from_state.map(|s| s.as_str()),
        to_state: e.to_state.as_str(),
        event: &e.event,
        principal: &e.principal,
        at: e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        alert: alert.filter(|_| about_alert),
    })?;
    Ok(OutboxRecord {
        message_id: format!("{workflow_id}:{}", e.seq),
        routing_key: routing_key(&e.event).to_owned(),
        workflow_id: workflow_id.to_owned(),
        payload,
    })
}

pub(crate) fn commit(
    snap: &WorkflowSnapshot,
    plan: Plan,
    now: DateTime<Utc>,
    step: (&'static str, DateTime<Utc>),
) -> Result<TransitionCommit, StepError> {
    let mut wf = snap.workflow.clone();
    let mut prev = snap.last_hash.clone();
    let mut events = Vec::with_capacity(plan.events.len());
    for (seq, (event, principal)) in (snap.version + 1..).zip(plan.events) {
        let next = wf.apply(&event)?;
        let tip = ChainTip {
            workflow_id: &snap.id,
            seq,
            prev_hash: &prev,
        };
        let rec = event_record(tip, Some(wf.state), next.state, event, principal, now)
            .map_err(|e| StepError::Unserializable(e.to_string()))?;
        prev = rec.hash.clone();
        events.push(rec);
        wf = next;
    }
    let alert = plan.alert.or_else(|| snap.alert.clone());
    let outbox = events
        .iter()
        .map(|e| {
            outbox_record(
                &snap.center,
                &snap.ticket_number,
                snap.revision,
                &snap.id,
                e,
                alert.as_ref(),
            )
            .map_err(|e| StepError::Unserializable(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    Ok(TransitionCommit {
        workflow_id: snap.id.clone(),
        center: snap.center.clone(),
        ticket_number: snap.ticket_number.clone(),
        expected_version: snap.version,
        workflow: wf,
        events,
        score: plan.score,
        alert: alert.filter(|a| Some(a) != snap.alert.as_ref()),
        timers: plan.timers,
        outbox,
        dead_letter: plan.dead_letter,
        deliveries: plan.deliveries,
        delivery_update: plan.delivery_update,
        responses: plan.responses,
        response_update: plan.response_update,
        screening: plan.screening,
        investigation: plan.investigation,
        at: now,
        received_at: snap.created_at,
        step: step.0,
        step_started_at: step.1,
    })
}

/// Moves the snapshot past a commit that is durable.
pub(crate) fn advance(snap: &mut WorkflowSnapshot, commit: &TransitionCommit) {
    snap.version = commit.new_version();
    if let Some(last) = commit.events.last() {
        snap.last_hash = last.hash.clone();
    }
    snap.workflow = commit.workflow.clone();
    if commit.alert.is_some() {
        snap.alert = commit.alert.clone();
    }
}
