//! Call centers and their webhook secrets. A center may hold several secrets at once so it can
//! rotate without a gap: every unrevoked secret verifies.

use base64::Engine as _;
use chrono::Utc;
use diesel::prelude::*;

use super::first_row::OneRow;
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::Serialize;
use thiserror::Error;

use super::schema::{center_secrets, centers};
use super::time::{from_db, to_db};
use super::{AnyConn, store_err};
use crate::with_conn;
use aegis_actors::ports::StoreError;

/// Which webhook format a center sends; it decides the shape of generated secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CenterFormat {
    Native,
    Onecall,
    /// The Open Ticket Standard (contract §11): a bearer token, or Standard Webhooks headers.
    Openticket,
}

impl CenterFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Native => "native",
            Self::Onecall => "onecall",
            Self::Openticket => "openticket",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "native" => Some(Self::Native),
            "onecall" => Some(Self::Onecall),
            "openticket" => Some(Self::Openticket),
            _ => None,
        }
    }

    /// A fresh random secret: Standard Webhooks' `whsec_` + base64 for native centers (and
    /// Open Ticket ones, which send it whole as a bearer token or sign with it as Standard
    /// Webhooks do), an ASCII string for OneCallAccess (whose HMAC key is the secret's ASCII
    /// bytes).
    pub fn generate_secret(self) -> String {
        let mut rng = rand::rng();
        match self {
            Self::Native | Self::Openticket => {
                let key: [u8; 32] = rng.random();
                format!(
                    "whsec_{}",
                    base64::engine::general_purpose::STANDARD.encode(key)
                )
            }
            Self::Onecall => (0..40).map(|_| rng.sample(Alphanumeric) as char).collect(),
        }
    }
}

/// A center as the webhook endpoints need it.
#[derive(Debug, Clone)]
pub struct CenterAuth {
    pub id: i64,
    pub code: String,
    pub format: CenterFormat,
    pub secrets: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CenterInfo {
    pub code: String,
    pub format: CenterFormat,
    pub active_secrets: usize,
    pub created_at: chrono::DateTime<Utc>,
}

#[derive(Debug, Error)]
pub enum CenterError {
    #[error("center code must be 1-32 characters of A-Z, a-z, 0-9, '-' and '_'")]
    BadCode,
    #[error("center {0} already exists")]
    Exists(String),
    #[error("no center {0}")]
    Unknown(String),
    #[error("a native secret must be 'whsec_' followed by base64 of at least 16 bytes")]
    BadNativeSecret,
    #[error("a OneCall secret must be 16-256 printable ASCII characters")]
    BadOnecallSecret,
    #[error(
        "an Open Ticket secret must be 24-256 printable ASCII characters (it is sent as a bearer token)"
    )]
    BadOpenticketSecret,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for CenterError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(store_err(e))
    }
}

pub fn check_code(code: &str) -> Result<(), CenterError> {
    let ok = !code.is_empty()
        && code.len() <= 32
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(CenterError::BadCode)
    }
}

pub fn check_secret(format: CenterFormat, secret: &str) -> Result<(), CenterError> {
    match format {
        CenterFormat::Native => {
            let key = secret
                .strip_prefix("whsec_")
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
            match key {
                Some(k) if k.len() >= 16 => Ok(()),
                _ => Err(CenterError::BadNativeSecret),
            }
        }
        CenterFormat::Onecall => {
            let ok =
                (16..=256).contains(&secret.len()) && secret.bytes().all(|b| b.is_ascii_graphic());
            if ok {
                Ok(())
            } else {
                Err(CenterError::BadOnecallSecret)
            }
        }
        // A bearer token is guessed, not brute-forced offline: 24 characters at least.
        CenterFormat::Openticket => {
            let ok =
                (24..=256).contains(&secret.len()) && secret.bytes().all(|b| b.is_ascii_graphic());
            if ok {
                Ok(())
            } else {
                Err(CenterError::BadOpenticketSecret)
            }
        }
    }
}

