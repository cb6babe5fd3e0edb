//! Damage outcomes: what happened at an excavation, reported after the fact. They are the labels
//! `aegis train` learns from, and a damage counts against the excavator's history.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::one::OneRow;
use diesel::result::Error as DieselError;
use serde::Serialize;

use super::schema::{excavators, outcomes, tickets, workflows};
use super::time::{from_db, to_db};
use super::writer::Tx;
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

/// Records an outcome against the ticket's latest revision; `None` when no such ticket exists.
pub fn record(
    tx: &mut Tx<'_>,
    o: &NewOutcome,
    now: DateTime<Utc>,
) -> Result<Option<OutcomeRecord>, DieselError> {
    let id = uuid::Uuid::now_v7().to_string();
    with_tx!(tx, |c| {
        let found: Option<(String, Option<String>)> = workflows::table
            .inner_join(tickets::table.on(tickets::workflow_id.eq(workflows::id)))
            .filter(workflows::center.eq(&o.center))
            .filter(workflows::ticket_number.eq(&o.ticket_number))
            .order(workflows::revision.desc())
            .select((workflows::id, tickets::excavator_key))
            .one(c)?;
        let Some((workflow_id, key)) = found else {
            return Ok(None);
        };
        diesel::insert_into(outcomes::table)
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
            ))
            .execute(c)?;
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
        Ok(Some(OutcomeRecord {
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
