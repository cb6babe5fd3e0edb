//! The intake write: a received ticket becomes durable (ticket, workflow, first event, outbox
//! message, excavator counter) unless it repeats or contradicts what is stored.

use aegis_actors::records::{IntakeOutcome, IntakeRecord};
use aegis_workflows::lifecycle::Workflow;
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::convert;
use super::rows::{NewOutbox, NewTicket, NewWorkflow};
use super::schema::{events, excavators, outbox, tickets, workflows};
use super::time::to_db;
use super::writer::Tx;
use crate::with_tx;

pub fn intake(tx: &mut Tx<'_>, r: &IntakeRecord) -> Result<IntakeOutcome, DieselError> {
    let revision = i64::from(r.ticket.revision);
    let ticket_json = serde_json::to_string(&r.ticket)
        .map_err(|e| DieselError::SerializationError(Box::new(e)))?;
    let aggregate = serde_json::to_string(&Workflow::received())
        .map_err(|e| DieselError::SerializationError(Box::new(e)))?;
    let at = to_db(r.received_at);
    with_tx!(tx, |c| {
        let by_delivery: Option<String> = tickets::table
            .filter(tickets::center_id.eq(r.center_id))
            .filter(tickets::delivery_id.eq(&r.delivery_id))
            .select(tickets::workflow_id)
            .first(c)
            .optional()?;
        let existing = match by_delivery {
            Some(wf) => Some((wf, None)),
            None => tickets::table
                .filter(tickets::center_id.eq(r.center_id))
                .filter(tickets::ticket_number.eq(&r.ticket.ticket_number))
                .filter(tickets::revision.eq(revision))
                .select((tickets::workflow_id, tickets::content_hash))
                .first::<(String, String)>(c)
                .optional()?
                .map(|(wf, hash)| (wf, Some(hash))),
        };
        if let Some((workflow_id, hash)) = existing {
            if hash.is_some_and(|h| h != r.content_hash) {
                return Ok(IntakeOutcome::RevisionConflict { workflow_id });
            }
            let state: String = workflows::table
                .find(&workflow_id)
                .select(workflows::state)
                .first(c)?;
            let state = convert::state(&state)
                .map_err(|e| DieselError::DeserializationError(Box::new(e)))?;
            return Ok(IntakeOutcome::Duplicate { workflow_id, state });
        }
        diesel::insert_into(tickets::table)
            .values(NewTicket {
                workflow_id: &r.workflow_id,
                center_id: r.center_id,
                ticket_number: &r.ticket.ticket_number,
                revision,
                delivery_id: &r.delivery_id,
                format: &r.format,
                content_hash: &r.content_hash,
                ticket_json: &ticket_json,
                raw_payload: &r.raw_payload,
                content_type: &r.content_type,
                excavator_key: r.excavator_key.as_deref(),
                received_at: at,
            })
            .execute(c)?;
        diesel::insert_into(workflows::table)
            .values(NewWorkflow {
                id: &r.workflow_id,
                center_id: r.center_id,
                center: &r.center,
                ticket_number: &r.ticket.ticket_number,
                revision,
                state: r.first_event.to_state.as_str(),
                version: r.first_event.seq,
                aggregate: &aggregate,
                band: None,
                last_hash: &r.first_event.hash,
                attempts: 0,
                created_at: at,
                updated_at: at,
            })
            .execute(c)?;
        diesel::insert_into(events::table)
            .values(convert::event_row(&r.workflow_id, &r.first_event))
            .execute(c)?;
        diesel::insert_into(outbox::table)
            .values(NewOutbox {
                message_id: r.outbox.message_id.clone(),
                routing_key: r.outbox.routing_key.clone(),
                workflow_id: r.outbox.workflow_id.clone(),
                payload: r.outbox.payload.to_string(),
                created_at: at,
            })
            .execute(c)?;
        // Each ticket counts once towards its excavator's history, at its first revision.
        if let Some(key) = r.excavator_key.as_deref()
            && r.ticket.revision == 0
        {
            diesel::insert_into(excavators::table)
                .values((
                    excavators::key.eq(key),
                    excavators::tickets.eq(1i64),
                    excavators::damages.eq(0i64),
                ))
                .on_conflict(excavators::key)
                .do_update()
                .set(excavators::tickets.eq(excavators::tickets + 1i64))
                .execute(c)?;
        }
        Ok(IntakeOutcome::Accepted {
            workflow_id: r.workflow_id.clone(),
        })
    })
}
