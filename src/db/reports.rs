//! What the reports read (contract §15): tickets counted by day, type, screening category and
//! answer from `report_tickets` in one range scan; tickets per work type, method and excavator;
//! alerts and investigations of a period. Aggregates are SQL both backends read alike (integer
//! day arithmetic on microseconds, `CASE`, `GROUP BY` by position); shaping into buckets and
//! rates is the application's.

use aegis_actors::ports::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::investigations::InvestigationRow;
use super::schema::{alerts, investigations, report_tickets};
use super::time::{from_db, to_db};
use super::{AnyConn, store_err};
use crate::with_conn;

/// Microseconds in a day.
pub const DAY_US: i64 = 86_400_000_000;

/// A period and a center (`None`: every center), as the reports ask for them; `offset_us` moves
/// UTC to the zone whose days are counted.
#[derive(Debug, Clone)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub center: Option<String>,
    pub offset_us: i64,
}

impl Period {
    fn center(&self) -> String {
        self.center.clone().unwrap_or_default()
    }

    /// The first and last hour of receipt the period touches (the indexes' range).
    fn hours(&self) -> (i64, i64) {
        use super::write::report_rows::HOUR_US;
        (
            to_db(self.from).div_euclid(HOUR_US),
            to_db(self.until).div_euclid(HOUR_US),
        )
    }
}

/// What every read of the period's excavation tickets filters on, after its `SELECT … FROM
/// report_tickets`: the hours (the index's range), the exact instants and the center.
const COUNTED_IN_PERIOD: &str = "WHERE counted = TRUE AND received_hour >= ? AND received_hour <= ? \
    AND received_at >= ? AND received_at < ? AND (? = '' OR center = ?)";

/// Rows of `select` (`SELECT … FROM report_tickets`) over the period's excavation tickets, with
/// `tail` after the filter (a `GROUP BY`, or nothing).
fn counted_rows<T>(
    conn: &mut AnyConn,
    p: &Period,
    select: &str,
    tail: &str,
) -> Result<Vec<T>, StoreError>
where
    T: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static,
{
    let sql = dialect(conn, &format!("{select} {COUNTED_IN_PERIOD} {tail}"));
    let center = p.center();
    let (first, last) = p.hours();
    with_conn!(conn, |c| diesel::sql_query(&sql)
        .bind::<BigInt, _>(first)
        .bind::<BigInt, _>(last)
        .bind::<BigInt, _>(to_db(p.from))
        .bind::<BigInt, _>(to_db(p.until))
        .bind::<Text, _>(&center)
        .bind::<Text, _>(&center)
        .load::<T>(c))
    .map_err(store_err)
}

/// Excavation tickets of the period (the breakdowns' denominator), counted on the index.
pub fn counted_tickets(conn: &mut AnyConn, p: &Period) -> Result<i64, StoreError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        tickets: i64,
    }
    let rows: Vec<Count> = counted_rows(
        conn,
        p,
        "SELECT COUNT(*) AS tickets FROM report_tickets",
        "",
    )?;
    Ok(rows.first().map_or(0, |r| r.tickets))
}

/// `?` placeholders as the connection's SQL writes them (`$1`, `$2`, … on PostgreSQL).
pub(crate) fn dialect(conn: &AnyConn, sql: &str) -> String {
    match conn {
        AnyConn::Sqlite(_) => sql.to_owned(),
        AnyConn::Pg(_) => {
            let mut out = String::with_capacity(sql.len() + 16);
            let mut n = 0;
            for ch in sql.chars() {
                if ch == '?' {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                } else {
                    out.push(ch);
                }
            }
            out
        }
    }
}

