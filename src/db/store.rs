//! The runtime's `Store` port over diesel: writes through the group-commit [`Writer`], reads on
//! the read pool.

use std::sync::Arc;

use aegis_actors::ports::store::Store;
use aegis_actors::ports::{BoxFuture, StoreError};
use aegis_actors::records::{
    Alert, CommitOutcome, DeadLetterRecord, DeliveryJob, DriveContext, History, IntakeOutcome,
    IntakeRecord, OutboxRow, Reach, Target, TimerRecord, TimerSettle, TransitionCommit,
    WorkflowSnapshot,
};
use aegis_workflows::Ticket;
use aegis_workflows::lifecycle::{State, Workflow};
use aegis_workflows::revision::Sibling;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::first_row::OneRow;
use futures::FutureExt;

use super::convert::{self, corrupt};
use super::rows::{AlertRow, WorkflowRow};
use super::schema::{alerts, excavators, tickets, timers, workflows};
use super::time::{from_db, to_db};
use super::write;
use super::writer::Writer;
use super::{Db, store_err};
use crate::with_conn;

#[derive(Clone, Debug)]
pub struct DbStore {
    db: Db,
    writer: Writer,
}

impl DbStore {
    pub fn new(db: Db, writer: Writer) -> Arc<Self> {
        Arc::new(Self { db, writer })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn writer(&self) -> &Writer {
        &self.writer
    }
}

/// Reads one workflow with its ticket and alert.
pub fn load_snapshot(
    conn: &mut super::AnyConn,
    id: &str,
) -> Result<Option<WorkflowSnapshot>, StoreError> {
    let found: Option<(WorkflowRow, String, Option<String>, Option<AlertRow>)> =
        with_conn!(conn, |c| {
            let Some(w) = workflows::table
                .find(id)
                .select(WorkflowRow::as_select())
                .one(c)
                .map_err(store_err)?
            else {
                return Ok(None);
            };
            let (ticket_json, key): (String, Option<String>) = tickets::table
                .find(id)
                .select((tickets::ticket_json, tickets::excavator_key))
                .the(c)
                .map_err(store_err)?;
            let alert = alerts::table
                .filter(alerts::workflow_id.eq(id))
                .select(AlertRow::as_select())
                .one(c)
                .map_err(store_err)?;
            Some((w, ticket_json, key, alert))
        });
    let Some((w, ticket_json, excavator_key, alert)) = found else {
        return Ok(None);
    };
    let workflow: Workflow = serde_json::from_str(&w.aggregate).map_err(corrupt)?;
    if workflow.state.as_str() != w.state {
        return Err(corrupt(format!(
            "workflow {id}: state column disagrees with aggregate"
        )));
    }
    let ticket: Ticket = serde_json::from_str(&ticket_json).map_err(corrupt)?;
    let alert: Option<Alert> = alert.as_ref().map(convert::alert_record).transpose()?;
    Ok(Some(WorkflowSnapshot {
        id: w.id,
        center: w.center,
        ticket_number: w.ticket_number,
        revision: u32::try_from(w.revision).map_err(corrupt)?,
        workflow,
        version: w.version,
        last_hash: w.last_hash,
        ticket,
        excavator_key,
        alert,
        created_at: from_db(w.created_at),
    }))
}

impl Store for DbStore {
    fn intake(
        &self,
        record: IntakeRecord,
    ) -> BoxFuture<'static, Result<IntakeOutcome, StoreError>> {
        let writer = self.writer.clone();
        async move { writer.intake(record).await }.boxed()
    }

