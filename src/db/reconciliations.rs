//! Daily summary reconciliations: what a center says it sent against what was received —
//! the tickets received from a center (ever, and within a day), and each result kept and
//! listed for operators.

use std::collections::BTreeSet;

use aegis_actors::ports::StoreError;
use aegis_workflows::daily_summary::{Reconciliation, TicketRef};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use serde::Serialize;

use super::convert::corrupt;
use super::schema::{reconciliations, workflows};
use super::time::{from_db, to_db};
use super::tx::Tx;
use super::{AnyConn, store_err};
use crate::{with_conn, with_tx};

/// Tickets received from `center` among `numbers` (any day), and every ticket received from
/// it within `[from, until)`.
pub fn received(
    conn: &mut AnyConn,
    center: &str,
    numbers: &[String],
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<(BTreeSet<TicketRef>, BTreeSet<TicketRef>), StoreError> {
    let (from, until) = (to_db(from), to_db(until));
    type Rows = Vec<(String, i64)>;
    let (any, day): (Rows, Rows) = with_conn!(conn, |c| {
        let mut any = Vec::new();
        for chunk in numbers.chunks(500) {
            any.extend(
                workflows::table
                    .filter(workflows::center.eq(center))
                    .filter(workflows::ticket_number.eq_any(chunk))
                    .select((workflows::ticket_number, workflows::revision))
                    .load::<(String, i64)>(c)
                    .map_err(store_err)?,
            );
        }
        let day = workflows::table
            .filter(workflows::center.eq(center))
            .filter(workflows::created_at.ge(from))
            .filter(workflows::created_at.lt(until))
            .select((workflows::ticket_number, workflows::revision))
            .load::<(String, i64)>(c)
            .map_err(store_err)?;
        Ok::<_, StoreError>((any, day))
    })?;
    let refs = |rows: Rows| -> BTreeSet<TicketRef> {
        rows.into_iter()
            .filter_map(|(n, r)| {
                u32::try_from(r).ok().map(|revision| TicketRef {
                    ticket_number: n,
                    revision,
                })
            })
            .collect()
    };
    Ok((refs(any), refs(day)))
}

/// One reconciliation as operators read it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReconciliationView {
    pub id: String,
    pub center: String,
    pub station: String,
    /// The summary's day (`YYYY-MM-DD`, in `centers.timezone`).
    pub date: String,
    pub listed: i64,
    pub total: i64,
    #[schema(value_type = Vec<Object>)]
    pub missing: Vec<TicketRef>,
    #[schema(value_type = Vec<Object>)]
    pub unexpected: Vec<TicketRef>,
    pub count_mismatch: bool,
    pub created_at: DateTime<Utc>,
    /// Of `missing`, those still not received now (a late delivery clears one).
    #[schema(value_type = Vec<Object>)]
    pub still_missing: Vec<TicketRef>,
}

pub fn insert(
    tx: &mut Tx<'_>,
    id: &str,
    center: &str,
    station: &str,
    day: &str,
    r: &Reconciliation,
    at: DateTime<Utc>,
) -> Result<(), DieselError> {
    let json = |v: &Vec<TicketRef>| {
        serde_json::to_string(v).map_err(|e| DieselError::SerializationError(Box::new(e)))
    };
    let (missing, unexpected) = (json(&r.missing)?, json(&r.unexpected)?);
    with_tx!(tx, |c| {
        diesel::insert_into(reconciliations::table)
            .values((
                reconciliations::id.eq(id),
                reconciliations::center.eq(center),
                reconciliations::station.eq(station),
                reconciliations::day.eq(day),
                reconciliations::listed.eq(i64::try_from(r.listed).unwrap_or(i64::MAX)),
                reconciliations::total.eq(i64::from(r.total)),
                reconciliations::missing.eq(&missing),
                reconciliations::unexpected.eq(&unexpected),
                reconciliations::count_mismatch.eq(r.count_mismatch),
                reconciliations::created_at.eq(to_db(at)),
            ))
            .execute(c)
    })?;
    Ok(())
}

type Row = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
    String,
    bool,
    i64,
);

/// Results, newest first, optionally for one center and day; at most `limit`.
pub fn list(
    conn: &mut AnyConn,
    center: Option<&str>,
    day: Option<&str>,
    limit: i64,
) -> Result<Vec<ReconciliationView>, StoreError> {
    let rows: Vec<Row> = with_conn!(conn, |c| {
        let mut q = reconciliations::table
            .order((
                reconciliations::created_at.desc(),
                reconciliations::id.desc(),
            ))
            .limit(limit)
            .select((
                reconciliations::id,
                reconciliations::center,
                reconciliations::station,
                reconciliations::day,
                reconciliations::listed,
                reconciliations::total,
                reconciliations::missing,
                reconciliations::unexpected,
                reconciliations::count_mismatch,
                reconciliations::created_at,
            ))
            .into_boxed();
        if let Some(center) = center {
            q = q.filter(reconciliations::center.eq(center.to_owned()));
        }
        if let Some(day) = day {
            q = q.filter(reconciliations::day.eq(day.to_owned()));
        }
        q.load(c)
    })
    .map_err(store_err)?;
    rows.into_iter()
        .map(|r| {
            let missing: Vec<TicketRef> = serde_json::from_str(&r.6).map_err(corrupt)?;
            let numbers: Vec<String> = missing.iter().map(|m| m.ticket_number.clone()).collect();
            let arrived = if numbers.is_empty() {
                BTreeSet::new()
            } else {
                received(conn, &r.1, &numbers, from_db(0), from_db(0))?.0
            };
            let still_missing = missing
                .iter()
                .filter(|m| !arrived.contains(m))
                .cloned()
                .collect();
            Ok(ReconciliationView {
                id: r.0,
                center: r.1,
                station: r.2,
                date: r.3,
                listed: r.4,
                total: r.5,
                missing,
                unexpected: serde_json::from_str(&r.7).map_err(corrupt)?,
                count_mismatch: r.8,
                created_at: from_db(r.9),
                still_missing,
            })
        })
        .collect()
}

/// One reconciliation by id.
pub fn by_id(conn: &mut AnyConn, id: &str) -> Result<Option<ReconciliationView>, StoreError> {
    let center: Option<String> = with_conn!(conn, |c| reconciliations::table
        .find(id)
        .select(reconciliations::center)
        .first(c)
        .optional())
    .map_err(store_err)?;
    let Some(center) = center else {
        return Ok(None);
    };
    Ok(list(conn, Some(&center), None, 1_000)?
        .into_iter()
        .find(|r| r.id == id))
}

/// Per center, tickets its recent summaries list that have still not arrived (the gauge).
pub fn missing_now(conn: &mut AnyConn) -> Result<Vec<(String, usize)>, StoreError> {
    let mut by_center: std::collections::BTreeMap<String, BTreeSet<TicketRef>> =
        std::collections::BTreeMap::new();
    for r in list(conn, None, None, 200)? {
        by_center
            .entry(r.center)
            .or_default()
            .extend(r.still_missing);
    }
    Ok(by_center.into_iter().map(|(c, m)| (c, m.len())).collect())
}
