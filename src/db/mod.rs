//! Persistence with diesel over SQLite (embedded default) or PostgreSQL (`postgres://` URL).
//!
//! Both backends share one schema ([`schema`]) and, through [`with_conn!`], the same query
//! code. Reads use a pool on diesel's blocking calls, moved off the async threads; writes go
//! through [`writer`], which batches many operations per transaction (group commit) and is the
//! single writer SQLite wants; what it writes is in [`write`], one module per kind of write.
//! [`store::DbStore`] implements the runtime's `Store` port on top; [`read`] holds the read
//! models of the APIs.

pub mod centers;
pub mod convert;
pub mod facilities;
pub mod first_row;
pub mod investigations;
pub mod link_keys;
pub mod migrate;
pub mod model_quality;
pub mod outcomes;
pub mod people;
pub mod pool;
pub mod principals;
pub mod read;
pub mod reconciliations;
pub mod reports;
pub mod response_apis;
pub mod rows;
pub mod schema;
pub mod sequence_gaps;
pub mod sign_in;
pub mod store;
pub mod time;
pub mod trained_models;
pub mod training;
pub mod tx;
pub mod write;
pub mod writer;

pub use pool::{AnyConn, Backend, Db, DbSettings, store_err};

/// Runs `$body` with `$c` bound to the concrete diesel connection inside an [`AnyConn`]. The
/// body is compiled once per backend, so it must be valid diesel for both.
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConn::Sqlite($c) => {
                let $c: &mut ::diesel::SqliteConnection = &mut *$c;
                $body
            }
            $crate::db::AnyConn::Pg($c) => {
                let $c: &mut ::diesel::PgConnection = &mut *$c;
                $body
            }
        }
    };
}
