//! A new ticket made durable: its ticket, workflow, first audit event, outbox message and
//! excavator counter, written a batch at a time with one multi-row statement per table
//! ([`intake_many`]), and the answer for a ticket that repeats or contradicts what is stored.

use std::collections::{BTreeMap, HashSet};

use aegis_actors::records::{IntakeOutcome, IntakeRecord};
use aegis_workflows::lifecycle::Workflow;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::upsert::excluded;

use super::CHUNK;
use crate::db::convert;
use crate::db::first_row::OneRow;
use crate::db::rows::{EventRow, NewOutbox, NewTicket, NewWorkflow};
use crate::db::schema::{events, excavators, outbox, tickets, workflows};
use crate::db::time::to_db;
use crate::db::tx::Tx;
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
        due_at: aegis_workflows::due::due_at(&r.ticket).map(to_db),
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

/// Writes a batch of new tickets; each gets `Accepted`, or what it repeats or contradicts.
pub fn intake_many(
    tx: &mut Tx<'_>,
    records: &[IntakeRecord],
) -> Result<Vec<IntakeOutcome>, DieselError> {
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let mut inserted: HashSet<String> = HashSet::with_capacity(records.len());
    for chunk in records.chunks(CHUNK) {
        let rows: Vec<_> = chunk.iter().map(ticket_row).collect();
        let ids: Vec<String> = with_tx!(tx, |c| diesel::insert_into(tickets::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .returning(tickets::workflow_id)
            .get_results(c))?;
        inserted.extend(ids);
    }
    let fresh: Vec<&IntakeRecord> = records
        .iter()
        .filter(|r| inserted.contains(&r.workflow_id))
        .collect();
    if !fresh.is_empty() {
        let aggregate = received_aggregate()?;
        let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
        for r in &fresh {
            if let Some(k) = counted_key(r) {
                *counts.entry(k).or_default() += 1;
            }
        }
        for chunk in fresh.chunks(CHUNK) {
            let wf: Vec<_> = chunk.iter().map(|r| workflow_row(r, &aggregate)).collect();
            let ev: Vec<EventRow> = chunk.iter().map(|r| event_row(r)).collect();
            let ob: Vec<NewOutbox> = chunk.iter().filter_map(|r| outbox_row(r)).collect();
            with_tx!(tx, |c| {
                diesel::insert_into(workflows::table)
                    .values(&wf)
                    .execute(c)?;
                diesel::insert_into(events::table).values(&ev).execute(c)?;
                if !ob.is_empty() {
                    diesel::insert_into(outbox::table).values(&ob).execute(c)?;
                }
                Ok::<_, DieselError>(())
            })?;
        }
        super::report_rows::insert(tx, &fresh)?;
        let counts: Vec<_> = counts
            .into_iter()
            .map(|(k, n)| {
                (
                    excavators::key.eq(k),
                    excavators::tickets.eq(n),
                    excavators::damages.eq(0i64),
                )
            })
            .collect();
        for chunk in counts.chunks(CHUNK) {
            with_tx!(tx, |c| diesel::insert_into(excavators::table)
                .values(chunk)
                .on_conflict(excavators::key)
                .do_update()
                .set(excavators::tickets.eq(excavators::tickets + excluded(excavators::tickets)))
                .execute(c))?;
        }
    }
    // Sequence numbers in the same commit: an extra commit per delivery would double what a
    // center waits for its answer.
    let marks: Vec<_> = records
        .iter()
        .filter_map(|r| {
            r.sequence.as_ref().map(|(station, n)| {
                (
                    r.center.as_str(),
                    r.delivery_id.as_str(),
                    station.as_str(),
                    *n,
                    r.received_at,
                )
            })
        })
        .collect();
    crate::db::sequence_gaps::mark_many(tx, &marks, CHUNK)?;
    records
        .iter()
        .map(|r| {
            if inserted.contains(&r.workflow_id) {
                Ok(IntakeOutcome::Accepted {
                    workflow_id: r.workflow_id.clone(),
                })
            } else {
                existing(tx, r)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::centers::{self, CenterFormat};
    use crate::db::tx::Tx;
    use crate::db::{AnyConn, Db, DbSettings, migrate};
    use aegis_actors::engine::{ChainTip, event_record, outbox_record};
    use aegis_actors::records::IntakeRecord;
    use aegis_workflows::audit::GENESIS;
    use aegis_workflows::lifecycle::{Event, State};
    use aegis_workflows::ticket::Ticket;
    use diesel::Connection;

    fn record(number: &str, delivery: &str, remarks: &str) -> IntakeRecord {
        let ticket = Ticket {
            ticket_number: number.into(),
            remarks: Some(remarks.into()),
            ..Ticket::default()
        };
        let (ticket_json, content_hash) = crate::formats::normalized(&ticket).unwrap();
        let id = uuid::Uuid::now_v7().to_string();
        let tip = ChainTip {
            workflow_id: &id,
            seq: 1,
            prev_hash: GENESIS,
        };
        let first = event_record(
            tip,
            None,
            State::Received,
            Event::Received,
            "center:T".into(),
            chrono::Utc::now(),
        )
        .unwrap();
        let outbox = outbox_record("T", number, 0, &id, &first, None).unwrap();
        IntakeRecord {
            workflow_id: id,
            center_id: 1,
            center: "T".into(),
            delivery_id: delivery.into(),
            format: "native".into(),
            ticket,
            content_hash,
            raw_payload: b"{}".to_vec(),
            content_type: "application/json".into(),
            excavator_key: Some("id:x".into()),
            received_at: first.at,
            first_event: first,
            outbox: Some(outbox),
            ticket_json,
            sequence: None,
        }
    }

    #[test]
    fn one_batch_sorts_new_tickets_repeats_and_conflicts() {
        let dir =
            std::env::temp_dir().join(format!("aegis-batch-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(DbSettings {
            url: dir.join("t.db").display().to_string(),
            ..DbSettings::default()
        })
        .unwrap();
        migrate::run(&db).unwrap();
        let mut conn = db.write().unwrap();
        centers::add(
            &mut conn,
            "T",
            CenterFormat::Native,
            "whsec_YWVnaXMtZGVtby1zZWNyZXQtMDEyMzQ1Njc4OWFiY2Q=",
        )
        .unwrap();
        let batch = vec![
            record("A", "d1", "x"),
            record("B", "d2", "x"),
            record("A", "d1", "x"),  // same delivery
            record("A", "d9", "x"),  // same content, new delivery
            record("A", "d10", "y"), // same ticket and revision, other content
        ];
        let AnyConn::Sqlite(c) = &mut conn else {
            unreachable!()
        };
        let out = c
            .transaction(|c| intake_many(&mut Tx::Sqlite(c), &batch))
            .unwrap();
        let a = batch[0].workflow_id.clone();
        assert_eq!(
            out[0],
            IntakeOutcome::Accepted {
                workflow_id: a.clone()
            }
        );
        assert!(matches!(&out[1], IntakeOutcome::Accepted { .. }));
        assert_eq!(
            out[2],
            IntakeOutcome::Duplicate {
                workflow_id: a.clone(),
                state: State::Received
            }
        );
        assert_eq!(
            out[3],
            IntakeOutcome::Duplicate {
                workflow_id: a.clone(),
                state: State::Received
            }
        );
        assert_eq!(out[4], IntakeOutcome::RevisionConflict { workflow_id: a });
        let tickets: i64 = tickets::table.count().get_result(&mut **c).unwrap();
        let counted: i64 = excavators::table
            .select(excavators::tickets)
            .first(&mut **c)
            .unwrap();
        assert_eq!(
            (tickets, counted),
            (2, 2),
            "repeats write nothing and count nothing"
        );
        drop(conn);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