pub fn add(
    conn: &mut AnyConn,
    code: &str,
    format: CenterFormat,
    secret: &str,
) -> Result<(), CenterError> {
    check_code(code)?;
    check_secret(format, secret)?;
    let now = to_db(Utc::now());
    with_conn!(conn, |c| {
        c.transaction(|c| -> Result<(), CenterError> {
            let exists: Option<i64> = centers::table
                .filter(centers::code.eq(code))
                .select(centers::id)
                .one(c)
                .map_err(store_err)?;
            if exists.is_some() {
                return Err(CenterError::Exists(code.to_owned()));
            }
            diesel::insert_into(centers::table)
                .values((
                    centers::code.eq(code),
                    centers::format.eq(format.as_str()),
                    centers::created_at.eq(now),
                ))
                .execute(c)
                .map_err(store_err)?;
            let id: i64 = centers::table
                .filter(centers::code.eq(code))
                .select(centers::id)
                .the(c)
                .map_err(store_err)?;
            diesel::insert_into(center_secrets::table)
                .values((
                    center_secrets::center_id.eq(id),
                    center_secrets::secret.eq(secret),
                    center_secrets::created_at.eq(now),
                ))
                .execute(c)
                .map_err(store_err)?;
            Ok(())
        })
    })
}

/// Adds a secret beside the existing ones.
pub fn add_secret(conn: &mut AnyConn, code: &str, secret: &str) -> Result<(), CenterError> {
    let center = lookup(conn, code)?.ok_or_else(|| CenterError::Unknown(code.to_owned()))?;
    check_secret(center.format, secret)?;
    let now = to_db(Utc::now());
    with_conn!(conn, |c| {
        diesel::insert_into(center_secrets::table)
            .values((
                center_secrets::center_id.eq(center.id),
                center_secrets::secret.eq(secret),
                center_secrets::created_at.eq(now),
            ))
            .execute(c)
            .map_err(store_err)?;
    });
    Ok(())
}

/// Revokes every secret but the newest; returns how many were revoked.
pub fn retire_old_secrets(conn: &mut AnyConn, code: &str) -> Result<usize, CenterError> {
    let center = lookup(conn, code)?.ok_or_else(|| CenterError::Unknown(code.to_owned()))?;
    let now = to_db(Utc::now());
    let n = with_conn!(conn, |c| {
        let newest: Option<i64> = center_secrets::table
            .filter(center_secrets::center_id.eq(center.id))
            .filter(center_secrets::revoked_at.is_null())
            .select(diesel::dsl::max(center_secrets::id))
            .get_result(c)
            .map_err(store_err)?;
        let Some(newest) = newest else { return Ok(0) };
        diesel::update(
            center_secrets::table
                .filter(center_secrets::center_id.eq(center.id))
                .filter(center_secrets::revoked_at.is_null())
                .filter(center_secrets::id.ne(newest)),
        )
        .set(center_secrets::revoked_at.eq(now))
        .execute(c)
        .map_err(store_err)?
    });
    Ok(n)
}

/// What removing a center did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removed {
    /// Nothing referred to it: the center and its secrets are gone.
    Deleted,
    /// Its tickets keep it in the record; every secret is revoked, so it is unknown to
    /// webhooks from now on.
    Revoked,
}

/// Removes a center: deleted when no ticket names it, otherwise every secret is revoked.
pub fn remove(conn: &mut AnyConn, code: &str) -> Result<Removed, CenterError> {
    let now = to_db(Utc::now());
    with_conn!(conn, |c| {
        c.transaction(|c| -> Result<Removed, CenterError> {
            let id: i64 = centers::table
                .filter(centers::code.eq(code))
                .select(centers::id)
                .one(c)?
                .ok_or_else(|| CenterError::Unknown(code.to_owned()))?;
            let tickets: i64 = super::schema::workflows::table
                .filter(super::schema::workflows::center_id.eq(id))
                .count()
                .get_result(c)?;
            if tickets == 0 {
                diesel::delete(center_secrets::table.filter(center_secrets::center_id.eq(id)))
                    .execute(c)?;
                diesel::delete(centers::table.filter(centers::id.eq(id))).execute(c)?;
                Ok(Removed::Deleted)
            } else {
                diesel::update(
                    center_secrets::table
                        .filter(center_secrets::center_id.eq(id))
                        .filter(center_secrets::revoked_at.is_null()),
                )
                .set(center_secrets::revoked_at.eq(now))
                .execute(c)?;
                Ok(Removed::Revoked)
            }
        })
    })
}

