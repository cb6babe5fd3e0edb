//! Everything the writer writes, named for what it writes: a new ticket ([`intake`]), a
//! workflow's transition ([`transition`]), timers, outbox messages, notification deliveries,
//! positive responses to call centers, failures and dead letters.
//! Each function runs inside a writer batch (group commit, see [`super::writer`]).

pub mod deliveries;
pub mod failures;
pub mod new_ticket;
pub mod outbox;
pub mod report_rows;
pub mod responses;
pub mod timers;
pub mod transition;

/// Rows per multi-row statement: well under SQLite's and PostgreSQL's bind limits.
const CHUNK: usize = 500;

/// Leases the claimable rows of a table (timers, outbox, deliveries, responses): those `$due`
/// selects (when given) whose lease is free or lapsed, in `$order`, at most `$limit`, with `FOR
/// UPDATE SKIP LOCKED` on PostgreSQL so nodes claiming at once get disjoint sets; each is then
/// leased to `$node` until `$until`. `$now` names the time the `$due` filter reads.
macro_rules! lease {
    ($tx:expr, $table:ident, $row:ty, |$now:ident| $due:expr, $order:expr,
     ($at:expr, $node:expr, $until:expr, $limit:expr)) => {{
        let $now = $crate::db::time::to_db($at);
        $crate::db::write::lease!(@run $tx, $table, $row, $now, [$due], $order, ($node, $until, $limit))
    }};
    ($tx:expr, $table:ident, $row:ty, $order:expr, ($at:expr, $node:expr, $until:expr, $limit:expr)) => {{
        let now = $crate::db::time::to_db($at);
        $crate::db::write::lease!(@run $tx, $table, $row, now, [], $order, ($node, $until, $limit))
    }};
    (@run $tx:expr, $table:ident, $row:ty, $now:ident, [$($due:expr)?], $order:expr,
     ($node:expr, $until:expr, $limit:expr)) => {{
        let until = $crate::db::time::to_db($until);
        let limit = i64::try_from($limit).unwrap_or(i64::MAX);
        macro_rules! due {
            () => {
                $table::table
                    $(.filter($due))?
                    .filter(
                        $table::claimed_until
                            .is_null()
                            .or($table::claimed_until.lt($now)),
                    )
                    .order($order)
                    .limit(limit)
                    .select(<$row>::as_select())
            };
        }
        let rows: Vec<$row> = match $tx {
            $crate::db::tx::Tx::Sqlite(c) => due!().load(*c)?,
            $crate::db::tx::Tx::Pg(c) => due!().for_update().skip_locked().load(*c)?,
        };
        let ids: Vec<_> = rows.iter().map(|r| r.id.clone()).collect();
        $crate::with_tx!($tx, |c| {
            diesel::update($table::table.filter($table::id.eq_any(&ids)))
                .set(($table::claimed_by.eq($node), $table::claimed_until.eq(until)))
                .execute(c)?;
            Ok::<(), diesel::result::Error>(())
        })?;
        rows
    }};
}

pub(crate) use lease;
