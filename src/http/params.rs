//! Query parameters shared by the list endpoints: limits, cursors and times, each refused with
//! 422 naming the field when it does not parse.

use chrono::DateTime;

use super::error::ApiError;
use crate::db::read::Cursor;

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

pub fn limit(v: Option<usize>) -> Result<usize, ApiError> {
    match v {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

pub fn cursor(v: Option<&str>) -> Result<Option<Cursor>, ApiError> {
    v.map(|s| {
        Cursor::decode(s)
            .ok_or_else(|| ApiError::invalid("cursor", "cursor is not one this API gave out"))
    })
    .transpose()
}

pub fn time(field: &str, v: Option<&str>) -> Result<Option<i64>, ApiError> {
    v.map(|s| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_micros())
            .map_err(|_| ApiError::invalid(field, format!("{field} must be an RFC 3339 time")))
    })
    .transpose()
}

pub fn one_of(field: &str, v: Option<&str>, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match v {
        None => Ok(None),
        Some(s) if allowed.contains(&s) => Ok(Some(s.to_owned())),
        Some(_) => Err(ApiError::invalid(
            field,
            format!("{field} must be one of: {}", allowed.join(", ")),
        )),
    }
}
