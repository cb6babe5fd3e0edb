//! Damage outcomes: what happened at an excavation, reported after the fact. They are the labels
//! `aegis train` learns from, and a damage counts against the excavator's history.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::first_row::OneRow;
use diesel::result::Error as DieselError;
use serde::Serialize;

use super::schema::{excavators, outcomes, tickets, workflows};
use super::time::{from_db, to_db};
use super::tx::Tx;
use crate::with_tx;

#[derive(Debug, Clone)]
pub struct NewOutcome {
    pub center: String,
    pub ticket_number: String,
    pub damage: bool,
    pub facility: Option<String>,
    pub reported_at: DateTime<Utc>,
    pub notes: Option<String>,
    pub recorded_by: String,
    /// The `webhook-id` of a signed report: a replay of it is recognised.
    pub delivery_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutcomeRecord {
    pub id: String,
    pub workflow_id: String,
    pub center: String,
    pub ticket_number: String,
    pub damage: bool,
    pub facility: Option<String>,
    pub reported_at: DateTime<Utc>,
    pub notes: Option<String>,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

/// What recording an outcome did.
#[derive(Debug, Clone)]
pub enum Recorded {
    New(OutcomeRecord),
    /// The same report was already recorded (a replay): nothing was counted again.
    Duplicate(OutcomeRecord),
    /// A report with the same delivery id, or for the same ticket revision and time, says
    /// something else.
    Conflict(OutcomeRecord),
    NoTicket,
}

type OutcomeRow = (
    String,
    Option<String>,
    String,
    String,
    bool,
    Option<String>,
    i64,
    Option<String>,
    String,
    i64,
);

fn to_record(r: OutcomeRow) -> OutcomeRecord {
    OutcomeRecord {
        id: r.0,
        // `record` always sets it; the column is nullable only for reports of unknown tickets
        // a future import might keep.
        workflow_id: r.1.unwrap_or_default(),
        center: r.2,
        ticket_number: r.3,
        damage: r.4,
        facility: r.5,
        reported_at: from_db(r.6),
        notes: r.7,
        recorded_by: r.8,
        created_at: from_db(r.9),
    }
}

/// Records an outcome against the ticket's latest revision, once: a report is the same when it
/// carries the same delivery id, or names the same ticket revision and time.
pub fn record(
    tx: &mut Tx<'_>,
    o: &NewOutcome,
    now: DateTime<Utc>,
) -> Result<Recorded, DieselError> {
    let id = uuid::Uuid::now_v7().to_string();
    with_tx!(tx, |c| {
        let found: Option<(String, i64, Option<String>)> = workflows::table
            .inner_join(tickets::table.on(tickets::workflow_id.eq(workflows::id)))
            .filter(workflows::center.eq(&o.center))
            .filter(workflows::ticket_number.eq(&o.ticket_number))
            .order(workflows::revision.desc())
            .select((workflows::id, workflows::revision, tickets::excavator_key))
            .one(c)?;
        let Some((workflow_id, revision, key)) = found else {
            return Ok(Recorded::NoTicket);
        };
        let inserted = diesel::insert_into(outcomes::table)
            .values((
                outcomes::id.eq(&id),
                outcomes::workflow_id.eq(Some(&workflow_id)),
                outcomes::center.eq(&o.center),
                outcomes::ticket_number.eq(&o.ticket_number),
                outcomes::damage.eq(o.damage),
                outcomes::facility.eq(o.facility.as_deref()),
                outcomes::reported_at.eq(to_db(o.reported_at)),
                outcomes::notes.eq(o.notes.as_deref()),
                outcomes::recorded_by.eq(&o.recorded_by),
                outcomes::created_at.eq(to_db(now)),
                outcomes::revision.eq(Some(revision)),
                outcomes::delivery_id.eq(o.delivery_id.as_deref()),
            ))
            .on_conflict_do_nothing()
            .execute(c)?;
        if inserted == 0 {
            let by_delivery = outcomes::delivery_id
                .eq(o.delivery_id.as_deref().unwrap_or(""))
                .and(outcomes::delivery_id.is_not_null());
            let by_report = outcomes::ticket_number
                .eq(&o.ticket_number)
                .and(outcomes::revision.eq(Some(revision)))
                .and(outcomes::reported_at.eq(to_db(o.reported_at)));
            let existing: OutcomeRow = outcomes::table
                .filter(outcomes::center.eq(&o.center))
                .filter(by_delivery.or(by_report))
                .select((
                    outcomes::id,
                    outcomes::workflow_id,
                    outcomes::center,
                    outcomes::ticket_number,
                    outcomes::damage,
                    outcomes::facility,
                    outcomes::reported_at,
                    outcomes::notes,
                    outcomes::recorded_by,
                    outcomes::created_at,
                ))
                .the(c)?;
            let same = existing.4 == o.damage
                && existing.5 == o.facility
                && existing.6 == to_db(o.reported_at)
                && existing.7 == o.notes;
            let existing = to_record(existing);
            return Ok(if same {
                Recorded::Duplicate(existing)
            } else {
                Recorded::Conflict(existing)
            });
        }
        if o.damage
            && let Some(key) = key
        {
            diesel::insert_into(excavators::table)
                .values((
                    excavators::key.eq(&key),
                    excavators::tickets.eq(0i64),
                    excavators::damages.eq(1i64),
                ))
                .on_conflict(excavators::key)
                .do_update()
                .set(excavators::damages.eq(excavators::damages + 1i64))
                .execute(c)?;
        }
        Ok(Recorded::New(OutcomeRecord {
            id: id.clone(),
            workflow_id,
            center: o.center.clone(),
            ticket_number: o.ticket_number.clone(),
            damage: o.damage,
            facility: o.facility.clone(),
            reported_at: from_db(to_db(o.reported_at)),
            notes: o.notes.clone(),
            recorded_by: o.recorded_by.clone(),
            created_at: from_db(to_db(now)),
        }))
    })
}