/// Tickets of one day, type, category, clearing and counting, with how they were answered.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct TicketDay {
    /// Days since the epoch in the period's zone.
    #[diesel(sql_type = BigInt)]
    pub day: i64,
    #[diesel(sql_type = Text)]
    pub ticket_type: String,
    /// Empty when not screened.
    #[diesel(sql_type = Text)]
    pub category: String,
    #[diesel(sql_type = BigInt)]
    pub cleared: i64,
    #[diesel(sql_type = BigInt)]
    pub counted: i64,
    #[diesel(sql_type = BigInt)]
    pub tickets: i64,
    /// Answered (the center accepted a response) by the due time.
    #[diesel(sql_type = BigInt)]
    pub on_time: i64,
    /// With a due time that has passed, or answered: the tickets timeliness is measured on.
    #[diesel(sql_type = BigInt)]
    pub due_passed: i64,
}

/// A [`TicketDay`] by UTC hour, as the index holds them.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
struct TicketHour {
    #[diesel(sql_type = BigInt)]
    hour: i64,
    #[diesel(sql_type = Text)]
    ticket_type: String,
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = BigInt)]
    cleared: i64,
    #[diesel(sql_type = BigInt)]
    counted: i64,
    #[diesel(sql_type = BigInt)]
    tickets: i64,
    #[diesel(sql_type = BigInt)]
    on_time: i64,
    #[diesel(sql_type = BigInt)]
    due_passed: i64,
}

// Grouped in the order of `report_tickets_hours`, whose columns are all it reads: one pass,
// no temporary B-tree (the hour bounds pick the index range, received_at the exact period).
const TICKET_HOURS: &str = "SELECT received_hour AS hour, ticket_type, \
    COALESCE(category, '') AS category, \
    CAST(CASE WHEN cleared THEN 1 ELSE 0 END AS BIGINT) AS cleared, \
    CAST(CASE WHEN counted THEN 1 ELSE 0 END AS BIGINT) AS counted, \
    COUNT(*) AS tickets, \
    SUM(CASE WHEN answered_at IS NOT NULL AND due_at IS NOT NULL AND answered_at <= due_at \
        THEN 1 ELSE 0 END) AS on_time, \
    SUM(CASE WHEN due_at IS NOT NULL AND (answered_at IS NOT NULL OR due_at < ?) \
        THEN 1 ELSE 0 END) AS due_passed \
    FROM report_tickets \
    WHERE received_hour >= ? AND received_hour <= ? \
    AND received_at >= ? AND received_at < ? AND (? = '' OR center = ?) \
    GROUP BY received_hour, ticket_type, category, cleared, counted";

pub fn ticket_days(
    conn: &mut AnyConn,
    p: &Period,
    now: DateTime<Utc>,
) -> Result<Vec<TicketDay>, StoreError> {
    use super::write::report_rows::HOUR_US;
    let sql = dialect(conn, TICKET_HOURS);
    let center = p.center();
    let (from, until) = (to_db(p.from), to_db(p.until));
    let hours = with_conn!(conn, |c| diesel::sql_query(&sql)
        .bind::<BigInt, _>(to_db(now))
        .bind::<BigInt, _>(p.hours().0)
        .bind::<BigInt, _>(p.hours().1)
        .bind::<BigInt, _>(from)
        .bind::<BigInt, _>(until)
        .bind::<Text, _>(&center)
        .bind::<Text, _>(&center)
        .load::<TicketHour>(c))
    .map_err(store_err)?;
    // Hours into the zone's days (whole-hour offsets, as every US zone has).
    let mut days: std::collections::BTreeMap<(i64, String, String, i64, i64), [i64; 3]> =
        std::collections::BTreeMap::new();
    for h in hours {
        let day = (h.hour * HOUR_US + p.offset_us).div_euclid(DAY_US);
        let e = days
            .entry((day, h.ticket_type, h.category, h.cleared, h.counted))
            .or_default();
        e[0] += h.tickets;
        e[1] += h.on_time;
        e[2] += h.due_passed;
    }
    Ok(days
        .into_iter()
        .map(
            |((day, ticket_type, category, cleared, counted), [tickets, on_time, due_passed])| {
                TicketDay {
                    day,
                    ticket_type,
                    category,
                    cleared,
                    counted,
                    tickets,
                    on_time,
                    due_passed,
                }
            },
        )
        .collect())
}

