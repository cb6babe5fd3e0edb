//! The runtime's other writes: timer and outbox claims, settled timers, failure counts and dead
//! letters. Each runs inside a writer batch.

use aegis_actors::records::{DeadLetterRecord, OutboxRecord, OutboxRow, TimerRecord};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::one::OneRow;
use diesel::result::Error as DieselError;

use super::convert;
use super::rows::{OutboxRowDb, TimerRow};
use super::schema::{dead_letters, outbox, timers, workflows};
use super::time::to_db;
use super::writer::Tx;
use crate::with_tx;

fn de_err(e: aegis_actors::ports::StoreError) -> DieselError {
    DieselError::DeserializationError(Box::new(e))
}

pub fn settle_timers(tx: &mut Tx<'_>, ids: &[String]) -> Result<(), DieselError> {
    with_tx!(tx, |c| {
        diesel::delete(timers::table.filter(timers::id.eq_any(ids))).execute(c)?;
        Ok(())
    })
}

pub fn record_failure(
    tx: &mut Tx<'_>,
    workflow_id: &str,
    error: &str,
) -> Result<Option<i64>, DieselError> {
    with_tx!(tx, |c| {
        let n = diesel::update(workflows::table.find(workflow_id))
            .set((
                workflows::attempts.eq(workflows::attempts + 1i64),
                workflows::last_error.eq(error),
            ))
            .execute(c)?;
        if n == 0 {
            return Ok(None);
        }
        workflows::table
            .find(workflow_id)
            .select(workflows::attempts)
            .one(c)
    })
}

/// Keeps a dead letter; one whose id is already kept is the same letter again (ids of
/// replayable letters are derived from their content) and is not stored twice.
pub fn insert_dead_letter(tx: &mut Tx<'_>, d: &DeadLetterRecord) -> Result<(), DieselError> {
    let row = convert::dead_letter_row(d);
    with_tx!(tx, |c| {
        diesel::insert_into(dead_letters::table)
            .values(&row)
            .on_conflict_do_nothing()
            .execute(c)?;
        Ok(())
    })
}

/// Claims due, unclaimed (or lease-expired) timers. On PostgreSQL the candidate rows are
/// locked with `FOR UPDATE SKIP LOCKED`, so nodes claiming at once get disjoint sets.
pub fn claim_timers(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    node: &str,
    until: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<TimerRecord>, DieselError> {
    let (now, until) = (to_db(now), to_db(until));
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    macro_rules! due {
        () => {
            timers::table
                .filter(timers::due_at.le(now))
                .filter(
                    timers::claimed_until
                        .is_null()
                        .or(timers::claimed_until.lt(now)),
                )
                .order(timers::due_at.asc())
                .limit(limit)
                .select(TimerRow::as_select())
        };
    }
    let rows: Vec<TimerRow> = match tx {
        Tx::Sqlite(c) => due!().load(*c)?,
        Tx::Pg(c) => due!().for_update().skip_locked().load(*c)?,
    };
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    with_tx!(tx, |c| {
        diesel::update(timers::table.filter(timers::id.eq_any(&ids)))
            .set((timers::claimed_by.eq(node), timers::claimed_until.eq(until)))
            .execute(c)?;
        Ok::<(), DieselError>(())
    })?;
    rows.iter()
        .map(|r| convert::timer_record(r).map_err(de_err))
        .collect()
}

/// Claims unsent outbox rows in order, like [`claim_timers`].
pub fn claim_outbox(
    tx: &mut Tx<'_>,
    node: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<OutboxRow>, DieselError> {
    let (now, until) = (to_db(now), to_db(until));
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    macro_rules! pending {
        () => {
            outbox::table
                .filter(
                    outbox::claimed_until
                        .is_null()
                        .or(outbox::claimed_until.lt(now)),
                )
                .order(outbox::id.asc())
                .limit(limit)
                .select(OutboxRowDb::as_select())
        };
    }
    let rows: Vec<OutboxRowDb> = match tx {
        Tx::Sqlite(c) => pending!().load(*c)?,
        Tx::Pg(c) => pending!().for_update().skip_locked().load(*c)?,
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    with_tx!(tx, |c| {
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set((outbox::claimed_by.eq(node), outbox::claimed_until.eq(until)))
            .execute(c)?;
        Ok::<(), DieselError>(())
    })?;
    rows.into_iter()
        .map(|r| {
            let payload = r.payload;
            Ok(OutboxRow {
                id: r.id,
                record: OutboxRecord {
                    message_id: r.message_id,
                    routing_key: r.routing_key,
                    workflow_id: r.workflow_id,
                    payload,
                },
            })
        })
        .collect()
}

pub fn outbox_sent(tx: &mut Tx<'_>, ids: &[i64]) -> Result<(), DieselError> {
    with_tx!(tx, |c| {
        diesel::delete(outbox::table.filter(outbox::id.eq_any(ids))).execute(c)?;
        Ok(())
    })
}
