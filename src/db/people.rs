//! Who is reached: users' contact channels and rosters (contract §7), stored as the domain's
//! own JSON (`workflows::roster`) once checked.

use aegis_actors::ports::{Cause, StoreError};
use aegis_workflows::roster::{Channel, Roster};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::first_row::OneRow;
use super::principals::Role;
use super::schema::{principals, rosters, user_channels};
use super::time::{from_db, to_db};
use super::tx::Tx;
use super::{AnyConn, store_err};
use crate::{with_conn, with_tx};

/// A user as operators see it: channels with their secrets masked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserView {
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub revoked: bool,
    pub channels: Vec<Channel>,
}

fn json_column(v: &impl serde::Serialize) -> Result<String, DieselError> {
    serde_json::to_string(v).map_err(|e| DieselError::SerializationError(Box::new(e)))
}

/// Replaces a user's channels; `false` when no such user exists.
pub fn set_channels(
    tx: &mut Tx<'_>,
    name: &str,
    channels: &[Channel],
) -> Result<bool, DieselError> {
    let rows = channels
        .iter()
        .enumerate()
        .map(|(i, c)| Ok((i as i64, c.kind(), json_column(c)?)))
        .collect::<Result<Vec<_>, DieselError>>()?;
    with_tx!(tx, |c| {
        let Some(id) = principals::table
            .filter(principals::name.eq(name))
            .select(principals::id)
            .one::<String>(c)?
        else {
            return Ok(false);
        };
        diesel::delete(user_channels::table.filter(user_channels::principal_id.eq(&id)))
            .execute(c)?;
        let values: Vec<_> = rows
            .iter()
            .map(|(pos, kind, def)| {
                (
                    user_channels::principal_id.eq(&id),
                    user_channels::position.eq(*pos),
                    user_channels::kind.eq(*kind),
                    user_channels::definition.eq(def),
                )
            })
            .collect();
        if !values.is_empty() {
            diesel::insert_into(user_channels::table)
                .values(&values)
                .execute(c)?;
        }
        Ok(true)
    })
}

/// Every user (or the one named), with masked channels, by name.
pub fn users(conn: &mut AnyConn, only: Option<&str>) -> Result<Vec<UserView>, StoreError> {
    type Row = (String, String, String, i64, Option<i64>);
    let (people, channels): (Vec<Row>, Vec<(String, String)>) = with_conn!(conn, |c| {
        let mut q = principals::table
            .order(principals::name.asc())
            .select((
                principals::id,
                principals::name,
                principals::role,
                principals::created_at,
                principals::revoked_at,
            ))
            .into_boxed();
        if let Some(n) = only {
            q = q.filter(principals::name.eq(n.to_owned()));
        }
        let people: Vec<Row> = q.load(c).map_err(store_err)?;
        let channels = user_channels::table
            .order((user_channels::principal_id, user_channels::position))
            .select((user_channels::principal_id, user_channels::definition))
            .load(c)
            .map_err(store_err)?;
        (people, channels)
    });
    people
        .into_iter()
        .map(|(id, name, role, created, revoked)| {
            let role = Role::parse(&role)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown role '{role}'").into()))?;
            let channels = channels
                .iter()
                .filter(|(owner, _)| *owner == id)
                .map(|(_, def)| {
                    serde_json::from_str::<Channel>(def)
                        .map(|c| c.masked())
                        .map_err(|e| StoreError::Corrupt(Cause::new(e)))
                })
                .collect::<Result<_, _>>()?;
            Ok(UserView {
                name,
                role,
                created_at: from_db(created),
                revoked: revoked.is_some(),
                channels,
            })
        })
        .collect()
}

/// The names among `names` that are no active user.
pub fn unknown_users(conn: &mut AnyConn, names: &[String]) -> Result<Vec<String>, StoreError> {
    let known: Vec<String> = with_conn!(conn, |c| {
        principals::table
            .filter(principals::name.eq_any(names))
            .filter(principals::revoked_at.is_null())
            .select(principals::name)
            .load(c)
            .map_err(store_err)?
    });
    Ok(names
        .iter()
        .filter(|n| !known.contains(n))
        .cloned()
        .collect())
}

/// Creates or replaces a roster.
pub fn put_roster(
    tx: &mut Tx<'_>,
    name: &str,
    roster: &Roster,
    now: DateTime<Utc>,
) -> Result<(), DieselError> {
    let def = json_column(roster)?;
    with_tx!(tx, |c| {
        diesel::insert_into(rosters::table)
            .values((
                rosters::name.eq(name),
                rosters::definition.eq(&def),
                rosters::updated_at.eq(to_db(now)),
            ))
            .on_conflict(rosters::name)
            .do_update()
            .set((
                rosters::definition.eq(&def),
                rosters::updated_at.eq(to_db(now)),
            ))
            .execute(c)?;
        Ok(())
    })
}

/// Every roster, by name.
pub fn rosters(conn: &mut AnyConn) -> Result<Vec<(String, Roster)>, StoreError> {
    let rows: Vec<(String, String)> = with_conn!(conn, |c| {
        rosters::table
            .order(rosters::name.asc())
            .select((rosters::name, rosters::definition))
            .load(c)
            .map_err(store_err)?
    });
    rows.into_iter()
        .map(|(name, def)| {
            serde_json::from_str(&def)
                .map(|r| (name, r))
                .map_err(|e| StoreError::Corrupt(Cause::new(e)))
        })
        .collect()
}
