//! The `Store` port in memory: the same contract as the database adapter (duplicate and
//! conflicting intakes, compare-and-set commits, leased timer claims, failure counts), so the
//! runtime can be tested in milliseconds without one.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aegis_workflows::lifecycle::{State, Workflow};
use aegis_workflows::revision::Sibling;
use chrono::{DateTime, Utc};
use futures::FutureExt;
use parking_lot::Mutex;

use crate::ports::{BoxFuture, Store, StoreError};
use crate::records::{
    Alert, Channel, CommitOutcome, DeadLetterRecord, DeliveryJob, DeliveryRecord, DeliveryState,
    DriveContext, EventRecord, History, IntakeOutcome, IntakeRecord, OutboxRow, Reach, ResponseJob,
    ResponseRecord, ResponseSetup, ScoreRecord, Target, TimerChange, TimerKind, TimerRecord,
    TimerSettle, TransitionCommit, WorkflowSnapshot,
};
use aegis_workflows::roster::Roster;

#[derive(Debug, Clone)]
struct StoredWorkflow {
    snapshot: WorkflowSnapshot,
    content_hash: String,
    attempts: u32,
    updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct StoredTimer {
    record: TimerRecord,
    claimed_until: Option<DateTime<Utc>>,
}

/// A delivery or response row: the record, its attempts so far and where it stands.
#[derive(Debug, Clone)]
pub struct Stored<R> {
    pub record: R,
    pub attempts: u32,
    pub state: &'static str,
    pub next_at: DateTime<Utc>,
    pub claimed_until: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

impl<R> Stored<R> {
    fn pending(record: R, at: DateTime<Utc>) -> Self {
        Self {
            record,
            attempts: 0,
            state: "pending",
            next_at: at,
            claimed_until: None,
            error: None,
        }
    }
}

pub type StoredDelivery = Stored<DeliveryRecord>;
pub type StoredResponse = Stored<ResponseRecord>;

/// Rows found by id.
pub trait RowId {
    fn row_id(&self) -> &str;
}

impl RowId for DeliveryRecord {
    fn row_id(&self) -> &str {
        &self.id
    }
}

impl RowId for ResponseRecord {
    fn row_id(&self) -> &str {
        &self.id
    }
}

#[derive(Debug, Default)]
struct Inner {
    response_setups: HashMap<String, ResponseSetup>,
    responses: Vec<StoredResponse>,
    rosters: HashMap<String, Roster>,
    channels: HashMap<String, Vec<Channel>>,
    /// Delivery rows in the order they were written.
    notifications: Vec<StoredDelivery>,
    workflows: BTreeMap<String, StoredWorkflow>,
    /// (center, ticket number, revision) → workflow id.
    revisions: HashMap<(String, String, u32), String>,
    /// (center, delivery id) → workflow id.
    deliveries: HashMap<(String, String), String>,
    events: BTreeMap<String, Vec<EventRecord>>,
    scores: HashMap<String, ScoreRecord>,
    screenings: HashMap<String, aegis_workflows::screening::Screening>,
    timers: BTreeMap<String, StoredTimer>,
    dead_letters: Vec<DeadLetterRecord>,
    /// Excavator key → (tickets, damages).
    excavators: HashMap<String, (u32, u32)>,
    investigations: HashMap<String, crate::records::InvestigationRecord>,
    commits: u64,
}

/// A store that keeps everything in memory. `fail_writes` makes every write answer
/// `Unavailable`, as a database that went away would.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    fail_writes: std::sync::atomic::AtomicBool,
}

impl MemoryStore {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn set_failing(&self, failing: bool) {
        self.fail_writes
            .store(failing, std::sync::atomic::Ordering::SeqCst);
    }

    fn writable(&self) -> Result<(), StoreError> {
        if self.fail_writes.load(std::sync::atomic::Ordering::SeqCst) {
            Err(StoreError::Unavailable(
                "the test made the store fail".into(),
            ))
        } else {
            Ok(())
        }
    }

