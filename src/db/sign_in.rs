//! What the console's sign-in keeps: users' password hashes (Argon2id strings, set from the
//! command line) and sessions (the SHA-256 of each session id, its CSRF token and its expiry).

use aegis_actors::ports::StoreError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::first_row::OneRow;
use super::principals::{Principal, Role};
use super::schema::{principals, sessions};
use super::time::to_db;
use super::tx::Tx;
use super::{AnyConn, store_err};
use crate::{with_conn, with_tx};
use diesel::result::Error as DieselError;

/// Stores a user's password hash and ends every session the old password opened, in one
/// transaction; `false` when no active user has that name.
pub fn set_password(conn: &mut AnyConn, name: &str, hash: &str) -> Result<bool, StoreError> {
    super::tx::in_transaction(conn, |tx| {
        with_tx!(tx, |c| {
            let id: Option<String> = principals::table
                .filter(principals::name.eq(name))
                .filter(principals::revoked_at.is_null())
                .select(principals::id)
                .first(c)
                .optional()?;
            let Some(id) = id else {
                return Ok(false);
            };
            diesel::update(principals::table.filter(principals::id.eq(&id)))
                .set(principals::password_hash.eq(hash))
                .execute(c)?;
            diesel::delete(sessions::table.filter(sessions::principal_id.eq(&id))).execute(c)?;
            Ok(true)
        })
    })
}

/// Ends every session of the user named `name` (a revocation's, which the session lookup
/// already refuses; this frees the rows).
pub fn end_sessions_of(conn: &mut AnyConn, name: &str) -> Result<usize, StoreError> {
    with_conn!(conn, |c| {
        let ids = principals::table
            .filter(principals::name.eq(name))
            .select(principals::id);
        diesel::delete(sessions::table.filter(sessions::principal_id.eq_any(ids)))
            .execute(c)
            .map_err(store_err)
    })
}

/// An active user and their password hash, when they have one.
pub fn password_of(
    conn: &mut AnyConn,
    name: &str,
) -> Result<Option<(Principal, String)>, StoreError> {
    let row: Option<(String, String, String, Option<String>)> = with_conn!(conn, |c| {
        principals::table
            .filter(principals::name.eq(name))
            .filter(principals::revoked_at.is_null())
            .select((
                principals::id,
                principals::name,
                principals::role,
                principals::password_hash,
            ))
            .one(c)
            .map_err(store_err)?
    });
    Ok(row.and_then(|(id, name, role, hash)| {
        let role = Role::parse(&role)?;
        hash.map(|h| (Principal { id, name, role }, h))
    }))
}

pub fn create_session(
    tx: &mut Tx<'_>,
    id_hash: &str,
    principal_id: &str,
    csrf: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<(), DieselError> {
    with_tx!(tx, |c| {
        diesel::insert_into(sessions::table)
            .values((
                sessions::id_hash.eq(id_hash),
                sessions::principal_id.eq(principal_id),
                sessions::csrf.eq(csrf),
                sessions::created_at.eq(to_db(now)),
                sessions::expires_at.eq(to_db(expires)),
            ))
            .execute(c)?;
    });
    Ok(())
}

/// The user behind a live session (not expired, user not revoked) and its CSRF token.
pub fn session(
    conn: &mut AnyConn,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Principal, String)>, StoreError> {
    let row: Option<(String, String, String, String)> = with_conn!(conn, |c| {
        sessions::table
            .inner_join(principals::table.on(principals::id.eq(sessions::principal_id)))
            .filter(sessions::id_hash.eq(id_hash))
            .filter(sessions::expires_at.gt(to_db(now)))
            .filter(principals::revoked_at.is_null())
            .select((
                principals::id,
                principals::name,
                principals::role,
                sessions::csrf,
            ))
            .one(c)
            .map_err(store_err)?
    });
    Ok(row.and_then(|(id, name, role, csrf)| {
        Role::parse(&role).map(|role| (Principal { id, name, role }, csrf))
    }))
}

/// Ends a session, and every expired one while at it.
pub fn end_session(tx: &mut Tx<'_>, id_hash: &str, now: DateTime<Utc>) -> Result<(), DieselError> {
    with_tx!(tx, |c| {
        diesel::delete(
            sessions::table.filter(
                sessions::id_hash
                    .eq(id_hash)
                    .or(sessions::expires_at.le(to_db(now))),
            ),
        )
        .execute(c)?;
    });
    Ok(())
}
