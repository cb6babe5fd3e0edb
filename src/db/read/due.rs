//! Reading due times (contract §9): tickets without a posted response whose answer to the
//! center is due within a window (overdue first), and the counts behind the gauges — tickets
//! with an open alert due soon or overdue.

use std::collections::HashMap;

use aegis_actors::ports::StoreError;
use chrono::{DateTime, TimeDelta, Utc};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{alerts, responses, tickets, workflows};
use crate::db::time::{from_db, to_db};
use crate::db::{AnyConn, store_err};
use crate::with_conn;

/// How far back an unanswered ticket is still listed as overdue.
const LOOKBACK_DAYS: i64 = 7;

/// Workflow states that need no answer any more.
const ENDED: [&str; 3] = ["cancelled", "superseded", "rejected"];

const OPEN_ALERT: [&str; 3] = ["alerted", "escalated", "acknowledged"];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DueItem {
    pub workflow_id: String,
    pub center: String,
    pub ticket_number: String,
    pub revision: i64,
    pub state: String,
    pub due_at: DateTime<Utc>,
    pub overdue: bool,
    /// The alert's state, when the ticket has one.
    pub alert_state: Option<String>,
}

type Row = (String, String, String, i64, String, Option<i64>);

/// Tickets without a posted response due before `now + within` (and not more than a week
/// overdue), earliest first, at most `limit`.
pub fn due_within(
    conn: &mut AnyConn,
    now: DateTime<Utc>,
    within: TimeDelta,
    limit: i64,
) -> Result<Vec<DueItem>, StoreError> {
    let (from, until) = (
        to_db(now - TimeDelta::days(LOOKBACK_DAYS)),
        to_db(now + within),
    );
    let (rows, alert_states): (Vec<Row>, Vec<(String, String)>) = with_conn!(conn, |c| {
        let rows: Vec<Row> = tickets::table
            .inner_join(workflows::table.on(workflows::id.eq(tickets::workflow_id)))
            .filter(tickets::due_at.ge(from))
            .filter(tickets::due_at.le(until))
            .filter(workflows::state.ne_all(ENDED))
            .filter(not(exists(
                responses::table
                    .filter(responses::workflow_id.eq(workflows::id))
                    .filter(responses::state.eq("posted")),
            )))
            .order(tickets::due_at.asc())
            .limit(limit)
            .select((
                workflows::id,
                workflows::center,
                workflows::ticket_number,
                workflows::revision,
                workflows::state,
                tickets::due_at,
            ))
            .load(c)
            .map_err(store_err)?;
        let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        let states = alerts::table
            .filter(alerts::workflow_id.eq_any(&ids))
            .select((alerts::workflow_id, alerts::state))
            .load(c)
            .map_err(store_err)?;
        Ok::<_, StoreError>((rows, states))
    })?;
    let alert_states: HashMap<String, String> = alert_states.into_iter().collect();
    Ok(rows
        .into_iter()
        .filter_map(|(id, center, ticket_number, revision, state, due)| {
            let due_at = from_db(due?);
            Some(DueItem {
                alert_state: alert_states.get(&id).cloned(),
                workflow_id: id,
                center,
                ticket_number,
                revision,
                state,
                overdue: due_at <= now,
                due_at,
            })
        })
        .collect())
}

/// Tickets with an open alert and no posted response: (due within `warn`, overdue).
pub fn open_alert_counts(
    conn: &mut AnyConn,
    now: DateTime<Utc>,
    warn: TimeDelta,
) -> Result<(i64, i64), StoreError> {
    let (now_db, soon) = (to_db(now), to_db(now + warn));
    with_conn!(conn, |c| {
        let unanswered = || {
            tickets::table
                .inner_join(workflows::table.on(workflows::id.eq(tickets::workflow_id)))
                .filter(workflows::state.eq_any(OPEN_ALERT))
                .filter(not(exists(
                    responses::table
                        .filter(responses::workflow_id.eq(workflows::id))
                        .filter(responses::state.eq("posted")),
                )))
        };
        let due_soon: i64 = unanswered()
            .filter(tickets::due_at.gt(now_db))
            .filter(tickets::due_at.le(soon))
            .count()
            .get_result(c)
            .map_err(store_err)?;
        let overdue: i64 = unanswered()
            .filter(tickets::due_at.le(now_db))
            .count()
            .get_result(c)
            .map_err(store_err)?;
        Ok((due_soon, overdue))
    })
}
