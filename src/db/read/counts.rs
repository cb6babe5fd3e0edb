//! Counts for `/v1/admin/stats` and the database-derived gauges.

use aegis_actors::ports::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{alerts, workflows};
use crate::db::time::from_db;
use crate::db::{AnyConn, store_err};
use crate::with_conn;

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub workflows: std::collections::BTreeMap<String, i64>,
    pub alerts: std::collections::BTreeMap<String, i64>,
    /// Unacknowledged alerts past their deadline.
    pub alerts_overdue: i64,
    /// Dead letters neither redriven nor dismissed.
    pub dead_letters: i64,
    pub outbox_pending: i64,
    pub outbox_oldest: Option<DateTime<Utc>>,
    pub notifications: super::deliveries::NotificationStats,
    /// Positive responses to call centers by state (`pending`, `posted`, `rejected`).
    pub responses: std::collections::BTreeMap<String, i64>,
    /// Tickets by screening category (`conflict`, `close`, `clear`, `unknown`).
    pub screenings: std::collections::BTreeMap<String, i64>,
    /// Tickets cleared by screening, per UTC day, over the last two weeks (newest first; days
    /// without any are left out).
    pub cleared_per_day: Vec<DayCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DayCount {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub count: i64,
}

/// Days of clearing shown.
const CLEARED_DAYS: i64 = 14;
const DAY_MICROS: i64 = 86_400_000_000;

/// Tickets cleared by screening per UTC day since `CLEARED_DAYS` ago.
fn cleared_per_day(conn: &mut AnyConn, now: DateTime<Utc>) -> Result<Vec<DayCount>, StoreError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        day: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let today = crate::db::time::to_db(now).div_euclid(DAY_MICROS);
    let from = (today - CLEARED_DAYS + 1) * DAY_MICROS;
    // Both backends divide BIGINTs as integers; `from` is computed here, never input.
    let sql = format!(
        "SELECT at / {DAY_MICROS} AS day, COUNT(*) AS n FROM events \
         WHERE event = 'cleared' AND at >= {from} GROUP BY at / {DAY_MICROS} ORDER BY day DESC"
    );
    let rows: Vec<Row> =
        with_conn!(conn, |c| diesel::sql_query(&sql).load::<Row>(c)).map_err(store_err)?;
    Ok(rows
        .into_iter()
        .map(|r| DayCount {
            day: from_db(r.day * DAY_MICROS).format("%Y-%m-%d").to_string(),
            count: r.n,
        })
        .collect())
}

/// `recipients`: every roster the escalation tiers name, checked for someone reachable.
pub fn stats(
    conn: &mut AnyConn,
    recipients: &[String],
    now: DateTime<Utc>,
) -> Result<Stats, StoreError> {
    let notifications = super::deliveries::stats(conn, recipients, now)?;
    use crate::db::schema::{dead_letters, outbox, responses};
    let now_db = crate::db::time::to_db(now);
    type Counts = Vec<(String, i64)>;
    type Read = (Counts, Counts, i64, i64, i64, Option<i64>, Counts, Counts);
    let (wf, al, overdue, dead, pending, oldest, rs, sc): Read = with_conn!(conn, |c| {
        let wf = workflows::table
            .group_by(workflows::state)
            .select((workflows::state, diesel::dsl::count_star()))
            .load(c)
            .map_err(store_err)?;
        let al = alerts::table
            .group_by(alerts::state)
            .select((alerts::state, diesel::dsl::count_star()))
            .load(c)
            .map_err(store_err)?;
        let overdue = alerts::table
            .filter(alerts::state.eq_any(["open", "escalated"]))
            .filter(alerts::ack_deadline.lt(now_db))
            .count()
            .get_result(c)
            .map_err(store_err)?;
        let dead = dead_letters::table
            .filter(dead_letters::redriven_at.is_null())
            .filter(dead_letters::dismissed_at.is_null())
            .count()
            .get_result(c)
            .map_err(store_err)?;
        let rs = responses::table
            .group_by(responses::state)
            .select((responses::state, diesel::dsl::count_star()))
            .load(c)
            .map_err(store_err)?;
        let pending = outbox::table.count().get_result(c).map_err(store_err)?;
        let oldest = outbox::table
            .select(diesel::dsl::min(outbox::created_at))
            .get_result(c)
            .map_err(store_err)?;
        let sc = crate::db::schema::screenings::table
            .group_by(crate::db::schema::screenings::category)
            .select((
                crate::db::schema::screenings::category,
                diesel::dsl::count_star(),
            ))
            .load(c)
            .map_err(store_err)?;
        (wf, al, overdue, dead, pending, oldest, rs, sc)
    });
    let cleared_per_day = cleared_per_day(conn, now)?;
    Ok(Stats {
        workflows: wf.into_iter().collect(),
        alerts: al.into_iter().collect(),
        alerts_overdue: overdue,
        dead_letters: dead,
        outbox_pending: pending,
        outbox_oldest: oldest.map(from_db),
        notifications,
        responses: rs.into_iter().collect(),
        screenings: sc.into_iter().collect(),
        cleared_per_day,
    })
}
