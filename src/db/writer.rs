//! The writer: dedicated threads that own the write connections and commit many operations per
//! transaction (group commit).
//!
//! A thread blocks for the first operation, then takes whatever else is already queued (up to
//! `max_batch`) and commits them together, so a lone ticket waits for nobody while a burst
//! shares one fsync and one multi-row statement per table. If a batch fails, each of its
//! operations is retried in a transaction of its own, so one bad operation cannot sink the
//! others.

use std::thread;
use std::time::Instant;

use aegis_actors::ports::StoreError;
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use diesel::Connection;
use diesel::result::Error as DieselError;

use std::sync::Arc;

use aegis_actors::records::{CommitOutcome, IntakeOutcome, IntakeRecord, TransitionCommit};
use tokio::sync::oneshot;

use super::tx::Tx;
use super::write::{new_ticket, transition};
use super::{AnyConn, Db};

/// One write. `apply` may run twice (in a batch, then alone after the batch failed), so it
/// must record its outcome afresh each time; `finish` hands the outcome to the caller.
pub trait WriteOp: Send {
    fn apply(&mut self, tx: &mut Tx<'_>) -> Result<(), DieselError>;
    fn finish(self: Box<Self>, result: Result<(), StoreError>);
}

/// A queued write. Intakes and transition commits, the bulk of the traffic, are written with
/// one multi-row statement per table for the whole batch; other operations run one by one
/// inside the same transaction.
pub enum Job {
    Intake(
        Box<IntakeRecord>,
        oneshot::Sender<Result<IntakeOutcome, StoreError>>,
    ),
    Commit(
        Arc<TransitionCommit>,
        oneshot::Sender<Result<CommitOutcome, StoreError>>,
    ),
    Op(Box<dyn WriteOp>),
}

/// Where operations are queued for the writer threads.
#[derive(Clone)]
pub struct Writer {
    tx: Sender<Job>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("queued", &self.tx.len())
            .finish()
    }
}

impl Writer {
    /// Starts the writer threads (`db.writer_count()` of them).
    pub fn start(db: Db, queue: usize, max_batch: usize) -> Self {
        let (tx, rx) = bounded::<Job>(queue.max(1));
        for i in 0..db.writer_count() {
            let rx = rx.clone();
            let db = db.clone();
            let spawned = thread::Builder::new()
                .name(format!("aegis-writer-{i}"))
                .spawn(move || run(db, rx, max_batch.max(1)));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a writer thread");
            }
        }
        Self { tx }
    }

    /// Queues a job; refuses at once when the queue is full.
    fn submit(&self, job: Job) {
        match self.tx.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(job)) => job.fail(StoreError::Overloaded),
            Err(TrySendError::Disconnected(job)) => {
                job.fail(StoreError::Unavailable("the writer has stopped".into()))
            }
        }
    }

    /// Operations waiting for a writer thread.
    pub fn queued(&self) -> usize {
        self.tx.len()
    }

    pub async fn intake(&self, record: IntakeRecord) -> Result<IntakeOutcome, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.submit(Job::Intake(Box::new(record), reply));
        rx.await
            .map_err(|_| StoreError::Unavailable("the writer dropped the operation".into()))?
    }

    pub async fn commit(&self, commit: Arc<TransitionCommit>) -> Result<CommitOutcome, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.submit(Job::Commit(commit, reply));
        rx.await
            .map_err(|_| StoreError::Unavailable("the writer dropped the operation".into()))?
    }
}

impl Job {
    fn fail(self, e: StoreError) {
        match self {
            Job::Intake(_, r) => {
                let _ = r.send(Err(e));
            }
            Job::Commit(_, r) => {
                let _ = r.send(Err(e));
            }
            Job::Op(op) => op.finish(Err(e)),
        }
    }
}

fn run(db: Db, rx: Receiver<Job>, max_batch: usize) {
    let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let size = batch.len();
        commit_batch(&db, &mut batch);
        metrics::histogram!(crate::telemetry::names::DB_BATCH_SIZE).record(size as f64);
        metrics::histogram!(crate::telemetry::names::DB_COMMIT_SECONDS)
            .record(started.elapsed().as_secs_f64());
    }
}

/// The jobs of a batch, split by kind.
#[derive(Default)]
struct Split {
    intakes: Vec<IntakeRecord>,
    intake_replies: Vec<oneshot::Sender<Result<IntakeOutcome, StoreError>>>,
    commits: Vec<Arc<TransitionCommit>>,
    commit_replies: Vec<oneshot::Sender<Result<CommitOutcome, StoreError>>>,
    ops: Vec<Box<dyn WriteOp>>,
}

