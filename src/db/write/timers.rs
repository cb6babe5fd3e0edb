//! Durable timers: claimed under a lease so one node fires each, and deleted once they fired
//! without anything left to do.

use aegis_actors::records::TimerRecord;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use crate::db::convert;
use crate::db::rows::TimerRow;
use crate::db::schema::timers;
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
    let rows = super::lease!(
        tx,
        timers,
        TimerRow,
        |now| timers::due_at.le(now),
        timers::due_at.asc(),
        (now, node, until, limit)
    );
    rows.iter()
        .map(|r| convert::timer_record(r).map_err(de_err))
        .collect()
}
