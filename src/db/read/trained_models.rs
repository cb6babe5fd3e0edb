//! Reading the models trained into this database.

use aegis_actors::ports::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::db::convert::corrupt;
use crate::db::time::from_db;
use crate::db::{AnyConn, store_err};
use crate::with_conn;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModelRecord {
    pub version: String,
    pub path: String,
    #[schema(value_type = Object)]
    pub metrics: Value,
    pub created_at: DateTime<Utc>,
}

pub fn trained_models(conn: &mut AnyConn) -> Result<Vec<ModelRecord>, StoreError> {
    use crate::db::schema::models;
    let rows: Vec<(String, String, String, i64)> = with_conn!(conn, |c| {
        models::table
            .order(models::created_at.desc())
            .limit(20)
            .select((
                models::version,
                models::path,
                models::metrics,
                models::created_at,
            ))
            .load(c)
            .map_err(store_err)?
    });
    rows.into_iter()
        .map(|(version, path, metrics, at)| {
            Ok(ModelRecord {
                version,
                path,
                metrics: serde_json::from_str(&metrics).map_err(corrupt)?,
                created_at: from_db(at),
            })
        })
        .collect()
}
