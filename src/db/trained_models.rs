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
    // The held-out figures, with the schema and the v1 baseline beside them.
    let mut figures = serde_json::to_value(&r.test)
        .map_err(|e| StoreError::Failed(aegis_actors::ports::Cause::new(e)))?;
    if let Some(obj) = figures.as_object_mut() {
        obj.insert("feature_schema".into(), r.feature_schema.clone().into());
        if let Some(b) = &r.baseline {
            obj.insert(
                "baseline".into(),
                serde_json::to_value(b)
                    .map_err(|e| StoreError::Failed(aegis_actors::ports::Cause::new(e)))?,
            );
        }
    }
    let metrics = serde_json::to_string(&figures)
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