    /// A workflow's state now.
    pub fn state(&self, workflow_id: &str) -> Option<State> {
        self.inner
            .lock()
            .workflows
            .get(workflow_id)
            .map(|w| w.snapshot.workflow.state)
    }

    pub fn alert(&self, workflow_id: &str) -> Option<Alert> {
        self.inner
            .lock()
            .workflows
            .get(workflow_id)
            .and_then(|w| w.snapshot.alert.clone())
    }

    /// A workflow's audit trail, in order.
    pub fn events(&self, workflow_id: &str) -> Vec<EventRecord> {
        self.inner
            .lock()
            .events
            .get(workflow_id)
            .cloned()
            .unwrap_or_default()
    }

    pub fn score(&self, workflow_id: &str) -> Option<ScoreRecord> {
        self.inner.lock().scores.get(workflow_id).cloned()
    }

    pub fn timers(&self, workflow_id: &str) -> Vec<TimerRecord> {
        self.inner
            .lock()
            .timers
            .values()
            .filter(|t| t.record.workflow_id == workflow_id)
            .map(|t| t.record.clone())
            .collect()
    }

    pub fn dead_letters(&self) -> Vec<DeadLetterRecord> {
        self.inner.lock().dead_letters.clone()
    }

    pub fn attempts(&self, workflow_id: &str) -> u32 {
        self.inner
            .lock()
            .workflows
            .get(workflow_id)
            .map_or(0, |w| w.attempts)
    }

    pub fn set_roster(&self, name: &str, roster: Roster) {
        self.inner.lock().rosters.insert(name.to_owned(), roster);
    }

    pub fn set_channels(&self, user: &str, channels: Vec<Channel>) {
        self.inner.lock().channels.insert(user.to_owned(), channels);
    }

    /// Gives a center a positive-response API (station and disposition → code).
    pub fn set_response_setup(&self, center: &str, setup: ResponseSetup) {
        self.inner
            .lock()
            .response_setups
            .insert(center.to_owned(), setup);
    }

    /// Every response row, in the order written.
    /// The screening stored with `workflow_id`.
    pub fn screening(&self, workflow_id: &str) -> Option<aegis_workflows::screening::Screening> {
        self.inner.lock().screenings.get(workflow_id).cloned()
    }

    pub fn responses(&self) -> Vec<StoredResponse> {
        self.inner.lock().responses.clone()
    }

    /// Every delivery row, in the order written.
    pub fn deliveries(&self) -> Vec<StoredDelivery> {
        self.inner.lock().notifications.clone()
    }

