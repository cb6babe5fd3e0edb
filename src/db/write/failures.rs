//! What failed: a workflow's failed attempts (counted before it is retried or given up) and
//! dead letters for operators.

use aegis_actors::records::DeadLetterRecord;
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use crate::db::convert;
use crate::db::first_row::OneRow;
use crate::db::schema::{dead_letters, workflows};
use crate::db::tx::Tx;
use crate::with_tx;

pub fn record_failure(
    tx: &mut Tx<'_>,
    workflow_id: &str,
    error: &str,
) -> Result<Option<i64>, DieselError> {
    with_tx!(tx, |c| {
        let n = diesel::update(workflows::table.find(workflow_id))
            .set((
                workflows::attempts.eq(workflows::attempts + 1i64),
                workflows::last_error.eq(error),
            ))
            .execute(c)?;
        if n == 0 {
            return Ok(None);
        }
        workflows::table
            .find(workflow_id)
            .select(workflows::attempts)
            .one(c)
    })
}

/// Keeps a dead letter; one whose id is already kept is the same letter again (ids of
/// replayable letters are derived from their content) and is not stored twice.
pub fn insert_dead_letter(tx: &mut Tx<'_>, d: &DeadLetterRecord) -> Result<(), DieselError> {
    let row = convert::dead_letter_row(d);
    with_tx!(tx, |c| {
        diesel::insert_into(dead_letters::table)
            .values(&row)
            .on_conflict_do_nothing()
            .execute(c)?;
        Ok(())
    })
}

/// Marks a dead letter redriven; false when it already was (another operator's redrive won).
pub fn mark_redriven(
    tx: &mut Tx<'_>,
    id: &str,
    by: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<bool, DieselError> {
    let at = crate::db::time::to_db(at);
    let n = with_tx!(tx, |c| diesel::update(
        dead_letters::table
            .filter(dead_letters::id.eq(id))
            .filter(dead_letters::redriven_at.is_null())
            .filter(dead_letters::dismissed_at.is_null()),
    )
    .set((
        dead_letters::redriven_at.eq(at),
        dead_letters::redriven_by.eq(by),
    ))
    .execute(c))?;
    Ok(n == 1)
}

/// Marks a dead letter dismissed; false when it was already redriven or dismissed.
pub fn mark_dismissed(
    tx: &mut Tx<'_>,
    id: &str,
    by: &str,
    reason: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<bool, DieselError> {
    let at = crate::db::time::to_db(at);
    let n = with_tx!(tx, |c| diesel::update(
        dead_letters::table
            .filter(dead_letters::id.eq(id))
            .filter(dead_letters::redriven_at.is_null())
            .filter(dead_letters::dismissed_at.is_null()),
    )
    .set((
        dead_letters::dismissed_at.eq(at),
        dead_letters::dismissed_by.eq(by),
        dead_letters::dismiss_reason.eq(reason),
    ))
    .execute(c))?;
    Ok(n == 1)
}
