//! `first()` without `LIMIT ?`.
//!
//! diesel's `first()` binds its limit as a parameter. SQLite (3.47 and later) peeks at a bound
//! LIMIT while planning and then marks the statement to be re-prepared whenever that parameter
//! is bound again, which is every time: each cached point lookup was parsed anew. Point
//! lookups by a key need no LIMIT at all, so they load and take the first row instead.

use diesel::query_dsl::{LoadQuery, RunQueryDsl};
use diesel::result::QueryResult;

pub trait OneRow<Conn>: RunQueryDsl<Conn> + Sized {
    /// The first row, if any (use on queries by a unique key).
    fn one<'q, U>(self, conn: &mut Conn) -> QueryResult<Option<U>>
    where
        Self: LoadQuery<'q, Conn, U>,
    {
        Ok(self.load::<U>(conn)?.into_iter().next())
    }

    /// The row that must exist.
    fn the<'q, U>(self, conn: &mut Conn) -> QueryResult<U>
    where
        Self: LoadQuery<'q, Conn, U>,
    {
        self.one(conn)?.ok_or(diesel::result::Error::NotFound)
    }
}

impl<T: RunQueryDsl<Conn>, Conn> OneRow<Conn> for T {}
