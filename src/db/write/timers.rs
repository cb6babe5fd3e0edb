//! Durable timers: claimed under a lease so one node fires each, and deleted once they fired
//! without anything left to do.

use aegis_actors::records::TimerRecord;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use crate::db::convert;
use crate::db::rows::TimerRow;
use crate::db::schema::timers;
use crate::db::time::to_db;
use crate::db::tx::Tx;
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
