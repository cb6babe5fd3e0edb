//! Keeping each center's locate code list fresh: fetched for every center with a response API
//! at start-up and then daily, and for one center whenever its API is set. A mapping is
//! checked against the list as last fetched; a failed fetch keeps the previous list.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::PositiveResponseClient;
use crate::db::Db;
use crate::db::response_apis;
use crate::db::store::DbStore;

const DAILY: Duration = Duration::from_secs(24 * 3_600);

/// Fetches one center's list and keeps it; the number of codes, or why not.
pub async fn refresh(
    client: &PositiveResponseClient,
    db: &Db,
    store: &DbStore,
    center: &str,
    now: DateTime<Utc>,
) -> Result<usize, String> {
    let key = center.to_owned();
    let api = db
        .with_read(move |c| response_apis::api(c, &key))
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("center '{center}' has no response API"))?;
    let list = client.locate_codes(&api).await?;
    let n = list.len();
    let key = center.to_owned();
    store
        .writer()
        .run(move |tx| response_apis::put_locate_codes(tx, &key, &list, now))
        .await
        .map_err(|e| e.to_string())?;
    Ok(n)
}

/// Refreshes every center's list now and then daily, for as long as the process runs.
pub async fn refresh_daily(client: PositiveResponseClient, db: Db, store: DbStore) {
    loop {
        match db.with_read(response_apis::centers).await {
            Ok(centers) => {
                for center in centers {
                    let now = Utc::now();
                    match refresh(&client, &db, &store, &center, now).await {
                        Ok(n) => {
                            tracing::info!(center = %center, codes = n, "locate codes refreshed")
                        }
                        Err(e) => {
                            tracing::warn!(center = %center, error = %e, "locate codes could not be refreshed; the last list stays")
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "listing centers with a response API failed"),
        }
        tokio::time::sleep(DAILY).await;
    }
}
