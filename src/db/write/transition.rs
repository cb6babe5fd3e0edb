//! Transition commits: each workflow's compare-and-set, then its events, score, alert, timers,
//! outbox messages, dead letter and notification deliveries, a batch at a time with one
//! multi-row statement per table. When a batch fails, the writer runs each job again alone to
//! isolate the bad one.

use std::sync::Arc;

use aegis_actors::records::{CommitOutcome, TimerChange, TransitionCommit};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::upsert::excluded;

use super::CHUNK;
use crate::db::convert;
use crate::db::rows::{AlertRow, NewOutbox, ScoreRow, TimerRow};
use crate::db::schema::{
    alerts, dead_letters, events, outbox, scores, screenings, timers, workflows,
};
use crate::db::time::to_db;
use crate::db::tx::Tx;
use crate::with_tx;

pub fn commit_many(
    tx: &mut Tx<'_>,
    commits: &[Arc<TransitionCommit>],
) -> Result<Vec<CommitOutcome>, DieselError> {
    if commits.is_empty() {
        return Ok(Vec::new());
    }
    // Compare-and-set, one row each; whatever lost its race is answered Conflict and writes
    // nothing else.
    let mut outcomes = Vec::with_capacity(commits.len());
    for c in commits {
        if c.events.is_empty() {
            outcomes.push(CommitOutcome::Committed);
            continue;
        }
        let aggregate = serde_json::to_string(&c.workflow)
            .map_err(|e| DieselError::SerializationError(Box::new(e)))?;
        let last_hash = c.events.last().map(|e| e.hash.as_str()).unwrap_or_default();
        let updated = with_tx!(tx, |conn| diesel::update(
            workflows::table
                .filter(workflows::id.eq(&c.workflow_id))
                .filter(workflows::version.eq(c.expected_version)),
        )
        .set((
            workflows::state.eq(c.workflow.state.as_str()),
            workflows::version.eq(c.new_version()),
            workflows::aggregate.eq(&aggregate),
            workflows::band.eq(c.workflow.band.map(|b| b.as_str())),
            workflows::last_hash.eq(last_hash),
            workflows::attempts.eq(0i64),
            workflows::last_error.eq(None::<String>),
            workflows::updated_at.eq(to_db(c.at)),
        ))
        .execute(conn))?;
        outcomes.push(if updated == 1 {
            CommitOutcome::Committed
        } else {
            CommitOutcome::Conflict
        });
    }
    let won: Vec<&TransitionCommit> = commits
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| **o == CommitOutcome::Committed)
        .map(|(c, _)| c.as_ref())
        .collect();

    let mut event_rows = Vec::new();
    let mut outbox_rows = Vec::new();
    let mut score_rows: Vec<ScoreRow> = Vec::new();
    let mut alert_rows: Vec<AlertRow> = Vec::new();
    let mut timer_adds: Vec<TimerRow> = Vec::new();
    let mut remove_ids: Vec<&str> = Vec::new();
    let mut remove_all: Vec<&str> = Vec::new();
    let mut remove_escalations: Vec<&str> = Vec::new();
    let mut dead = Vec::new();
    let mut delivery_rows = Vec::new();
    let mut settles = Vec::new();
    let mut response_rows = Vec::new();
    let mut response_settles = Vec::new();
    let mut screening_rows = Vec::new();
    for c in &won {
        if let Some(s) = &c.screening {
            let body = serde_json::to_string(s)
                .map_err(|e| DieselError::SerializationError(Box::new(e)))?;
            screening_rows.push((
                screenings::workflow_id.eq(c.workflow_id.clone()),
                screenings::category.eq(s.category.as_str()),
                screenings::screening.eq(body),
                screenings::screened_at.eq(to_db(c.at)),
            ));
        }
        response_rows.extend(c.responses.iter().map(super::responses::new_row));
        if let Some(u) = &c.response_update {
            response_settles.push((u, c.at));
        }
        for d in &c.deliveries {
            delivery_rows.push(super::deliveries::new_row(d)?);
        }
        if let Some(u) = &c.delivery_update {
            settles.push((u, c.at));
        }
        let now = to_db(c.at);
        event_rows.extend(
            c.events
                .iter()
                .map(|e| convert::event_row(&c.workflow_id, e)),
        );
        outbox_rows.extend(c.outbox.iter().map(|o| NewOutbox {
            message_id: o.message_id.clone(),
            routing_key: o.routing_key.clone(),
            workflow_id: o.workflow_id.clone(),
            payload: o.payload.clone(),
            created_at: now,
        }));
        if let Some(s) = &c.score {
            score_rows.push(convert::score_row(&c.workflow_id, s)?);
        }
        if let Some(a) = &c.alert {
            alert_rows.push(convert::alert_row(a, &c.center, &c.ticket_number));
        }
        for t in &c.timers {
            match t {
                TimerChange::Add(r) => timer_adds.push(convert::timer_row(r)?),
                TimerChange::Remove(id) => remove_ids.push(id),
                TimerChange::RemoveAll => remove_all.push(&c.workflow_id),
                TimerChange::RemoveEscalations => remove_escalations.push(&c.workflow_id),
            }
        }
        if let Some(d) = &c.dead_letter {
            dead.push(convert::dead_letter_row(d));
        }
    }
    with_tx!(tx, |conn| {
        for chunk in event_rows.chunks(CHUNK) {
            diesel::insert_into(events::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in score_rows.chunks(CHUNK) {
            diesel::insert_into(scores::table)
                .values(chunk)
                .on_conflict(scores::workflow_id)
                .do_update()
                .set((
                    scores::probability.eq(excluded(scores::probability)),
                    scores::band.eq(excluded(scores::band)),
                    scores::model_version.eq(excluded(scores::model_version)),
                    scores::top_features.eq(excluded(scores::top_features)),
                    scores::features.eq(excluded(scores::features)),
                    scores::scored_at.eq(excluded(scores::scored_at)),
                ))
                .execute(conn)?;
        }
        // A workflow retried after a failure is screened again: the newer screening stands.
        for chunk in screening_rows.chunks(CHUNK) {
            diesel::insert_into(screenings::table)
                .values(chunk)
                .on_conflict(screenings::workflow_id)
                .do_update()
                .set((
                    screenings::category.eq(excluded(screenings::category)),
                    screenings::screening.eq(excluded(screenings::screening)),
                    screenings::screened_at.eq(excluded(screenings::screened_at)),
                ))
                .execute(conn)?;
        }
        for chunk in alert_rows.chunks(CHUNK) {
            diesel::insert_into(alerts::table)
                .values(chunk)
                .on_conflict(alerts::id)
                .do_update()
                .set((
                    alerts::state.eq(excluded(alerts::state)),
                    alerts::tier.eq(excluded(alerts::tier)),
                    alerts::ack_deadline.eq(excluded(alerts::ack_deadline)),
                    alerts::acknowledged_by.eq(excluded(alerts::acknowledged_by)),
                    alerts::acknowledged_at.eq(excluded(alerts::acknowledged_at)),
                    alerts::resolved_by.eq(excluded(alerts::resolved_by)),
                    alerts::resolved_at.eq(excluded(alerts::resolved_at)),
                    alerts::disposition.eq(excluded(alerts::disposition)),
                    alerts::note.eq(excluded(alerts::note)),
                    alerts::updated_at.eq(excluded(alerts::updated_at)),
                ))
                .execute(conn)?;
        }
        // Removals before additions: an escalation replaces its own timer.
        if !remove_ids.is_empty() {
            diesel::delete(timers::table.filter(timers::id.eq_any(&remove_ids))).execute(conn)?;
        }
        if !remove_all.is_empty() {
            diesel::delete(timers::table.filter(timers::workflow_id.eq_any(&remove_all)))
                .execute(conn)?;
        }
        if !remove_escalations.is_empty() {
            diesel::delete(
                timers::table
                    .filter(timers::workflow_id.eq_any(&remove_escalations))
                    .filter(timers::kind.eq("escalate")),
            )
            .execute(conn)?;
        }
        for chunk in timer_adds.chunks(CHUNK) {
            diesel::insert_into(timers::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in outbox_rows.chunks(CHUNK) {
            diesel::insert_into(outbox::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in dead.chunks(CHUNK) {
            diesel::insert_into(dead_letters::table)
                .values(chunk)
                .execute(conn)?;
        }
        Ok::<_, DieselError>(())
    })?;
    super::deliveries::insert(tx, &delivery_rows)?;
    for (u, at) in settles {
        super::deliveries::settle(tx, u, at)?;
    }
    super::responses::insert(tx, &response_rows)?;
    for (u, at) in response_settles {
        super::responses::settle(tx, u, at)?;
    }
    Ok(outcomes)
}
