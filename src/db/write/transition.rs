//! Transition commits: each workflow's compare-and-set, then its events, score, alert, timers,
//! outbox messages, dead letter and notification deliveries, a batch at a time with one
//! multi-row statement per table. When a batch fails, the writer runs each job again alone to
//! isolate the bad one.

use std::sync::Arc;

use aegis_actors::records::{
    CommitOutcome, DeliveryUpdate, ResponseUpdate, TimerChange, TransitionCommit,
};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::upsert::excluded;

use super::CHUNK;
use crate::db::convert;
use crate::db::rows::{
    AlertRow, DeadLetterRow, EventRow, NewDelivery, NewOutbox, NewResponse, ScoreRow, TimerRow,
};
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
    let outcomes = commits
        .iter()
        .map(|c| compare_and_set(tx, c))
        .collect::<Result<Vec<_>, _>>()?;
    let mut rows = Rows::default();
    for (c, o) in commits.iter().zip(&outcomes) {
        // Whatever lost its race is answered Conflict and writes nothing else.
        if *o == CommitOutcome::Committed {
            rows.add(c)?;
        }
    }
    rows.write(tx)?;
    Ok(outcomes)
}

/// The workflow row moves to its new version only from the version the step read.
fn compare_and_set(tx: &mut Tx<'_>, c: &TransitionCommit) -> Result<CommitOutcome, DieselError> {
    if c.events.is_empty() {
        return Ok(CommitOutcome::Committed);
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
    Ok(if updated == 1 {
        CommitOutcome::Committed
    } else {
        CommitOutcome::Conflict
    })
}

type ScreeningRow = (
    diesel::dsl::Eq<screenings::workflow_id, String>,
    diesel::dsl::Eq<screenings::category, &'static str>,
    diesel::dsl::Eq<screenings::screening, String>,
    diesel::dsl::Eq<screenings::screened_at, i64>,
);

/// Every row the won commits of a batch write, gathered per table.
#[derive(Default)]
struct Rows<'a> {
    events: Vec<EventRow>,
    outbox: Vec<NewOutbox>,
    scores: Vec<ScoreRow>,
    screenings: Vec<ScreeningRow>,
    alerts: Vec<AlertRow>,
    timer_adds: Vec<TimerRow>,
    remove_ids: Vec<&'a str>,
    remove_all: Vec<&'a str>,
    remove_escalations: Vec<&'a str>,
    dead: Vec<DeadLetterRow>,
    deliveries: Vec<NewDelivery>,
    delivery_settles: Vec<(&'a DeliveryUpdate, DateTime<Utc>)>,
    responses: Vec<NewResponse>,
    response_settles: Vec<(&'a ResponseUpdate, DateTime<Utc>)>,
    /// Commits whose events the reports' rows follow.
    reported: Vec<&'a TransitionCommit>,
    investigations: Vec<crate::db::investigations::InvestigationRow>,
}

impl<'a> Rows<'a> {
    fn add(&mut self, c: &'a TransitionCommit) -> Result<(), DieselError> {
        let now = to_db(c.at);
        self.reported.push(c);
        if let Some(i) = &c.investigation {
            self.investigations.push(crate::db::investigations::row_of(
                i,
                &c.center,
                &c.ticket_number,
            ));
        }
        if let Some(s) = &c.screening {
            let body = serde_json::to_string(s)
                .map_err(|e| DieselError::SerializationError(Box::new(e)))?;
            self.screenings.push((
                screenings::workflow_id.eq(c.workflow_id.clone()),
                screenings::category.eq(s.category.as_str()),
                screenings::screening.eq(body),
                screenings::screened_at.eq(now),
            ));
        }
        self.responses
            .extend(c.responses.iter().map(super::responses::new_row));
        self.response_settles
            .extend(c.response_update.iter().map(|u| (u, c.at)));
        for d in &c.deliveries {
            self.deliveries.push(super::deliveries::new_row(d)?);
        }
        self.delivery_settles
            .extend(c.delivery_update.iter().map(|u| (u, c.at)));
        self.events.extend(
            c.events
                .iter()
                .map(|e| convert::event_row(&c.workflow_id, e)),
        );
        self.outbox.extend(c.outbox.iter().map(|o| NewOutbox {
            message_id: o.message_id.clone(),
            routing_key: o.routing_key.clone(),
            workflow_id: o.workflow_id.clone(),
            payload: o.payload.clone(),
            created_at: now,
        }));
        if let Some(s) = &c.score {
            self.scores.push(convert::score_row(&c.workflow_id, s)?);
        }
        if let Some(a) = &c.alert {
            self.alerts
                .push(convert::alert_row(a, &c.center, &c.ticket_number));
        }
        for t in &c.timers {
            match t {
                TimerChange::Add(r) => self.timer_adds.push(convert::timer_row(r)?),
                TimerChange::Remove(id) => self.remove_ids.push(id),
                TimerChange::RemoveAll => self.remove_all.push(&c.workflow_id),
                TimerChange::RemoveEscalations => self.remove_escalations.push(&c.workflow_id),
            }
        }
        self.dead
            .extend(c.dead_letter.iter().map(convert::dead_letter_row));
        Ok(())
    }

    fn write(self, tx: &mut Tx<'_>) -> Result<(), DieselError> {
        with_tx!(tx, |conn| {
            for chunk in self.events.chunks(CHUNK) {
                diesel::insert_into(events::table)
                    .values(chunk)
                    .execute(conn)?;
            }
            Ok::<_, DieselError>(())
        })?;
        upsert_scores(tx, &self.scores)?;
        upsert_screenings(tx, &self.screenings)?;
        upsert_alerts(tx, &self.alerts)?;
        write_timers(tx, &self)?;
        with_tx!(tx, |conn| {
            for chunk in self.outbox.chunks(CHUNK) {
                diesel::insert_into(outbox::table)
                    .values(chunk)
                    .execute(conn)?;
            }
            for chunk in self.dead.chunks(CHUNK) {
                diesel::insert_into(dead_letters::table)
                    .values(chunk)
                    .execute(conn)?;
            }
            Ok::<_, DieselError>(())
        })?;
        super::deliveries::insert(tx, &self.deliveries)?;
        for (u, at) in self.delivery_settles {
            super::deliveries::settle(tx, u, at)?;
        }
        super::responses::insert(tx, &self.responses)?;
        for (u, at) in self.response_settles {
            super::responses::settle(tx, u, at)?;
        }
        crate::db::investigations::upsert(tx, &self.investigations)?;
        for c in self.reported {
            super::report_rows::follow(tx, &c.workflow_id, &c.events)?;
        }
        Ok(())
    }
}

fn upsert_scores(tx: &mut Tx<'_>, rows: &[ScoreRow]) -> Result<(), DieselError> {
    with_tx!(tx, |conn| {
        for chunk in rows.chunks(CHUNK) {
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
        Ok(())
    })
}

/// A workflow retried after a failure is screened again: the newer screening stands.
fn upsert_screenings(tx: &mut Tx<'_>, rows: &[ScreeningRow]) -> Result<(), DieselError> {
    with_tx!(tx, |conn| {
        for chunk in rows.chunks(CHUNK) {
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
        Ok(())
    })
}

fn upsert_alerts(tx: &mut Tx<'_>, rows: &[AlertRow]) -> Result<(), DieselError> {
    with_tx!(tx, |conn| {
        for chunk in rows.chunks(CHUNK) {
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
        Ok(())
    })
}

/// Removals before additions: an escalation replaces its own timer.
fn write_timers(tx: &mut Tx<'_>, rows: &Rows<'_>) -> Result<(), DieselError> {
    with_tx!(tx, |conn| {
        if !rows.remove_ids.is_empty() {
            diesel::delete(timers::table.filter(timers::id.eq_any(&rows.remove_ids)))
                .execute(conn)?;
        }
        if !rows.remove_all.is_empty() {
            diesel::delete(timers::table.filter(timers::workflow_id.eq_any(&rows.remove_all)))
                .execute(conn)?;
        }
        if !rows.remove_escalations.is_empty() {
            diesel::delete(
                timers::table
                    .filter(timers::workflow_id.eq_any(&rows.remove_escalations))
                    .filter(timers::kind.eq("escalate")),
            )
            .execute(conn)?;
        }
        for chunk in rows.timer_adds.chunks(CHUNK) {
            diesel::insert_into(timers::table)
                .values(chunk)
                .execute(conn)?;
        }
        Ok(())
    })
}