    fn dead_letter(&self, record: DeadLetterRecord) -> BoxFuture<'static, Result<(), StoreError>> {
        let writer = self.writer.clone();
        async move {
            writer
                .run(move |tx| write::failures::insert_dead_letter(tx, &record))
                .await
        }
        .boxed()
    }

    fn load(
        &self,
        workflow_id: &str,
    ) -> BoxFuture<'static, Result<Option<WorkflowSnapshot>, StoreError>> {
        let db = self.db.clone();
        let id = workflow_id.to_owned();
        async move { db.with_read(move |c| load_snapshot(c, &id)).await }.boxed()
    }

    fn commit(
        &self,
        commit: Arc<TransitionCommit>,
    ) -> BoxFuture<'static, Result<CommitOutcome, StoreError>> {
        let writer = self.writer.clone();
        async move {
            let outcome = writer.commit(commit.clone()).await?;
            if outcome == CommitOutcome::Committed {
                crate::telemetry::observe::committed(&commit);
            }
            Ok(outcome)
        }
        .boxed()
    }

    fn settle_timers(&self, settle: TimerSettle) -> BoxFuture<'static, Result<(), StoreError>> {
        let writer = self.writer.clone();
        async move {
            writer
                .run(move |tx| write::timers::settle_timers(tx, &settle.timer_ids))
                .await
        }
        .boxed()
    }

    fn record_failure(
        &self,
        workflow_id: &str,
        error: &str,
    ) -> BoxFuture<'static, Result<u32, StoreError>> {
        let writer = self.writer.clone();
        let (id, error) = (workflow_id.to_owned(), error.to_owned());
        async move {
            let n = writer
                .run(move |tx| write::failures::record_failure(tx, &id, &error))
                .await?;
            match n {
                // Saturates: past four billion attempts the retry policy gave up long ago.
                Some(n) => Ok(u32::try_from(n).unwrap_or(u32::MAX)),
                None => Err(StoreError::Failed("no such workflow".into())),
            }
        }
        .boxed()
    }

    fn drive_context(
        &self,
        center: &str,
        ticket_number: &str,
        workflow_id: &str,
        excavator_key: Option<&str>,
    ) -> BoxFuture<'static, Result<DriveContext, StoreError>> {
        let db = self.db.clone();
        let (center, number, id) = (
            center.to_owned(),
            ticket_number.to_owned(),
            workflow_id.to_owned(),
        );
        let key = excavator_key.map(str::to_owned);
        async move {
            db.with_read(move |conn| {
                type Siblings = Vec<(String, i64, String)>;
                let (rows, counts): (Siblings, Option<(i64, i64)>) = with_conn!(conn, |c| {
                    let rows = workflows::table
                        .filter(workflows::center.eq(&center))
                        .filter(workflows::ticket_number.eq(&number))
                        .filter(workflows::id.ne(&id))
                        .select((workflows::id, workflows::revision, workflows::state))
                        .load(c)
                        .map_err(store_err)?;
                    let counts = match &key {
                        Some(k) => excavators::table
                            .find(k)
                            .select((excavators::tickets, excavators::damages))
                            .one(c)
                            .map_err(store_err)?,
                        None => None,
                    };
                    (rows, counts)
                });
                let siblings = rows
                    .into_iter()
                    .map(|(workflow_id, rev, state)| {
                        Ok(Sibling {
                            workflow_id,
                            revision: u32::try_from(rev).map_err(corrupt)?,
                            state: convert::state(&state)?,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                // Counters saturate at u32::MAX: as a model input, "more than four billion" is
                // what they say either way. No row yet means no history yet.
                let history = key.as_ref().map(|_| {
                    let (t, d) = counts.unwrap_or((0, 0));
                    History {
                        prior_tickets: u32::try_from(t).unwrap_or(u32::MAX),
                        prior_damages: u32::try_from(d).unwrap_or(u32::MAX),
                    }
                });
                Ok(DriveContext { siblings, history })
            })
            .await
        }
        .boxed()
    }

    fn stalled(
        &self,
        states: &[State],
        before: DateTime<Utc>,
        after: Option<String>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<String>, StoreError>> {
        let db = self.db.clone();
        let states: Vec<&'static str> = states.iter().map(|s| s.as_str()).collect();
        let before = to_db(before);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        async move {
            db.with_read(move |conn| {
                Ok(with_conn!(conn, |c| {
                    let mut q = workflows::table
                        .filter(workflows::state.eq_any(&states))
                        .filter(workflows::updated_at.le(before))
                        .select(workflows::id)
                        .order(workflows::id.asc())
                        .limit(limit)
                        .into_boxed();
                    if let Some(a) = &after {
                        q = q.filter(workflows::id.gt(a.clone()));
                    }
                    q.load::<String>(c).map_err(store_err)?
                }))
            })
            .await
        }
        .boxed()
    }

    fn claim_timers(
        &self,
        now: DateTime<Utc>,
        node: &str,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<TimerRecord>, StoreError>> {
        let writer = self.writer.clone();
        let node = node.to_owned();
        async move {
            writer
                .run(move |tx| write::timers::claim_timers(tx, now, &node, lease_until, limit))
                .await
        }
        .boxed()
    }

    fn next_timer(&self) -> BoxFuture<'static, Result<Option<DateTime<Utc>>, StoreError>> {
        let db = self.db.clone();
        async move {
            db.with_read(move |conn| {
                let due: Option<i64> = with_conn!(conn, |c| {
                    timers::table
                        .select(diesel::dsl::min(timers::due_at))
                        .get_result(c)
                        .map_err(store_err)?
                });
                Ok(due.map(from_db))
            })
            .await
        }
        .boxed()
    }

    fn claim_outbox(
        &self,
        node: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<OutboxRow>, StoreError>> {
        let writer = self.writer.clone();
        let node = node.to_owned();
        async move {
            writer
                .run(move |tx| write::outbox::claim_outbox(tx, &node, now, lease_until, limit))
                .await
        }
        .boxed()
    }

    fn outbox_sent(&self, ids: Vec<i64>) -> BoxFuture<'static, Result<(), StoreError>> {
        let writer = self.writer.clone();
        async move {
            writer
                .run(move |tx| write::outbox::outbox_sent(tx, &ids))
                .await
        }
        .boxed()
    }

    fn reach(
        &self,
        recipients: Vec<String>,
        at: DateTime<Utc>,
    ) -> BoxFuture<'static, Result<Reach, StoreError>> {
        let db = self.db.clone();
        async move {
            db.with_read(move |c| super::read::deliveries::reach(c, &recipients, at))
                .await
        }
        .boxed()
    }

    fn notified(&self, alert_id: &str) -> BoxFuture<'static, Result<Vec<Target>, StoreError>> {
        let db = self.db.clone();
        let alert_id = alert_id.to_owned();
        async move {
            db.with_read(move |c| super::read::deliveries::notified(c, &alert_id))
                .await
        }
        .boxed()
    }

    fn claim_deliveries(
        &self,
        node: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<DeliveryJob>, StoreError>> {
        let writer = self.writer.clone();
        let node = node.to_owned();
        async move {
            writer
                .run(move |tx| write::deliveries::claim(tx, &node, now, lease_until, limit))
                .await
        }
        .boxed()
    }

    fn response_setup(
        &self,
        center: &str,
    ) -> BoxFuture<'static, Result<Option<aegis_actors::records::ResponseSetup>, StoreError>> {
        let db = self.db.clone();
        let center = center.to_owned();
        async move {
            db.with_read(move |c| super::response_apis::setup(c, &center))
                .await
        }
        .boxed()
    }

    fn response_posted(&self, workflow_id: &str) -> BoxFuture<'static, Result<bool, StoreError>> {
        let db = self.db.clone();
        let id = workflow_id.to_owned();
        async move {
            db.with_read(move |c| super::read::responses::posted(c, &id))
                .await
        }
        .boxed()
    }

    fn claim_responses(
        &self,
        node: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<aegis_actors::records::ResponseJob>, StoreError>> {
        let writer = self.writer.clone();
        let node = node.to_owned();
        async move {
            writer
                .run(move |tx| write::responses::claim(tx, &node, now, lease_until, limit))
                .await
        }
        .boxed()
    }

    fn settle_delivery(
        &self,
        update: aegis_actors::records::DeliveryUpdate,
        at: DateTime<Utc>,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        let writer = self.writer.clone();
        async move {
            writer
                .run(move |tx| write::deliveries::settle(tx, &update, at))
                .await
        }
        .boxed()
    }

    fn investigation(
        &self,
        id: &str,
    ) -> BoxFuture<'static, Result<Option<aegis_actors::records::InvestigationRecord>, StoreError>>
    {
        let db = self.db.clone();
        let id = id.to_owned();
        async move {
            db.with_read(move |c| super::investigations::read(c, &id))
                .await?
                .map(super::investigations::record_of)
                .transpose()
        }
        .boxed()
    }

    fn ready(&self) -> BoxFuture<'static, bool> {
        let db = self.db.clone();
        async move {
            db.with_read(|conn| {
                with_conn!(conn, |c| diesel::sql_query("SELECT 1")
                    .execute(c)
                    .map_err(store_err))
            })
            .await
            .is_ok()
        }
        .boxed()
    }
}
