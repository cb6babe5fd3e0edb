//! Labelled rows for `aegis train --from-db`: the synthetic history, and live tickets whose
//! outcome is known.
//!
//! A live ticket counts when an outcome was reported for it, or when it was scored more than
//! [`SILENCE_DAYS`] days ago with no damage reported (damage is reported when it happens, so
//! silence that long means none).

use aegis_workflows::features::{self, FeatureVector};
use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;

use super::schema::{outcomes, scores, training_rows, workflows};
use super::time::to_db;
use super::{AnyConn, store_err};
use crate::risk::dataset::Dataset;
use crate::with_conn;
use aegis_actors::ports::StoreError;

pub const SILENCE_DAYS: i64 = 30;

/// Stores generated rows, in one transaction per call.
pub fn insert_generated(
    conn: &mut AnyConn,
    rows: &[(FeatureVector, bool)],
) -> Result<(), StoreError> {
    let now = to_db(Utc::now());
    let values: Vec<_> = rows
        .iter()
        .map(|(v, label)| {
            let features = serde_json::to_string(v.0.as_slice())
                .map_err(|e| StoreError::Failed(aegis_actors::ports::Cause::new(e)))?;
            Ok((
                training_rows::source.eq("generated"),
                training_rows::features.eq(features),
                training_rows::label.eq(*label),
                training_rows::created_at.eq(now),
            ))
        })
        .collect::<Result<_, StoreError>>()?;
    with_conn!(conn, |c| {
        c.transaction(|c| {
            for chunk in values.chunks(500) {
                diesel::insert_into(training_rows::table)
                    .values(chunk)
                    .execute(c)?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .map_err(store_err)
    })
}

/// Rows left out of a training set, and why: an operator is told, never left to wonder why
/// the set is smaller than the history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Stored features that do not read as a vector of this schema's width.
    pub unreadable: usize,
    /// Scores whose features were extracted under another schema version.
    pub other_schema: usize,
}

/// Why one stored row cannot join the set.
enum Unusable {
    Unreadable,
    OtherSchema,
}

fn vector_from_values(vals: Vec<Option<f32>>) -> Result<FeatureVector, Unusable> {
    let arr: [Option<f32>; features::COUNT] = vals.try_into().map_err(|_| Unusable::Unreadable)?;
    Ok(FeatureVector(arr))
}

fn vector_from_json(s: &str) -> Result<FeatureVector, Unusable> {
    vector_from_values(serde_json::from_str(s).map_err(|_| Unusable::Unreadable)?)
}

/// A score's stored features, when they were extracted under the current schema.
fn vector_from_score(s: &str) -> Result<FeatureVector, Unusable> {
    #[derive(serde::Deserialize)]
    struct Stored {
        schema: String,
        values: Vec<Option<f32>>,
    }
    let stored: Stored = serde_json::from_str(s).map_err(|_| Unusable::Unreadable)?;
    if stored.schema != features::SCHEMA_VERSION {
        return Err(Unusable::OtherSchema);
    }
    vector_from_values(stored.values)
}

impl Skipped {
    fn count(&mut self, why: Unusable) {
        match why {
            Unusable::Unreadable => self.unreadable += 1,
            Unusable::OtherSchema => self.other_schema += 1,
        }
    }
}

/// Everything labelled in the database, as a dataset in schema order, and what was left out.
pub fn load(conn: &mut AnyConn, now: DateTime<Utc>) -> Result<(Dataset, Skipped), StoreError> {
    let cutoff = to_db(now - TimeDelta::days(SILENCE_DAYS));
    type Generated = Vec<(String, bool)>;
    type Live = Vec<(String, Option<bool>, i64)>;
    let (generated, live): (Generated, Live) = with_conn!(conn, |c| {
        let generated = training_rows::table
            .select((training_rows::features, training_rows::label))
            .load(c)
            .map_err(store_err)?;
        let scored: Vec<(String, String, String, i64)> = scores::table
            .inner_join(workflows::table.on(workflows::id.eq(scores::workflow_id)))
            .select((
                scores::features,
                workflows::center,
                workflows::ticket_number,
                scores::scored_at,
            ))
            .load(c)
            .map_err(store_err)?;
        let reported: Vec<(String, String, bool)> = outcomes::table
            .select((outcomes::center, outcomes::ticket_number, outcomes::damage))
            .load(c)
            .map_err(store_err)?;
        let mut damage: std::collections::HashMap<(String, String), bool> =
            std::collections::HashMap::new();
        for (center, number, d) in reported {
            let e = damage.entry((center, number)).or_insert(false);
            *e |= d;
        }
        let live = scored
            .into_iter()
            .map(|(f, center, number, at)| (f, damage.get(&(center, number)).copied(), at))
            .collect();
        (generated, live)
    });
    let mut ds = Dataset::new(features::names().into_iter().map(str::to_owned).collect());
    let mut skipped = Skipped::default();
    for (f, label) in generated {
        match vector_from_json(&f) {
            Ok(v) => ds.push(&v, label),
            Err(why) => skipped.count(why),
        }
    }
    for (f, label, scored_at) in live {
        let label = match label {
            Some(l) => l,
            None if scored_at < cutoff => false,
            // Not labelled yet: too recent to call, not a row left out.
            None => continue,
        };
        match vector_from_score(&f) {
            Ok(v) => ds.push(&v, label),
            Err(why) => skipped.count(why),
        }
    }
    if skipped != Skipped::default() {
        tracing::warn!(
            unreadable = skipped.unreadable,
            other_schema = skipped.other_schema,
            schema = features::SCHEMA_VERSION,
            "training rows left out"
        );
    }
    Ok((ds, skipped))
}