    /// Transition commits that won their compare-and-set.
    pub fn commits(&self) -> u64 {
        self.inner.lock().commits
    }
}

fn intake_one(inner: &mut Inner, r: IntakeRecord) -> IntakeOutcome {
    let delivery = (r.center.clone(), r.delivery_id.clone());
    let revision_key = (
        r.center.clone(),
        r.ticket.ticket_number.clone(),
        r.ticket.revision,
    );
    let known = inner
        .deliveries
        .get(&delivery)
        .or_else(|| inner.revisions.get(&revision_key))
        .cloned();
    if let Some(id) = known {
        let w = &inner.workflows[&id];
        let same_delivery = inner.deliveries.get(&delivery) == Some(&id);
        return if same_delivery || w.content_hash == r.content_hash {
            IntakeOutcome::Duplicate {
                workflow_id: id,
                state: w.snapshot.workflow.state,
            }
        } else {
            IntakeOutcome::RevisionConflict { workflow_id: id }
        };
    }
    if let Some(k) = &r.excavator_key {
        inner.excavators.entry(k.clone()).or_default().0 += 1;
    }
    let id = r.workflow_id.clone();
    let snapshot = WorkflowSnapshot {
        id: id.clone(),
        center: r.center.clone(),
        ticket_number: r.ticket.ticket_number.clone(),
        revision: r.ticket.revision,
        workflow: Workflow::received(),
        version: r.first_event.seq,
        last_hash: r.first_event.hash.clone(),
        ticket: r.ticket,
        excavator_key: r.excavator_key,
        alert: None,
        created_at: r.received_at,
    };
    inner.deliveries.insert(delivery, id.clone());
    inner.revisions.insert(revision_key, id.clone());
    inner.events.insert(id.clone(), vec![r.first_event]);
    inner.workflows.insert(
        id.clone(),
        StoredWorkflow {
            snapshot,
            content_hash: r.content_hash,
            attempts: 0,
            updated_at: r.received_at,
        },
    );
    IntakeOutcome::Accepted { workflow_id: id }
}

/// Claims up to `limit` due pending rows until `lease_until`: (record, this attempt's number).
fn claim<R: Clone>(
    rows: &mut [Stored<R>],
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: usize,
) -> Vec<(R, u32)> {
    rows.iter_mut()
        .filter(|d| {
            d.state == "pending" && d.next_at <= now && d.claimed_until.is_none_or(|c| c <= now)
        })
        .take(limit)
        .map(|d| {
            d.claimed_until = Some(lease_until);
            (d.record.clone(), d.attempts + 1)
        })
        .collect()
}

/// One attempt's outcome on its row; the claim is released.
fn settle<R: RowId>(rows: &mut [Stored<R>], u: &crate::records::DeliveryUpdate) {
    if let Some(d) = rows.iter_mut().find(|d| d.record.row_id() == u.id) {
        d.attempts = u.attempts;
        d.state = u.state.as_str();
        d.error = u.error.clone();
        d.claimed_until = None;
        if let DeliveryState::Pending { next_at } = u.state {
            d.next_at = next_at;
        }
    }
}

fn commit_one(inner: &mut Inner, c: &TransitionCommit) -> CommitOutcome {
    let Some(w) = inner.workflows.get_mut(&c.workflow_id) else {
        return CommitOutcome::Conflict;
    };
    if w.snapshot.version != c.expected_version {
        return CommitOutcome::Conflict;
    }
    if c.events.is_empty() {
        return CommitOutcome::Committed;
    }
    w.snapshot.workflow = c.workflow.clone();
    w.snapshot.version = c.new_version();
    if let Some(last) = c.events.last() {
        w.snapshot.last_hash = last.hash.clone();
    }
    if let Some(a) = &c.alert {
        w.snapshot.alert = Some(a.clone());
    }
    w.attempts = 0;
    w.updated_at = c.at;
    inner.commits += 1;
    inner
        .events
        .entry(c.workflow_id.clone())
        .or_default()
        .extend(c.events.iter().cloned());
    if let Some(s) = &c.score {
        inner.scores.insert(c.workflow_id.clone(), s.clone());
    }
    if let Some(s) = &c.screening {
        inner.screenings.insert(c.workflow_id.clone(), s.clone());
    }
    if let Some(i) = &c.investigation {
        inner.investigations.insert(i.id.clone(), i.clone());
    }
    for t in &c.timers {
        match t {
            TimerChange::Add(r) => {
                inner.timers.insert(
                    r.id.clone(),
                    StoredTimer {
                        record: r.clone(),
                        claimed_until: None,
                    },
                );
            }
            TimerChange::Remove(id) => {
                inner.timers.remove(id);
            }
            TimerChange::RemoveAll => inner
                .timers
                .retain(|_, t| t.record.workflow_id != c.workflow_id),
            TimerChange::RemoveEscalations => inner.timers.retain(|_, t| {
                t.record.workflow_id != c.workflow_id
                    || !matches!(t.record.kind, TimerKind::Escalate { .. })
            }),
        }
    }
    if let Some(d) = &c.dead_letter {
        inner.dead_letters.push(d.clone());
    }
    inner.notifications.extend(
        c.deliveries
            .iter()
            .map(|r| Stored::pending(r.clone(), r.created_at)),
    );
    inner.responses.extend(
        c.responses
            .iter()
            .map(|r| Stored::pending(r.clone(), r.created_at)),
    );
    if let Some(u) = &c.response_update {
        settle(&mut inner.responses, u);
    }
    if let Some(u) = &c.delivery_update {
        settle(&mut inner.notifications, u);
    }
    CommitOutcome::Committed
}

impl Store for MemoryStore {
    fn intake(
        &self,
        record: IntakeRecord,
    ) -> BoxFuture<'static, Result<IntakeOutcome, StoreError>> {
        let out = self
            .writable()
            .map(|()| intake_one(&mut self.inner.lock(), record));
        async move { out }.boxed()
    }

