//! What the model's quality report reads (contract §16): scored tickets per model version and
//! band over a period, and the scored tickets that have an outcome — an investigation (a
//! damage, or a near miss or downtime, which are not damages) or a center's or operator's
//! outcome — each with whether it was a damage.

use aegis_actors::ports::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};

use super::reports::dialect;
use super::time::to_db;
use super::{AnyConn, store_err};
use crate::with_conn;

/// Tickets a model version scored into a band.
#[derive(Debug, Clone, PartialEq, diesel::QueryableByName)]
pub struct BandTally {
    #[diesel(sql_type = Text)]
    pub model_version: String,
    #[diesel(sql_type = Text)]
    pub band: String,
    #[diesel(sql_type = BigInt)]
    pub tickets: i64,
}

const BAND_TALLY: &str = "SELECT model_version, band, COUNT(*) AS tickets FROM scores \
    WHERE scored_at >= ? AND scored_at < ? GROUP BY model_version, band";

pub fn band_tallies(
    conn: &mut AnyConn,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<BandTally>, StoreError> {
    let sql = dialect(conn, BAND_TALLY);
    with_conn!(conn, |c| diesel::sql_query(&sql)
        .bind::<BigInt, _>(to_db(from))
        .bind::<BigInt, _>(to_db(until))
        .load::<BandTally>(c))
    .map_err(store_err)
}

/// A scored ticket with an outcome.
#[derive(Debug, Clone, PartialEq, diesel::QueryableByName)]
pub struct Labelled {
    #[diesel(sql_type = Text)]
    pub model_version: String,
    #[diesel(sql_type = Double)]
    pub probability: f64,
    #[diesel(sql_type = Text)]
    pub band: String,
    /// 1 when any of its outcomes is a damage.
    #[diesel(sql_type = BigInt)]
    pub damage: i64,
}

const LABELLED: &str = "SELECT s.model_version, s.probability, s.band, \
    CAST(MAX(x.damage) AS BIGINT) AS damage FROM scores s JOIN ( \
      SELECT workflow_id, CASE WHEN kind = 'damage' THEN 1 ELSE 0 END AS damage \
        FROM investigations \
      UNION ALL \
      SELECT workflow_id, CASE WHEN damage THEN 1 ELSE 0 END AS damage \
        FROM outcomes WHERE workflow_id IS NOT NULL \
    ) x ON x.workflow_id = s.workflow_id \
    WHERE s.scored_at >= ? AND s.scored_at < ? \
    GROUP BY s.workflow_id, s.model_version, s.probability, s.band";

pub fn labelled(
    conn: &mut AnyConn,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Labelled>, StoreError> {
    let sql = dialect(conn, LABELLED);
    with_conn!(conn, |c| diesel::sql_query(&sql)
        .bind::<BigInt, _>(to_db(from))
        .bind::<BigInt, _>(to_db(until))
        .load::<Labelled>(c))
    .map_err(store_err)
}