/// A center with at least one valid secret; a removed one (every secret revoked) is unknown.
pub fn lookup(conn: &mut AnyConn, code: &str) -> Result<Option<CenterAuth>, CenterError> {
    let found: Option<(i64, String, Vec<String>)> = with_conn!(conn, |c| {
        let row: Option<(i64, String)> = centers::table
            .filter(centers::code.eq(code))
            .select((centers::id, centers::format))
            .one(c)
            .map_err(store_err)?;
        match row {
            None => None,
            Some((id, format)) => {
                let secrets: Vec<String> = center_secrets::table
                    .filter(center_secrets::center_id.eq(id))
                    .filter(center_secrets::revoked_at.is_null())
                    .order(center_secrets::id.desc())
                    .select(center_secrets::secret)
                    .load(c)
                    .map_err(store_err)?;
                Some((id, format, secrets))
            }
        }
    });
    Ok(found
        .filter(|(_, _, secrets)| !secrets.is_empty())
        .map(|(id, format, secrets)| CenterAuth {
            id,
            code: code.to_owned(),
            format: CenterFormat::parse(&format).unwrap_or(CenterFormat::Native),
            secrets,
        }))
}

pub fn list(conn: &mut AnyConn) -> Result<Vec<CenterInfo>, CenterError> {
    let rows: Vec<(i64, String, String, i64)> = with_conn!(conn, |c| {
        centers::table
            .order(centers::code.asc())
            .select((
                centers::id,
                centers::code,
                centers::format,
                centers::created_at,
            ))
            .load(c)
            .map_err(store_err)?
    });
    let mut out = Vec::with_capacity(rows.len());
    for (id, code, format, created_at) in rows {
        let n: i64 = with_conn!(conn, |c| {
            center_secrets::table
                .filter(center_secrets::center_id.eq(id))
                .filter(center_secrets::revoked_at.is_null())
                .count()
                .get_result(c)
                .map_err(store_err)?
        });
        out.push(CenterInfo {
            code,
            format: CenterFormat::parse(&format).unwrap_or(CenterFormat::Native),
            // A count is never negative.
            active_secrets: usize::try_from(n).unwrap_or(0),
            created_at: from_db(created_at),
        });
    }
    Ok(out)
}

/// Whether a center with `code` was ever registered.
pub fn exists(conn: &mut AnyConn, code: &str) -> Result<bool, StoreError> {
    let n: i64 = with_conn!(conn, |c| centers::table
        .filter(centers::code.eq(code))
        .count()
        .get_result(c))
    .map_err(store_err)?;
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_pass_their_own_checks() {
        for f in [
            CenterFormat::Native,
            CenterFormat::Onecall,
            CenterFormat::Openticket,
        ] {
            let s = f.generate_secret();
            check_secret(f, &s).unwrap();
        }
        assert!(check_secret(CenterFormat::Native, "whsec_short").is_err());
        assert!(check_secret(CenterFormat::Onecall, "short").is_err());
        check_secret(
            CenterFormat::Native,
            "whsec_YWVnaXMtZGVtby1zZWNyZXQtMDEyMzQ1Njc4OWFiY2Q=",
        )
        .unwrap();
    }

    #[test]
    fn codes_are_url_safe() {
        assert!(check_code("DEMO").is_ok());
        assert!(check_code("usa-north_811").is_ok());
        assert!(check_code("").is_err());
        assert!(check_code("a/b").is_err());
        assert!(check_code(&"x".repeat(33)).is_err());
    }
}
