//! A center's positive-response set-up (contract §9): its PositiveResponse API (URL, the
//! member's login, the station), the locate code each disposition maps to, and the center's
//! code list as last fetched. The password is kept for posting and never leaves through a read
//! meant for people ([`ApiView`] masks it).

use std::collections::BTreeMap;

use aegis_actors::ports::StoreError;
use aegis_actors::records::ResponseSetup;
use aegis_workflows::lifecycle::Disposition;
use aegis_workflows::positive_response::LocateCode;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use serde::Serialize;

use super::first_row::OneRow;
use super::schema::{locate_codes, response_apis, response_codes};
use super::time::{from_db, to_db};
use super::tx::Tx;
use super::{AnyConn, store_err};
use crate::{with_conn, with_tx};

/// A center's PositiveResponse API, password included: for the adapter that posts.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseApi {
    pub center: String,
    pub url: String,
    pub username: String,
    pub password: String,
    pub station: String,
}

/// What every read shows instead of the password; sent back, it means "keep the stored one".
pub const MASKED_PASSWORD: &str = "********";

impl std::fmt::Debug for ResponseApi {
    // Debug output ends up in logs: the password never does.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseApi")
            .field("center", &self.center)
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &MASKED_PASSWORD)
            .field("station", &self.station)
            .finish()
    }
}

/// What people are shown of a response API: the password masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiView {
    pub center: String,
    pub url: String,
    pub username: String,
    /// Always `********`: the password is never shown.
    pub password: String,
    pub station: String,
    /// The disposition → locate code mapping.
    pub codes: BTreeMap<String, String>,
    /// The center's locate codes as last fetched.
    pub locate_codes: Vec<LocateCodeView>,
    pub locate_codes_fetched_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LocateCodeView {
    pub code: String,
    pub active: bool,
    pub description: String,
}

pub fn put_api(tx: &mut Tx<'_>, api: &ResponseApi, now: DateTime<Utc>) -> Result<(), DieselError> {
    let at = to_db(now);
    with_tx!(tx, |c| {
        diesel::insert_into(response_apis::table)
            .values((
                response_apis::center.eq(&api.center),
                response_apis::url.eq(&api.url),
                response_apis::username.eq(&api.username),
                response_apis::password.eq(&api.password),
                response_apis::station.eq(&api.station),
                response_apis::updated_at.eq(at),
            ))
            .on_conflict(response_apis::center)
            .do_update()
            .set((
                response_apis::url.eq(&api.url),
                response_apis::username.eq(&api.username),
                response_apis::password.eq(&api.password),
                response_apis::station.eq(&api.station),
                response_apis::updated_at.eq(at),
            ))
            .execute(c)
    })?;
    Ok(())
}

pub fn api(conn: &mut AnyConn, center: &str) -> Result<Option<ResponseApi>, StoreError> {
    type Row = (String, String, String, String, String);
    let row: Option<Row> = with_conn!(conn, |c| response_apis::table
        .filter(response_apis::center.eq(center))
        .select((
            response_apis::center,
            response_apis::url,
            response_apis::username,
            response_apis::password,
            response_apis::station,
        ))
        .one::<Row>(c))
    .map_err(store_err)?;
    Ok(
        row.map(|(center, url, username, password, station)| ResponseApi {
            center,
            url,
            username,
            password,
            station,
        }),
    )
}

/// Every center with a response API.
pub fn centers(conn: &mut AnyConn) -> Result<Vec<String>, StoreError> {
    with_conn!(conn, |c| response_apis::table
        .select(response_apis::center)
        .order(response_apis::center)
        .load::<String>(c))
    .map_err(store_err)
}

/// Replaces the center's disposition → code mapping.
pub fn put_codes(
    tx: &mut Tx<'_>,
    center: &str,
    mapping: &BTreeMap<Disposition, String>,
) -> Result<(), DieselError> {
    with_tx!(tx, |c| {
        diesel::delete(response_codes::table.filter(response_codes::center.eq(center)))
            .execute(c)?;
        for (d, code) in mapping {
            diesel::insert_into(response_codes::table)
                .values((
                    response_codes::center.eq(center),
                    response_codes::disposition.eq(d.as_str()),
                    response_codes::code.eq(code),
                ))
                .execute(c)?;
        }
        Ok::<(), DieselError>(())
    })
}

pub fn codes(conn: &mut AnyConn, center: &str) -> Result<BTreeMap<String, String>, StoreError> {
    let rows: Vec<(String, String)> = with_conn!(conn, |c| response_codes::table
        .filter(response_codes::center.eq(center))
        .select((response_codes::disposition, response_codes::code))
        .load(c))
    .map_err(store_err)?;
    Ok(rows.into_iter().collect())
}

/// Replaces the center's code list with what it lists now.
pub fn put_locate_codes(
    tx: &mut Tx<'_>,
    center: &str,
    list: &[LocateCode],
    now: DateTime<Utc>,
) -> Result<(), DieselError> {
    let at = to_db(now);
    with_tx!(tx, |c| {
        diesel::delete(locate_codes::table.filter(locate_codes::center.eq(center))).execute(c)?;
        for l in list {
            diesel::insert_into(locate_codes::table)
                .values((
                    locate_codes::center.eq(center),
                    locate_codes::code.eq(&l.code),
                    locate_codes::active.eq(l.active),
                    locate_codes::description.eq(&l.description),
                    locate_codes::fetched_at.eq(at),
                ))
                .on_conflict((locate_codes::center, locate_codes::code))
                .do_nothing()
                .execute(c)?;
        }
        Ok::<(), DieselError>(())
    })
}

/// The center's code list as last fetched, and when.
pub fn locate_codes(
    conn: &mut AnyConn,
    center: &str,
) -> Result<(Vec<LocateCode>, Option<DateTime<Utc>>), StoreError> {
    let rows: Vec<(String, bool, String, i64)> = with_conn!(conn, |c| locate_codes::table
        .filter(locate_codes::center.eq(center))
        .order(locate_codes::code)
        .select((
            locate_codes::code,
            locate_codes::active,
            locate_codes::description,
            locate_codes::fetched_at,
        ))
        .load(c))
    .map_err(store_err)?;
    let fetched = rows.iter().map(|r| r.3).max().map(from_db);
    let list = rows
        .into_iter()
        .map(|(code, active, description, _)| LocateCode {
            code,
            active,
            description,
        })
        .collect();
    Ok((list, fetched))
}

/// What the runtime needs: the station and the mapping, when the center has an API.
pub fn setup(conn: &mut AnyConn, center: &str) -> Result<Option<ResponseSetup>, StoreError> {
    let Some(a) = api(conn, center)? else {
        return Ok(None);
    };
    let codes = codes(conn, center)?
        .into_iter()
        .filter_map(|(d, code)| Disposition::parse(&d).map(|d| (d, code)))
        .collect();
    Ok(Some(ResponseSetup {
        station: a.station,
        codes,
    }))
}

/// The set-up as people see it.
pub fn view(conn: &mut AnyConn, center: &str) -> Result<Option<ApiView>, StoreError> {
    let Some(a) = api(conn, center)? else {
        return Ok(None);
    };
    let codes = codes(conn, center)?;
    let (list, fetched) = locate_codes(conn, center)?;
    Ok(Some(ApiView {
        center: a.center,
        url: a.url,
        username: a.username,
        password: MASKED_PASSWORD.into(),
        station: a.station,
        codes,
        locate_codes: list
            .into_iter()
            .map(|l| LocateCodeView {
                code: l.code,
                active: l.active,
                description: l.description,
            })
            .collect(),
        locate_codes_fetched_at: fetched,
    }))
}
