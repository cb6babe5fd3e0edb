//! The transactional outbox: messages claimed under a lease for publishing, and marked sent
//! once the broker confirmed them.

use aegis_actors::records::{OutboxRecord, OutboxRow};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use crate::db::rows::OutboxRowDb;
use crate::db::schema::outbox;
use crate::db::time::to_db;
use crate::db::tx::Tx;
use crate::with_tx;

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
