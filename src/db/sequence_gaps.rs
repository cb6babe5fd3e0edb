//! Sequence numbers of OneCall and Open Ticket deliveries, noted once per delivery in the
//! commit that stores its ticket, and the gaps in them
//! ([`aegis_workflows::sequence_gaps`]) per center and station over the last two weeks.

use std::collections::BTreeMap;

use aegis_actors::ports::StoreError;
use aegis_workflows::sequence_gaps::{self, Gap, Mark};
use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use serde::Serialize;

use super::schema::sequence_marks;
use super::time::{from_db, to_db};
use super::tx::Tx;
use super::{AnyConn, store_err};
use crate::{with_conn, with_tx};

/// How far back deliveries are compared.
const WINDOW_DAYS: i64 = 14;

/// Notes many deliveries' numbers in one statement per `chunk` (a batch of tickets does it in
/// its own commit; one statement per delivery cost the writer a quarter of its pace).
pub fn mark_many(
    tx: &mut Tx<'_>,
    marks: &[(&str, &str, &str, i64, DateTime<Utc>)],
    chunk: usize,
) -> Result<(), DieselError> {
    for part in marks.chunks(chunk.max(1)) {
        let rows: Vec<_> = part
            .iter()
            .map(|(center, delivery, station, sequence, at)| {
                (
                    sequence_marks::center.eq(*center),
                    sequence_marks::delivery_id.eq(*delivery),
                    sequence_marks::station.eq(*station),
                    sequence_marks::sequence.eq(*sequence),
                    sequence_marks::received_at.eq(to_db(*at)),
                )
            })
            .collect();
        with_tx!(tx, |c| diesel::insert_into(sequence_marks::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(())
}

/// A gap as operators read it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GapView {
    pub center: String,
    pub station: String,
    /// First and last sequence number never received.
    pub from: u64,
    pub to: u64,
    /// When the delivery after the gap arrived.
    pub since: DateTime<Utc>,
}

/// Centers with deliveries noted in the window (each gets a gap count, zero included).
pub fn centers(conn: &mut AnyConn, now: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
    let from = to_db(now - TimeDelta::days(WINDOW_DAYS));
    with_conn!(conn, |c| sequence_marks::table
        .filter(sequence_marks::received_at.ge(from))
        .select(sequence_marks::center)
        .distinct()
        .load(c))
    .map_err(store_err)
}

/// Every gap older than `grace`, by center and station.
pub fn gaps(
    conn: &mut AnyConn,
    now: DateTime<Utc>,
    grace: TimeDelta,
) -> Result<Vec<GapView>, StoreError> {
    let from = to_db(now - TimeDelta::days(WINDOW_DAYS));
    let rows: Vec<(String, String, i64, i64)> = with_conn!(conn, |c| sequence_marks::table
        .filter(sequence_marks::received_at.ge(from))
        .order((
            sequence_marks::center,
            sequence_marks::station,
            sequence_marks::received_at,
        ))
        .select((
            sequence_marks::center,
            sequence_marks::station,
            sequence_marks::sequence,
            sequence_marks::received_at,
        ))
        .load(c))
    .map_err(store_err)?;
    let mut by_station: BTreeMap<(String, String), Vec<Mark>> = BTreeMap::new();
    for (center, station, sequence, at) in rows {
        if let Ok(sequence) = u64::try_from(sequence) {
            by_station.entry((center, station)).or_default().push(Mark {
                sequence,
                at: from_db(at),
            });
        }
    }
    Ok(by_station
        .into_iter()
        .flat_map(|((center, station), marks)| {
            sequence_gaps::gaps(&marks, now, grace)
                .into_iter()
                .map(move |g: Gap| GapView {
                    center: center.clone(),
                    station: station.clone(),
                    from: g.from,
                    to: g.to,
                    since: g.since,
                })
        })
        .collect())
}
