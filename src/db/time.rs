//! Times in the database are microseconds since the Unix epoch.

use chrono::{DateTime, Utc};

pub fn to_db(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub fn from_db(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}
