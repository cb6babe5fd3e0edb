//! The `models` table: every model trained into this database, with its held-out figures.

use chrono::Utc;
use diesel::prelude::*;

use super::schema::models;
use super::time::to_db;
use super::{AnyConn, store_err};
use crate::risk::train::TrainReport;
use crate::with_conn;
use aegis_actors::ports::StoreError;

pub fn record(conn: &mut AnyConn, r: &TrainReport) -> Result<(), StoreError> {
    let metrics = serde_json::to_string(&r.test)
        .map_err(|e| StoreError::Failed(aegis_actors::ports::Cause::new(e)))?;
    let now = to_db(Utc::now());
    with_conn!(conn, |c| {
        diesel::insert_into(models::table)
            .values((
                models::version.eq(&r.version),
                models::path.eq(&r.path),
                models::metrics.eq(&metrics),
                models::created_at.eq(now),
            ))
            .execute(c)
            .map_err(store_err)?;
    });
    Ok(())
}
