//! Notification deliveries: rows written with their alert change, claimed under a lease for
//! sending (`SKIP LOCKED` on PostgreSQL, so nodes never share one), and settled with the audit
//! event of each attempt. Acknowledgement links mark their delivery used.

use aegis_actors::records::{DeliveryJob, DeliveryRecord, DeliveryState, DeliveryUpdate, Subject};
use aegis_workflows::notification::Change;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::CHUNK;
use crate::db::rows::{DeliveryRow, NewDelivery};
use crate::db::schema::deliveries;
use crate::db::time::{from_db, to_db};
use crate::db::tx::Tx;
use crate::with_tx;

pub fn new_row(r: &DeliveryRecord) -> Result<NewDelivery, DieselError> {
    let channel = serde_json::to_string(&r.channel)
        .map_err(|e| DieselError::SerializationError(Box::new(e)))?;
    let at = to_db(r.created_at);
    let (alert_id, workflow_id, change, reconciliation_id) = match &r.subject {
        Subject::Alert {
            alert_id,
            workflow_id,
            change,
        } => (
            Some(alert_id.clone()),
            Some(workflow_id.clone()),
            Some(change.key()),
            None,
        ),
        Subject::MissingTickets { reconciliation_id } => {
            (None, None, None, Some(reconciliation_id.clone()))
        }
    };
    Ok(NewDelivery {
        id: r.id.clone(),
        subject: r.subject.kind(),
        alert_id,
        workflow_id,
        change,
        reconciliation_id,
        user_name: r.user.clone(),
        channel_kind: r.channel.kind(),
        channel,
        state: "pending",
        attempts: 0,
        next_at: at,
        created_at: at,
        updated_at: at,
    })
}

/// Inserts deliveries (inside a transition commit's transaction).
pub fn insert(conn: &mut Tx<'_>, rows: &[NewDelivery]) -> Result<(), DieselError> {
    with_tx!(conn, |c| {
        for chunk in rows.chunks(CHUNK) {
            diesel::insert_into(deliveries::table)
                .values(chunk)
                .execute(c)?;
        }
        Ok(())
    })
}

/// Settles one attempt (inside the commit that records its audit event). The claim is
/// released, so a delivery due again is claimed afresh when its time comes.
pub fn settle(tx: &mut Tx<'_>, u: &DeliveryUpdate, at: DateTime<Utc>) -> Result<(), DieselError> {
    let next_at = match u.state {
        DeliveryState::Pending { next_at } => Some(to_db(next_at)),
        _ => None,
    };
    with_tx!(tx, |c| {
        let target = deliveries::table.filter(deliveries::id.eq(&u.id));
        diesel::update(target)
            .set((
                deliveries::state.eq(u.state.as_str()),
                deliveries::attempts.eq(i64::from(u.attempts)),
                deliveries::last_error.eq(u.error.as_deref()),
                deliveries::claimed_by.eq(None::<String>),
                deliveries::claimed_until.eq(None::<i64>),
                deliveries::updated_at.eq(to_db(at)),
            ))
            .execute(c)?;
        if let Some(n) = next_at {
            diesel::update(deliveries::table.filter(deliveries::id.eq(&u.id)))
                .set(deliveries::next_at.eq(n))
                .execute(c)?;
        }
        Ok(())
    })
}

/// Claims due pending deliveries, oldest due first.
pub fn claim(
    tx: &mut Tx<'_>,
    node: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<DeliveryJob>, DieselError> {
    let rows = super::lease!(
        tx,
        deliveries,
        DeliveryRow,
        |now| deliveries::state
            .eq("pending")
            .and(deliveries::next_at.le(now)),
        deliveries::next_at.asc(),
        (now, node, until, limit)
    );
    rows.into_iter()
        .map(|r| {
            let attempt = u32::try_from(r.attempts).unwrap_or(u32::MAX - 1) + 1;
            Ok(DeliveryJob {
                record: record(r)?,
                attempt,
            })
        })
        .collect()
}

/// What a stored delivery is about; a row that names no subject it can be read as is corrupt.
pub fn subject(r: &DeliveryRow) -> Result<Subject, DieselError> {
    let corrupt =
        |what: &str| DieselError::DeserializationError(format!("delivery {}: {what}", r.id).into());
    match r.subject.as_str() {
        "alert" => {
            let change = r
                .change
                .as_deref()
                .and_then(Change::parse_key)
                .ok_or_else(|| corrupt("an alert delivery without a known change"))?;
            match (&r.alert_id, &r.workflow_id) {
                (Some(alert_id), Some(workflow_id)) => Ok(Subject::Alert {
                    alert_id: alert_id.clone(),
                    workflow_id: workflow_id.clone(),
                    change,
                }),
                _ => Err(corrupt("an alert delivery without its alert or workflow")),
            }
        }
        "missing_tickets" => r
            .reconciliation_id
            .clone()
            .map(|reconciliation_id| Subject::MissingTickets { reconciliation_id })
            .ok_or_else(|| corrupt("a missing-tickets delivery without its reconciliation")),
        other => Err(corrupt(&format!("unknown subject '{other}'"))),
    }
}

pub fn record(r: DeliveryRow) -> Result<DeliveryRecord, DieselError> {
    let channel = serde_json::from_str(&r.channel)
        .map_err(|e| DieselError::DeserializationError(Box::new(e)))?;
    Ok(DeliveryRecord {
        subject: subject(&r)?,
        id: r.id,
        user: r.user_name,
        channel,
        created_at: from_db(r.created_at),
    })
}

/// Marks a delivery's acknowledgement link used; `false` when it already was.
pub fn use_link(tx: &mut Tx<'_>, id: &str, at: DateTime<Utc>) -> Result<bool, DieselError> {
    with_tx!(tx, |c| {
        let n = diesel::update(
            deliveries::table
                .filter(deliveries::id.eq(id))
                .filter(deliveries::link_used_at.is_null()),
        )
        .set(deliveries::link_used_at.eq(to_db(at)))
        .execute(c)?;
        Ok(n == 1)
    })
}
