//! Intakes and transition commits, written a batch at a time with one multi-row statement per
//! table instead of a handful of statements per ticket. When a batch fails, the writer runs
//! each job again alone (a batch of one) to find and isolate the bad one.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use aegis_actors::records::{
    CommitOutcome, IntakeOutcome, IntakeRecord, TimerChange, TransitionCommit,
};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::upsert::excluded;

use super::convert;
use super::intake_ops;
use super::rows::{AlertRow, EventRow, NewOutbox, ScoreRow, TimerRow};
use super::schema::{
    alerts, dead_letters, events, excavators, outbox, scores, tickets, timers, workflows,
};
use super::time::to_db;
use super::writer::Tx;
use crate::with_tx;

/// Rows per multi-row statement: well under SQLite's and PostgreSQL's bind limits.
const CHUNK: usize = 500;

pub fn intake_many(
    tx: &mut Tx<'_>,
    records: &[IntakeRecord],
) -> Result<Vec<IntakeOutcome>, DieselError> {
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let mut inserted: HashSet<String> = HashSet::with_capacity(records.len());
    for chunk in records.chunks(CHUNK) {
        let rows: Vec<_> = chunk.iter().map(intake_ops::ticket_row).collect();
        let ids: Vec<String> = with_tx!(tx, |c| diesel::insert_into(tickets::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .returning(tickets::workflow_id)
            .get_results(c))?;
        inserted.extend(ids);
    }
    let fresh: Vec<&IntakeRecord> = records
        .iter()
        .filter(|r| inserted.contains(&r.workflow_id))
        .collect();
    if !fresh.is_empty() {
        let aggregate = intake_ops::received_aggregate()?;
        let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
        for r in &fresh {
            if let Some(k) = intake_ops::counted_key(r) {
                *counts.entry(k).or_default() += 1;
            }
        }
        for chunk in fresh.chunks(CHUNK) {
            let wf: Vec<_> = chunk
                .iter()
                .map(|r| intake_ops::workflow_row(r, &aggregate))
                .collect();
            let ev: Vec<EventRow> = chunk.iter().map(|r| intake_ops::event_row(r)).collect();
            let ob: Vec<NewOutbox> = chunk
                .iter()
                .filter_map(|r| intake_ops::outbox_row(r))
                .collect();
            with_tx!(tx, |c| {
                diesel::insert_into(workflows::table)
                    .values(&wf)
                    .execute(c)?;
                diesel::insert_into(events::table).values(&ev).execute(c)?;
                if !ob.is_empty() {
                    diesel::insert_into(outbox::table).values(&ob).execute(c)?;
                }
                Ok::<_, DieselError>(())
            })?;
        }
        let counts: Vec<_> = counts
            .into_iter()
            .map(|(k, n)| {
                (
                    excavators::key.eq(k),
                    excavators::tickets.eq(n),
                    excavators::damages.eq(0i64),
                )
            })
            .collect();
        for chunk in counts.chunks(CHUNK) {
            with_tx!(tx, |c| diesel::insert_into(excavators::table)
                .values(chunk)
                .on_conflict(excavators::key)
                .do_update()
                .set(excavators::tickets.eq(excavators::tickets + excluded(excavators::tickets)))
                .execute(c))?;
        }
    }
    records
        .iter()
        .map(|r| {
            if inserted.contains(&r.workflow_id) {
                Ok(IntakeOutcome::Accepted {
                    workflow_id: r.workflow_id.clone(),
                })
            } else {
                intake_ops::existing(tx, r)
            }
        })
        .collect()
}

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
    for c in &won {
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
            score_rows.push(convert::score_row(&c.workflow_id, s));
        }
        if let Some(a) = &c.alert {
            alert_rows.push(convert::alert_row(a, &c.center, &c.ticket_number));
        }
        for t in &c.timers {
            match t {
                TimerChange::Add(r) => timer_adds.push(convert::timer_row(r)),
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
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::centers::{self, CenterFormat};
    use crate::db::writer::Tx;
    use crate::db::{AnyConn, Db, DbSettings, migrate};
    use aegis_actors::engine::{ChainTip, event_record, outbox_record};
    use aegis_actors::records::IntakeRecord;
    use aegis_workflows::audit::GENESIS;
    use aegis_workflows::lifecycle::{Event, State};
    use aegis_workflows::ticket::Ticket;
    use diesel::Connection;

    fn record(number: &str, delivery: &str, remarks: &str) -> IntakeRecord {
        let ticket = Ticket {
            ticket_number: number.into(),
            remarks: Some(remarks.into()),
            ..Ticket::default()
        };
        let (ticket_json, content_hash) = crate::intake::normalized(&ticket);
        let id = uuid::Uuid::now_v7().to_string();
        let tip = ChainTip {
            workflow_id: &id,
            seq: 1,
            prev_hash: GENESIS,
        };
        let first = event_record(
            tip,
            None,
            State::Received,
            Event::Received,
            "center:T".into(),
            chrono::Utc::now(),
        );
        let outbox = outbox_record("T", number, 0, &id, &first, None);
        IntakeRecord {
            workflow_id: id,
            center_id: 1,
            center: "T".into(),
            delivery_id: delivery.into(),
            format: "native".into(),
            ticket,
            content_hash,
            raw_payload: b"{}".to_vec(),
            content_type: "application/json".into(),
            excavator_key: Some("id:x".into()),
            received_at: first.at,
            first_event: first,
            outbox: Some(outbox),
            ticket_json,
        }
    }

    #[test]
    fn one_batch_sorts_new_tickets_repeats_and_conflicts() {
        let dir =
            std::env::temp_dir().join(format!("aegis-batch-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(DbSettings {
            url: dir.join("t.db").display().to_string(),
            ..DbSettings::default()
        })
        .unwrap();
        migrate::run(&db).unwrap();
        let mut conn = db.write().unwrap();
        centers::add(
            &mut conn,
            "T",
            CenterFormat::Native,
            "whsec_YWVnaXMtZGVtby1zZWNyZXQtMDEyMzQ1Njc4OWFiY2Q=",
        )
        .unwrap();
        let batch = vec![
            record("A", "d1", "x"),
            record("B", "d2", "x"),
            record("A", "d1", "x"),  // same delivery
            record("A", "d9", "x"),  // same content, new delivery
            record("A", "d10", "y"), // same ticket and revision, other content
        ];
        let AnyConn::Sqlite(c) = &mut conn else {
            unreachable!()
        };
        let out = c
            .transaction(|c| intake_many(&mut Tx::Sqlite(c), &batch))
            .unwrap();
        let a = batch[0].workflow_id.clone();
        assert_eq!(
            out[0],
            IntakeOutcome::Accepted {
                workflow_id: a.clone()
            }
        );
        assert!(matches!(&out[1], IntakeOutcome::Accepted { .. }));
        assert_eq!(
            out[2],
            IntakeOutcome::Duplicate {
                workflow_id: a.clone(),
                state: State::Received
            }
        );
        assert_eq!(
            out[3],
            IntakeOutcome::Duplicate {
                workflow_id: a.clone(),
                state: State::Received
            }
        );
        assert_eq!(out[4], IntakeOutcome::RevisionConflict { workflow_id: a });
        let tickets: i64 = tickets::table.count().get_result(&mut **c).unwrap();
        let counted: i64 = excavators::table
            .select(excavators::tickets)
            .first(&mut **c)
            .unwrap();
        assert_eq!(
            (tickets, counted),
            (2, 2),
            "repeats write nothing and count nothing"
        );
        drop(conn);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
