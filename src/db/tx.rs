//! A connection inside a write transaction, on either backend: what every module that writes
//! (`db::write::*`, people, sign-in…) takes, whether the writer's group commit or the command
//! line opened the transaction.

use aegis_actors::ports::StoreError;
use diesel::Connection;
use diesel::result::Error as DieselError;
use diesel::{PgConnection, SqliteConnection};

use super::AnyConn;

/// A connection inside the writer's transaction.
pub enum Tx<'a> {
    Sqlite(&'a mut SqliteConnection),
    Pg(&'a mut PgConnection),
}

/// Runs `f` in a transaction of its own on `conn`, outside the writer (the command line, which
/// runs while no server writes, or alone).
pub fn in_transaction<T>(
    conn: &mut AnyConn,
    f: impl FnOnce(&mut Tx<'_>) -> Result<T, DieselError>,
) -> Result<T, StoreError> {
    match conn {
        AnyConn::Sqlite(c) => c.transaction(|c| f(&mut Tx::Sqlite(c))),
        AnyConn::Pg(c) => c.transaction(|c| f(&mut Tx::Pg(c))),
    }
    .map_err(super::store_err)
}

/// Runs `$body` with `$c` bound to the concrete connection inside a [`Tx`].
#[macro_export]
macro_rules! with_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::db::tx::Tx::Sqlite($c) => {
                let $c: &mut ::diesel::SqliteConnection = &mut **$c;
                $body
            }
            $crate::db::tx::Tx::Pg($c) => {
                let $c: &mut ::diesel::PgConnection = &mut **$c;
                $body
            }
        }
    };
}
