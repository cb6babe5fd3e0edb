//! A short-lived cache of centers and their secrets in front of the database, so a webhook
//! costs no query in the common case. Rotations and new centers show within `TTL`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use aegis_actors::ports::{Cause, StoreError};

use crate::db::Db;
use crate::db::centers::{self, CenterAuth, CenterError};

const TTL: Duration = Duration::from_secs(5);
const MAX: usize = 10_000;

#[derive(Debug, Default)]
pub struct CenterCache {
    entries: Mutex<HashMap<String, (Instant, Option<CenterAuth>)>>,
}

impl CenterCache {
    /// The center registered under `code`, or `None` (also cached, against probing).
    pub async fn get(&self, db: &Db, code: &str) -> Result<Option<CenterAuth>, StoreError> {
        if let Some((at, c)) = self.entries.lock().get(code)
            && at.elapsed() < TTL
        {
            return Ok(c.clone());
        }
        if centers::check_code(code).is_err() {
            return Ok(None);
        }
        let owned = code.to_owned();
        let found = db
            .with_read(move |c| {
                centers::lookup(c, &owned).map_err(|e| match e {
                    CenterError::Store(s) => s,
                    other => StoreError::Failed(Cause::new(other)),
                })
            })
            .await?;
        let mut entries = self.entries.lock();
        if entries.len() >= MAX {
            entries.clear();
        }
        entries.insert(code.to_owned(), (Instant::now(), found.clone()));
        Ok(found)
    }
}