    fn dead_letter(&self, record: DeadLetterRecord) -> BoxFuture<'static, Result<(), StoreError>> {
        let out = self.writable().map(|()| {
            let mut inner = self.inner.lock();
            if !inner.dead_letters.iter().any(|d| d.id == record.id) {
                inner.dead_letters.push(record);
            }
        });
        async move { out }.boxed()
    }

    fn load(
        &self,
        workflow_id: &str,
    ) -> BoxFuture<'static, Result<Option<WorkflowSnapshot>, StoreError>> {
        let found = self
            .inner
            .lock()
            .workflows
            .get(workflow_id)
            .map(|w| w.snapshot.clone());
        async move { Ok(found) }.boxed()
    }

    fn commit(
        &self,
        commit: Arc<TransitionCommit>,
    ) -> BoxFuture<'static, Result<CommitOutcome, StoreError>> {
        let out = self
            .writable()
            .map(|()| commit_one(&mut self.inner.lock(), &commit));
        async move { out }.boxed()
    }

    fn settle_timers(&self, settle: TimerSettle) -> BoxFuture<'static, Result<(), StoreError>> {
        let out = self.writable().map(|()| {
            let mut inner = self.inner.lock();
            for id in &settle.timer_ids {
                inner.timers.remove(id);
            }
        });
        async move { out }.boxed()
    }

    fn record_failure(
        &self,
        workflow_id: &str,
        _error: &str,
    ) -> BoxFuture<'static, Result<u32, StoreError>> {
        let out = self.writable().and_then(|()| {
            let mut inner = self.inner.lock();
            let w = inner
                .workflows
                .get_mut(workflow_id)
                .ok_or_else(|| StoreError::Failed("no such workflow".into()))?;
            w.attempts += 1;
            Ok(w.attempts)
        });
        async move { out }.boxed()
    }

    fn drive_context(
        &self,
        center: &str,
        ticket_number: &str,
        workflow_id: &str,
        excavator_key: Option<&str>,
    ) -> BoxFuture<'static, Result<DriveContext, StoreError>> {
        let inner = self.inner.lock();
        let siblings = inner
            .workflows
            .values()
            .map(|w| &w.snapshot)
            .filter(|s| s.center == center && s.ticket_number == ticket_number)
            .filter(|s| s.id != workflow_id)
            .map(|s| Sibling {
                workflow_id: s.id.clone(),
                revision: s.revision,
                state: s.workflow.state,
            })
            .collect();
        let history = excavator_key.map(|k| {
            let (t, d) = inner.excavators.get(k).copied().unwrap_or_default();
            History {
                prior_tickets: t,
                prior_damages: d,
            }
        });
        async move { Ok(DriveContext { siblings, history }) }.boxed()
    }

    fn stalled(
        &self,
        states: &[State],
        before: DateTime<Utc>,
        after: Option<String>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<String>, StoreError>> {
        let ids = self
            .inner
            .lock()
            .workflows
            .values()
            .filter(|w| states.contains(&w.snapshot.workflow.state) && w.updated_at < before)
            .map(|w| w.snapshot.id.clone())
            .filter(|id| after.as_ref().is_none_or(|a| id > a))
            .take(limit)
            .collect();
        async move { Ok(ids) }.boxed()
    }

    fn claim_timers(
        &self,
        now: DateTime<Utc>,
        _node: &str,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<TimerRecord>, StoreError>> {
        let out = self.writable().map(|()| {
            let mut inner = self.inner.lock();
            inner
                .timers
                .values_mut()
                .filter(|t| t.record.due_at <= now && t.claimed_until.is_none_or(|c| c <= now))
                .take(limit)
                .map(|t| {
                    t.claimed_until = Some(lease_until);
                    t.record.clone()
                })
                .collect()
        });
        async move { out }.boxed()
    }

    fn next_timer(&self) -> BoxFuture<'static, Result<Option<DateTime<Utc>>, StoreError>> {
        let next = self
            .inner
            .lock()
            .timers
            .values()
            .filter(|t| t.claimed_until.is_none())
            .map(|t| t.record.due_at)
            .min();
        async move { Ok(next) }.boxed()
    }

    fn claim_outbox(
        &self,
        _node: &str,
        _now: DateTime<Utc>,
        _lease_until: DateTime<Utc>,
        _limit: usize,
    ) -> BoxFuture<'static, Result<Vec<OutboxRow>, StoreError>> {
        // Like the embedded database, this store keeps no outbox: events go straight to the
        // in-process bus after the commit.
        async move { Ok(Vec::new()) }.boxed()
    }

    fn outbox_sent(&self, _ids: Vec<i64>) -> BoxFuture<'static, Result<(), StoreError>> {
        async move { Ok(()) }.boxed()
    }

    fn reach(
        &self,
        recipients: Vec<String>,
        at: DateTime<Utc>,
    ) -> BoxFuture<'static, Result<Reach, StoreError>> {
        let inner = self.inner.lock();
        let none: &[Channel] = &[];
        let reach = aegis_workflows::notification::reach(
            &recipients,
            at,
            |n| inner.rosters.get(n),
            |u| inner.channels.get(u).map_or(none, Vec::as_slice),
        );
        async move { Ok(reach) }.boxed()
    }

    fn notified(&self, alert_id: &str) -> BoxFuture<'static, Result<Vec<Target>, StoreError>> {
        let mut out: Vec<Target> = Vec::new();
        for d in &self.inner.lock().notifications {
            let t = Target {
                user: d.record.user.clone(),
                channel: d.record.channel.clone(),
            };
            if d.record.subject.alert_id() == Some(alert_id) && !out.contains(&t) {
                out.push(t);
            }
        }
        async move { Ok(out) }.boxed()
    }

    fn claim_deliveries(
        &self,
        _node: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<DeliveryJob>, StoreError>> {
        let out = self.writable().map(|()| {
            claim(
                &mut self.inner.lock().notifications,
                now,
                lease_until,
                limit,
            )
            .into_iter()
            .map(|(record, attempt)| DeliveryJob { record, attempt })
            .collect()
        });
        async move { out }.boxed()
    }

    fn response_setup(
        &self,
        center: &str,
    ) -> BoxFuture<'static, Result<Option<ResponseSetup>, StoreError>> {
        let out = self
            .writable()
            .map(|()| self.inner.lock().response_setups.get(center).cloned());
        async move { out }.boxed()
    }

    fn investigation(
        &self,
        id: &str,
    ) -> BoxFuture<'static, Result<Option<crate::records::InvestigationRecord>, StoreError>> {
        let out = self.inner.lock().investigations.get(id).cloned();
        async move { Ok(out) }.boxed()
    }

    fn response_posted(&self, workflow_id: &str) -> BoxFuture<'static, Result<bool, StoreError>> {
        let out = self.writable().map(|()| {
            self.inner
                .lock()
                .responses
                .iter()
                .any(|r| r.record.workflow_id == workflow_id && r.state == "sent")
        });
        async move { out }.boxed()
    }

    fn claim_responses(
        &self,
        _node: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> BoxFuture<'static, Result<Vec<ResponseJob>, StoreError>> {
        let out = self.writable().map(|()| {
            claim(&mut self.inner.lock().responses, now, lease_until, limit)
                .into_iter()
                .map(|(record, attempt)| ResponseJob { record, attempt })
                .collect()
        });
        async move { out }.boxed()
    }

    fn settle_delivery(
        &self,
        u: crate::records::DeliveryUpdate,
        _at: DateTime<Utc>,
    ) -> BoxFuture<'static, Result<(), StoreError>> {
        let out = self
            .writable()
            .map(|()| settle(&mut self.inner.lock().notifications, &u));
        async move { out }.boxed()
    }

    fn ready(&self) -> BoxFuture<'static, bool> {
        let ok = self.writable().is_ok();
        async move { ok }.boxed()
    }
}
