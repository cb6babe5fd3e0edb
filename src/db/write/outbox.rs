//! The transactional outbox: messages claimed under a lease for publishing, and marked sent
//! once the broker confirmed them.

use aegis_actors::records::{OutboxRecord, OutboxRow};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use crate::db::rows::OutboxRowDb;
use crate::db::schema::outbox;
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
    let rows = super::lease!(
        tx,
        outbox,
        OutboxRowDb,
        outbox::id.asc(),
        (now, node, until, limit)
    );
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
