//! The rows an intake writes (ticket, workflow, first event, outbox message, excavator counter;
//! [`super::batch_ops::intake_many`] writes them), and the answer for a ticket that repeats or
//! contradicts what is stored.

use aegis_actors::records::{IntakeOutcome, IntakeRecord};
use aegis_workflows::lifecycle::Workflow;
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::convert;
use super::one::OneRow;
use super::rows::{EventRow, NewOutbox, NewTicket, NewWorkflow};
use super::schema::{tickets, workflows};
use super::time::to_db;
use super::writer::Tx;
use crate::with_tx;

/// The aggregate every workflow starts with, serialized once.
pub fn received_aggregate() -> Result<String, DieselError> {
    serde_json::to_string(&Workflow::received())
        .map_err(|e| DieselError::SerializationError(Box::new(e)))
}

pub fn ticket_row(r: &IntakeRecord) -> NewTicket<'_> {
    NewTicket {
        workflow_id: &r.workflow_id,
        center_id: r.center_id,
        ticket_number: &r.ticket.ticket_number,
        revision: i64::from(r.ticket.revision),
        delivery_id: &r.delivery_id,
        format: &r.format,
        content_hash: &r.content_hash,
        ticket_json: &r.ticket_json,
        raw_payload: &r.raw_payload,
        content_type: &r.content_type,
        excavator_key: r.excavator_key.as_deref(),
        received_at: to_db(r.received_at),
    }
}

pub fn workflow_row<'a>(r: &'a IntakeRecord, aggregate: &'a str) -> NewWorkflow<'a> {
    let at = to_db(r.received_at);
    NewWorkflow {
        id: &r.workflow_id,
        center_id: r.center_id,
        center: &r.center,
        ticket_number: &r.ticket.ticket_number,
        revision: i64::from(r.ticket.revision),
        state: r.first_event.to_state.as_str(),
        version: r.first_event.seq,
        aggregate,
        band: None,
        last_hash: &r.first_event.hash,
        attempts: 0,
        created_at: at,
        updated_at: at,
    }
}

pub fn event_row(r: &IntakeRecord) -> EventRow {
    convert::event_row(&r.workflow_id, &r.first_event)
}

pub fn outbox_row(r: &IntakeRecord) -> Option<NewOutbox> {
    r.outbox.as_ref().map(|o| NewOutbox {
        message_id: o.message_id.clone(),
        routing_key: o.routing_key.clone(),
        workflow_id: o.workflow_id.clone(),
        payload: o.payload.clone(),
        created_at: to_db(r.received_at),
    })
}

/// The excavator key a ticket counts towards: each ticket counts once, at its first revision.
pub fn counted_key(r: &IntakeRecord) -> Option<&str> {
    r.excavator_key
        .as_deref()
        .filter(|_| r.ticket.revision == 0)
}

/// The answer for a ticket whose insert hit a unique key: the same delivery or the same
/// content is a duplicate; the same ticket and revision with other content is a conflict.
pub fn existing(tx: &mut Tx<'_>, r: &IntakeRecord) -> Result<IntakeOutcome, DieselError> {
    let revision = i64::from(r.ticket.revision);
    with_tx!(tx, |c| {
        let by_delivery: Option<String> = tickets::table
            .filter(tickets::center_id.eq(r.center_id))
            .filter(tickets::delivery_id.eq(&r.delivery_id))
            .select(tickets::workflow_id)
            .one(c)?;
        let found = match by_delivery {
            Some(wf) => Some((wf, None)),
            None => tickets::table
                .filter(tickets::center_id.eq(r.center_id))
                .filter(tickets::ticket_number.eq(&r.ticket.ticket_number))
                .filter(tickets::revision.eq(revision))
                .select((tickets::workflow_id, tickets::content_hash))
                .one::<(String, String)>(c)?
                .map(|(wf, hash)| (wf, Some(hash))),
        };
        let Some((workflow_id, hash)) = found else {
            return Err(DieselError::NotFound);
        };
        if hash.is_some_and(|h| h != r.content_hash) {
            return Ok(IntakeOutcome::RevisionConflict { workflow_id });
        }
        let state: String = workflows::table
            .find(&workflow_id)
            .select(workflows::state)
            .the(c)?;
        let state =
            convert::state(&state).map_err(|e| DieselError::DeserializationError(Box::new(e)))?;
        Ok(IntakeOutcome::Duplicate { workflow_id, state })
    })
}
