//! The key acknowledgement links are signed with: made once, by whichever node starts first,
//! and read by every node, so a link sent by one node is honoured by all.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use rand::RngCore;

use super::first_row::OneRow;
use super::schema::link_keys;
use super::time::to_db;
use super::tx::Tx;
use crate::with_tx;

const ID: &str = "ack-links";

/// The link key, created when there is none.
pub fn ensure(tx: &mut Tx<'_>, now: DateTime<Utc>) -> Result<Vec<u8>, DieselError> {
    let mut fresh = [0u8; 32];
    rand::rng().fill_bytes(&mut fresh);
    let secret = with_tx!(tx, |c| {
        diesel::insert_into(link_keys::table)
            .values((
                link_keys::id.eq(ID),
                link_keys::secret.eq(hex::encode(fresh)),
                link_keys::created_at.eq(to_db(now)),
            ))
            .on_conflict(link_keys::id)
            .do_nothing()
            .execute(c)?;
        link_keys::table
            .find(ID)
            .select(link_keys::secret)
            .one::<String>(c)?
    });
    let secret = secret.ok_or(DieselError::NotFound)?;
    hex::decode(&secret).map_err(|e| DieselError::DeserializationError(Box::new(e)))
}
