//! Times in the database are microseconds since the Unix epoch: the rule is
//! `aegis_workflows::audit`'s, since event hashes cover exactly the stored values.

use aegis_workflows::audit;
use chrono::{DateTime, Utc};

pub fn to_db(at: DateTime<Utc>) -> i64 {
    audit::to_micros(at)
}

/// A stored time. Aegis writes every one of them from a real time; a number no time can have
/// means the row was changed by hand, and it reads as the epoch so the row can still be shown
/// and repaired (the audit chain of such a row no longer verifies, which is how it shows).
pub fn from_db(micros: i64) -> DateTime<Utc> {
    audit::from_micros(micros).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}