/// What a batch transaction produced.
struct Outcomes {
    intakes: Vec<IntakeOutcome>,
    commits: Vec<CommitOutcome>,
}

fn transaction<T>(
    conn: &mut AnyConn,
    f: impl FnOnce(&mut Tx<'_>) -> Result<T, DieselError>,
) -> Result<T, DieselError> {
    match conn {
        AnyConn::Sqlite(c) => c.transaction(|c| f(&mut Tx::Sqlite(c))),
        AnyConn::Pg(c) => c.transaction(|c| f(&mut Tx::Pg(c))),
    }
}

fn commit_batch(db: &Db, batch: &mut Vec<Job>) {
    let mut conn = match db.write() {
        Ok(c) => c,
        Err(e) => {
            for job in batch.drain(..) {
                job.fail(e.clone());
            }
            return;
        }
    };
    let mut split = Split::default();
    for job in batch.drain(..) {
        match job {
            Job::Intake(r, reply) => {
                split.intakes.push(*r);
                split.intake_replies.push(reply);
            }
            Job::Commit(c, reply) => {
                split.commits.push(c);
                split.commit_replies.push(reply);
            }
            Job::Op(op) => split.ops.push(op),
        }
    }
    let together = transaction(&mut conn, |tx| {
        let intakes = new_ticket::intake_many(tx, &split.intakes)?;
        let commits = transition::commit_many(tx, &split.commits)?;
        for op in split.ops.iter_mut() {
            op.apply(tx)?;
        }
        Ok(Outcomes { intakes, commits })
    });
    match together {
        Ok(out) => {
            for (reply, o) in split.intake_replies.into_iter().zip(out.intakes) {
                let _ = reply.send(Ok(o));
            }
            for (reply, o) in split.commit_replies.into_iter().zip(out.commits) {
                let _ = reply.send(Ok(o));
            }
            for op in split.ops {
                op.finish(Ok(()));
            }
        }
        Err(e) => {
            // One bad job must not sink the others: each goes again in a transaction of its own.
            tracing::debug!(error = %e, "batch failed; committing one by one");
            for (r, reply) in split.intakes.iter().zip(split.intake_replies) {
                let res = transaction(&mut conn, |tx| {
                    new_ticket::intake_many(tx, std::slice::from_ref(r))?
                        .pop()
                        .ok_or(DieselError::NotFound)
                });
                let _ = reply.send(res.map_err(super::pool::store_err));
            }
            for (c, reply) in split.commits.iter().zip(split.commit_replies) {
                let res = transaction(&mut conn, |tx| {
                    transition::commit_many(tx, std::slice::from_ref(c))?
                        .pop()
                        .ok_or(DieselError::NotFound)
                });
                let _ = reply.send(res.map_err(super::pool::store_err));
            }
            for mut op in split.ops {
                let res = transaction(&mut conn, |tx| op.apply(tx));
                op.finish(res.map_err(super::pool::store_err));
            }
        }
    }
}

/// An operation made of a closure; its result goes back through a oneshot channel.
struct FnOp<T, F> {
    f: F,
    out: Option<T>,
    reply: tokio::sync::oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> WriteOp for FnOp<T, F>
where
    T: Send,
    F: FnMut(&mut Tx<'_>) -> Result<T, DieselError> + Send,
{
    fn apply(&mut self, tx: &mut Tx<'_>) -> Result<(), DieselError> {
        self.out = Some((self.f)(tx)?);
        Ok(())
    }

    fn finish(self: Box<Self>, result: Result<(), StoreError>) {
        let this = *self;
        let res = result.and_then(|()| {
            this.out
                .ok_or_else(|| StoreError::Failed("a write finished without a result".into()))
        });
        // The caller may have gone away (a client disconnected); the write stands regardless.
        let _ = this.reply.send(res);
    }
}

impl Writer {
    /// Runs `f` in the next batch and returns its result once the batch is committed.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&mut Tx<'_>) -> Result<T, DieselError> + Send + 'static,
    {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.submit(Job::Op(Box::new(FnOp {
            f,
            out: None,
            reply,
        })));
        rx.await
            .map_err(|_| StoreError::Unavailable("the writer dropped the operation".into()))?
    }
}
