//! Officers and operators, and their bearer tokens. A token is shown once when created; only
//! its SHA-256 is stored, so a database leak does not leak credentials.

use base64::Engine as _;
use chrono::Utc;
use diesel::prelude::*;

use super::first_row::OneRow;
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::schema::principals;
use super::time::{from_db, to_db};
use super::{AnyConn, store_err};
use crate::with_conn;
use aegis_actors::ports::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Officer,
    Operator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Officer => "officer",
            Self::Operator => "operator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "officer" => Some(Self::Officer),
            "operator" => Some(Self::Operator),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub id: String,
    pub name: String,
    pub role: Role,
}

impl Principal {
    /// How the principal is named in the audit trail: `officer:alice`.
    pub fn audit_name(&self) -> String {
        format!("{}:{}", self.role.as_str(), self.name)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PrincipalInfo {
    pub name: String,
    pub role: Role,
    pub created_at: chrono::DateTime<Utc>,
    pub revoked: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PrincipalError {
    #[error("user names are 1-64 characters of A-Z, a-z, 0-9, '.', '-', '_' and '@'")]
    BadName,
    #[error("a user named {0} already exists")]
    Exists(String),
    #[error("no active user named {0}")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!(
        "aegis_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn check_name(name: &str) -> Result<(), PrincipalError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_@".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(PrincipalError::BadName)
    }
}

/// Creates a user and returns its token (the only time it is visible).
pub fn add(conn: &mut AnyConn, name: &str, role: Role) -> Result<String, PrincipalError> {
    check_name(name)?;
    let token = new_token();
    let hash = hash_token(&token);
    let id = uuid::Uuid::now_v7().to_string();
    let now = to_db(Utc::now());
    with_conn!(conn, |c| {
        let exists: i64 = principals::table
            .filter(principals::name.eq(name))
            .count()
            .get_result(c)
            .map_err(store_err)?;
        if exists > 0 {
            return Err(PrincipalError::Exists(name.to_owned()));
        }
        diesel::insert_into(principals::table)
            .values((
                principals::id.eq(&id),
                principals::name.eq(name),
                principals::role.eq(role.as_str()),
                principals::token_hash.eq(&hash),
                principals::created_at.eq(now),
            ))
            .execute(c)
            .map_err(store_err)?;
    });
    Ok(token)
}

pub fn revoke(conn: &mut AnyConn, name: &str) -> Result<(), PrincipalError> {
    let now = to_db(Utc::now());
    let n = with_conn!(conn, |c| {
        diesel::update(
            principals::table
                .filter(principals::name.eq(name))
                .filter(principals::revoked_at.is_null()),
        )
        .set(principals::revoked_at.eq(now))
        .execute(c)
        .map_err(store_err)?
    });
    if n == 0 {
        return Err(PrincipalError::Unknown(name.to_owned()));
    }
    Ok(())
}

/// The active principal holding `token`, if any.
pub fn by_token(conn: &mut AnyConn, token: &str) -> Result<Option<Principal>, StoreError> {
    let hash = hash_token(token);
    let row: Option<(String, String, String)> = with_conn!(conn, |c| {
        principals::table
            .filter(principals::token_hash.eq(&hash))
            .filter(principals::revoked_at.is_null())
            .select((principals::id, principals::name, principals::role))
            .one(c)
            .map_err(store_err)?
    });
    Ok(
        row.and_then(|(id, name, role)| {
            Role::parse(&role).map(|role| Principal { id, name, role })
        }),
    )
}

pub fn list(conn: &mut AnyConn) -> Result<Vec<PrincipalInfo>, StoreError> {
    let rows: Vec<(String, String, i64, Option<i64>)> = with_conn!(conn, |c| {
        principals::table
            .order(principals::name.asc())
            .select((
                principals::name,
                principals::role,
                principals::created_at,
                principals::revoked_at,
            ))
            .load(c)
            .map_err(store_err)?
    });
    Ok(rows
        .into_iter()
        .filter_map(|(name, role, created, revoked)| {
            Role::parse(&role).map(|role| PrincipalInfo {
                name,
                role,
                created_at: from_db(created),
                revoked: revoked.is_some(),
            })
        })
        .collect())
}

/// The active principal named `name`, if any.
pub fn by_name(conn: &mut AnyConn, name: &str) -> Result<Option<Principal>, StoreError> {
    let row: Option<(String, String, String)> = with_conn!(conn, |c| {
        principals::table
            .filter(principals::name.eq(name))
            .filter(principals::revoked_at.is_null())
            .select((principals::id, principals::name, principals::role))
            .one(c)
            .map_err(store_err)?
    });
    Ok(
        row.and_then(|(id, name, role)| {
            Role::parse(&role).map(|role| Principal { id, name, role })
        }),
    )
}
