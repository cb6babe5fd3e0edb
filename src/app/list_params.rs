//! What the list use cases take from a caller — limits, cursors, times and closed sets — each
//! checked into its typed value or refused naming the field.

use chrono::DateTime;

use super::errors::{Refusal, refusal};
use crate::db::read::Cursor;

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

/// A list parameter that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidParam {
    pub field: String,
    pub message: String,
}

impl InvalidParam {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

refusal!(InvalidParam, self => {
    Refusal::invalid(&self.field, self.message.clone())
});

pub fn limit(v: Option<usize>) -> Result<usize, InvalidParam> {
    match v {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(InvalidParam::new(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

pub fn cursor(v: Option<&str>) -> Result<Option<Cursor>, InvalidParam> {
    v.map(|s| {
        Cursor::decode(s)
            .ok_or_else(|| InvalidParam::new("cursor", "cursor is not one this API gave out"))
    })
    .transpose()
}

pub fn time(field: &str, v: Option<&str>) -> Result<Option<i64>, InvalidParam> {
    v.map(|s| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_micros())
            .map_err(|_| InvalidParam::new(field, format!("{field} must be an RFC 3339 time")))
    })
    .transpose()
}

pub fn one_of(
    field: &str,
    v: Option<&str>,
    allowed: &[&str],
) -> Result<Option<String>, InvalidParam> {
    match v {
        None => Ok(None),
        Some(s) if allowed.contains(&s) => Ok(Some(s.to_owned())),
        Some(_) => Err(InvalidParam::new(
            field,
            format!("{field} must be one of: {}", allowed.join(", ")),
        )),
    }
}
