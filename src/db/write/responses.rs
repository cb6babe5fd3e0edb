//! Positive responses: rows written with the resolution (or operator's request) that decides
//! them, claimed under a lease for posting (`SKIP LOCKED` on PostgreSQL), and settled with the
//! audit event of each attempt — the same life as a notification delivery.

use aegis_actors::records::{DeliveryState, ResponseJob, ResponseRecord, ResponseUpdate};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::CHUNK;
use crate::db::rows::{NewResponse, ResponseRow};
use crate::db::schema::responses;
use crate::db::time::{from_db, to_db};
use crate::db::tx::Tx;
use crate::with_tx;

pub fn new_row(r: &ResponseRecord) -> NewResponse {
    let at = to_db(r.created_at);
    NewResponse {
        id: r.id.clone(),
        workflow_id: r.workflow_id.clone(),
        center: r.center.clone(),
        ticket_number: r.ticket_number.clone(),
        station: r.station.clone(),
        code: r.code.clone(),
        note: r.note.clone(),
        account: r.account.clone(),
        state: "pending",
        attempts: 0,
        next_at: at,
        created_at: at,
        updated_at: at,
    }
}

/// Inserts responses (inside a transition commit's transaction).
pub fn insert(tx: &mut Tx<'_>, rows: &[NewResponse]) -> Result<(), DieselError> {
    with_tx!(tx, |c| {
        for chunk in rows.chunks(CHUNK) {
            diesel::insert_into(responses::table)
                .values(chunk)
                .execute(c)?;
        }
        Ok(())
    })
}

/// The row's state for an attempt's outcome: `posted`, `rejected` or still `pending`.
fn state_name(s: DeliveryState) -> &'static str {
    match s {
        DeliveryState::Pending { .. } => "pending",
        DeliveryState::Sent => "posted",
        DeliveryState::Failed => "rejected",
    }
}

/// Settles one attempt (inside the commit that records its audit event), releasing the claim.
pub fn settle(tx: &mut Tx<'_>, u: &ResponseUpdate, at: DateTime<Utc>) -> Result<(), DieselError> {
    let next_at = match u.state {
        DeliveryState::Pending { next_at } => to_db(next_at),
        _ => to_db(at),
    };
    with_tx!(tx, |c| {
        diesel::update(responses::table.filter(responses::id.eq(&u.id)))
            .set((
                responses::state.eq(state_name(u.state)),
                responses::attempts.eq(i64::from(u.attempts)),
                responses::last_error.eq(u.error.as_deref()),
                responses::next_at.eq(next_at),
                responses::claimed_by.eq(None::<String>),
                responses::claimed_until.eq(None::<i64>),
                responses::updated_at.eq(to_db(at)),
            ))
            .execute(c)?;
        Ok(())
    })
}

/// Claims due pending responses, oldest due first.
pub fn claim(
    tx: &mut Tx<'_>,
    node: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<ResponseJob>, DieselError> {
    let rows = super::lease!(
        tx,
        responses,
        ResponseRow,
        |now| responses::state
            .eq("pending")
            .and(responses::next_at.le(now)),
        responses::next_at.asc(),
        (now, node, until, limit)
    );
    Ok(rows
        .into_iter()
        .map(|r| {
            let attempt = u32::try_from(r.attempts).unwrap_or(u32::MAX - 1) + 1;
            ResponseJob {
                attempt,
                record: ResponseRecord {
                    id: r.id,
                    workflow_id: r.workflow_id,
                    center: r.center,
                    ticket_number: r.ticket_number,
                    station: r.station,
                    code: r.code,
                    note: r.note,
                    account: r.account,
                    created_at: from_db(r.created_at),
                },
            }
        })
        .collect())
}
