//! The runtime's writes: transitions guarded by compare-and-set, timer and outbox claims,
//! failure counts and dead letters. Each runs inside a writer batch.

use aegis_actors::records::{
    CommitOutcome, DeadLetterRecord, OutboxRecord, OutboxRow, TimerChange, TimerRecord,
    TransitionCommit,
};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::one::OneRow;
use diesel::result::Error as DieselError;

use super::convert;
use super::rows::{NewOutbox, OutboxRowDb, TimerRow};
use super::schema::{alerts, dead_letters, events, outbox, scores, timers, workflows};
use super::time::to_db;
use super::writer::Tx;
use crate::with_tx;

fn ser<T: serde::Serialize>(v: &T) -> Result<String, DieselError> {
    serde_json::to_string(v).map_err(|e| DieselError::SerializationError(Box::new(e)))
}

fn de_err(e: aegis_actors::ports::StoreError) -> DieselError {
    DieselError::DeserializationError(Box::new(e))
}

pub fn commit(tx: &mut Tx<'_>, c: &TransitionCommit) -> Result<CommitOutcome, DieselError> {
    let aggregate = ser(&c.workflow)?;
    let now = to_db(c.at);
    let last_hash = c.events.last().map(|e| e.hash.clone()).unwrap_or_default();
    let event_rows: Vec<_> = c
        .events
        .iter()
        .map(|e| convert::event_row(&c.workflow_id, e))
        .collect();
    let outbox_rows: Vec<NewOutbox> = c
        .outbox
        .iter()
        .map(|o: &OutboxRecord| NewOutbox {
            message_id: o.message_id.clone(),
            routing_key: o.routing_key.clone(),
            workflow_id: o.workflow_id.clone(),
            payload: o.payload.clone(),
            created_at: now,
        })
        .collect();
    let score = c
        .score
        .as_ref()
        .map(|s| convert::score_row(&c.workflow_id, s));
    let alert = c
        .alert
        .as_ref()
        .map(|a| convert::alert_row(a, &c.center, &c.ticket_number));
    let timer_adds: Vec<TimerRow> = c
        .timers
        .iter()
        .filter_map(|t| match t {
            TimerChange::Add(r) => Some(convert::timer_row(r)),
            _ => None,
        })
        .collect();
    let dead = c.dead_letter.as_ref().map(convert::dead_letter_row);
    with_tx!(tx, |conn| {
        if !c.events.is_empty() {
            let updated = diesel::update(
                workflows::table
                    .filter(workflows::id.eq(&c.workflow_id))
                    .filter(workflows::version.eq(c.expected_version)),
            )
            .set((
                workflows::state.eq(c.workflow.state.as_str()),
                workflows::version.eq(c.new_version()),
                workflows::aggregate.eq(&aggregate),
                workflows::band.eq(c.workflow.band.map(|b| b.as_str())),
                workflows::last_hash.eq(&last_hash),
                workflows::attempts.eq(0i64),
                workflows::last_error.eq(None::<String>),
                workflows::updated_at.eq(now),
            ))
            .execute(conn)?;
            if updated == 0 {
                return Ok(CommitOutcome::Conflict);
            }
            diesel::insert_into(events::table)
                .values(&event_rows)
                .execute(conn)?;
        }
        if let Some(s) = &score {
            diesel::insert_into(scores::table)
                .values(s)
                .on_conflict(scores::workflow_id)
                .do_update()
                .set(s)
                .execute(conn)?;
        }
        if let Some(a) = &alert {
            diesel::insert_into(alerts::table)
                .values(a)
                .on_conflict(alerts::id)
                .do_update()
                .set(a)
                .execute(conn)?;
        }
        for t in &c.timers {
            match t {
                TimerChange::Add(_) => {}
                TimerChange::Remove(id) => {
                    diesel::delete(timers::table.find(id)).execute(conn)?;
                }
                TimerChange::RemoveAll => {
                    diesel::delete(timers::table.filter(timers::workflow_id.eq(&c.workflow_id)))
                        .execute(conn)?;
                }
                TimerChange::RemoveEscalations => {
                    diesel::delete(
                        timers::table
                            .filter(timers::workflow_id.eq(&c.workflow_id))
                            .filter(timers::kind.eq("escalate")),
                    )
                    .execute(conn)?;
                }
            }
        }
        if !timer_adds.is_empty() {
            diesel::insert_into(timers::table)
                .values(&timer_adds)
                .execute(conn)?;
        }
        if !outbox_rows.is_empty() {
            diesel::insert_into(outbox::table)
                .values(&outbox_rows)
                .execute(conn)?;
        }
        if let Some(d) = &dead {
            diesel::insert_into(dead_letters::table)
                .values(d)
                .execute(conn)?;
        }
        Ok(CommitOutcome::Committed)
    })
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

pub fn insert_dead_letter(tx: &mut Tx<'_>, d: &DeadLetterRecord) -> Result<(), DieselError> {
    let row = convert::dead_letter_row(d);
    with_tx!(tx, |c| {
        diesel::insert_into(dead_letters::table)
            .values(&row)
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