/// Counted tickets of the period per value of one column.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct Tally {
    /// Empty when the tickets do not say.
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = BigInt)]
    pub tickets: i64,
}

/// The columns tickets are tallied by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TallyBy {
    WorkType,
    Method,
}

pub fn tally(conn: &mut AnyConn, p: &Period, by: TallyBy) -> Result<Vec<Tally>, StoreError> {
    let column = match by {
        TallyBy::WorkType => "work_type",
        TallyBy::Method => "method",
    };
    counted_rows(
        conn,
        p,
        &format!("SELECT COALESCE({column}, '') AS key, COUNT(*) AS tickets FROM report_tickets"),
        "GROUP BY 1",
    )
}

/// One excavator's counted tickets in the period.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct ExcavatorTally {
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub tickets: i64,
    /// Tickets whose work was to begin before their legal start.
    #[diesel(sql_type = BigInt)]
    pub dug_early: i64,
}

const EXCAVATORS: &str = "SELECT COALESCE(excavator_key, '') AS key, MAX(excavator) AS name, \
    COUNT(*) AS tickets, SUM(CASE WHEN dug_early THEN 1 ELSE 0 END) AS dug_early \
    FROM report_tickets";

/// Every excavator with counted tickets in the period.
pub fn excavators(conn: &mut AnyConn, p: &Period) -> Result<Vec<ExcavatorTally>, StoreError> {
    counted_rows(conn, p, EXCAVATORS, "GROUP BY 1")
}

/// An alert as the alerts report reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertFact {
    pub raised_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub tier: i64,
    pub disposition: Option<String>,
}

/// Alerts raised in the period.
pub fn alerts(conn: &mut AnyConn, p: &Period) -> Result<Vec<AlertFact>, StoreError> {
    let rows: Vec<(i64, Option<i64>, i64, Option<String>)> = with_conn!(conn, |c| {
        let mut q = alerts::table
            .filter(alerts::raised_at.ge(to_db(p.from)))
            .filter(alerts::raised_at.lt(to_db(p.until)))
            .select((
                alerts::raised_at,
                alerts::acknowledged_at,
                alerts::tier,
                alerts::disposition,
            ))
            .into_boxed();
        if let Some(center) = &p.center {
            q = q.filter(alerts::center.eq(center.clone()));
        }
        q.load(c)
    })
    .map_err(store_err)?;
    Ok(rows
        .into_iter()
        .map(|(raised, acked, tier, disposition)| AlertFact {
            raised_at: from_db(raised),
            acknowledged_at: acked.map(from_db),
            tier,
            disposition,
        })
        .collect())
}

/// Investigations whose event happened in the period, oldest first.
pub fn investigations(conn: &mut AnyConn, p: &Period) -> Result<Vec<InvestigationRow>, StoreError> {
    with_conn!(conn, |c| {
        let mut q = investigations::table
            .filter(investigations::occurred_at.ge(to_db(p.from)))
            .filter(investigations::occurred_at.lt(to_db(p.until)))
            .order((investigations::occurred_at.asc(), investigations::id.asc()))
            .select(InvestigationRow::as_select())
            .into_boxed();
        if let Some(center) = &p.center {
            q = q.filter(investigations::center.eq(center.clone()));
        }
        q.load(c)
    })
    .map_err(store_err)
}

/// A ticket's due time and when the center accepted its answer.
pub type Answer = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The ticket's [`Answer`].
pub fn answer_of(conn: &mut AnyConn, workflow_id: &str) -> Result<Answer, StoreError> {
    let row: Option<(Option<i64>, Option<i64>)> = with_conn!(conn, |c| report_tickets::table
        .find(workflow_id)
        .select((report_tickets::due_at, report_tickets::answered_at))
        .first(c)
        .optional())
    .map_err(store_err)?;
    let (due, answered) = row.unwrap_or((None, None));
    Ok((due.map(from_db), answered.map(from_db)))
}
