//! The writer: dedicated threads that own the write connections and commit many operations per
//! transaction (group commit).
//!
//! A thread blocks for the first operation, then takes whatever else is already queued (up to
//! `max_batch`) and commits them together, so a lone ticket waits for nobody while a burst
//! shares one fsync. If a batch fails, each of its operations is retried in a transaction of its
//! own, so one bad operation cannot sink the others.

use std::thread;
use std::time::Instant;

use aegis_actors::ports::StoreError;
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use diesel::Connection;
use diesel::result::Error as DieselError;
use diesel::{PgConnection, SqliteConnection};

use super::{AnyConn, Db};

/// A connection inside the writer's transaction.
pub enum Tx<'a> {
    Sqlite(&'a mut SqliteConnection),
    Pg(&'a mut PgConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection inside a [`Tx`].
#[macro_export]
macro_rules! with_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::db::writer::Tx::Sqlite($c) => {
                let $c: &mut ::diesel::SqliteConnection = &mut **$c;
                $body
            }
            $crate::db::writer::Tx::Pg($c) => {
                let $c: &mut ::diesel::PgConnection = &mut **$c;
                $body
            }
        }
    };
}

/// One write. `apply` may run twice (in a batch, then alone after the batch failed), so it
/// must record its outcome afresh each time; `finish` hands the outcome to the caller.
pub trait WriteOp: Send {
    fn apply(&mut self, tx: &mut Tx<'_>) -> Result<(), DieselError>;
    fn finish(self: Box<Self>, result: Result<(), StoreError>);
}

/// Where operations are queued for the writer threads.
#[derive(Clone)]
pub struct Writer {
    tx: Sender<Box<dyn WriteOp>>,
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
        let (tx, rx) = bounded::<Box<dyn WriteOp>>(queue.max(1));
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

    /// Queues an operation; refuses at once when the queue is full.
    pub fn submit(&self, op: Box<dyn WriteOp>) {
        match self.tx.try_send(op) {
            Ok(()) => {}
            Err(TrySendError::Full(op)) => op.finish(Err(StoreError::Overloaded)),
            Err(TrySendError::Disconnected(op)) => op.finish(Err(StoreError::Unavailable(
                "the writer has stopped".into(),
            ))),
        }
    }

    /// Operations waiting for a writer thread.
    pub fn queued(&self) -> usize {
        self.tx.len()
    }
}

fn run(db: Db, rx: Receiver<Box<dyn WriteOp>>, max_batch: usize) {
    let mut batch: Vec<Box<dyn WriteOp>> = Vec::with_capacity(max_batch);
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
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

fn in_transaction(conn: &mut AnyConn, ops: &mut [Box<dyn WriteOp>]) -> Result<(), DieselError> {
    match conn {
        AnyConn::Sqlite(c) => c.transaction(|c| {
            let mut tx = Tx::Sqlite(c);
            ops.iter_mut().try_for_each(|op| op.apply(&mut tx))
        }),
        AnyConn::Pg(c) => c.transaction(|c| {
            let mut tx = Tx::Pg(c);
            ops.iter_mut().try_for_each(|op| op.apply(&mut tx))
        }),
    }
}

fn commit_batch(db: &Db, batch: &mut Vec<Box<dyn WriteOp>>) {
    let mut conn = match db.write() {
        Ok(c) => c,
        Err(e) => {
            for op in batch.drain(..) {
                op.finish(Err(e.clone()));
            }
            return;
        }
    };
    match in_transaction(&mut conn, batch) {
        Ok(()) => {
            for op in batch.drain(..) {
                op.finish(Ok(()));
            }
        }
        Err(e) if batch.len() == 1 => {
            let err = super::pool::store_err(e);
            for op in batch.drain(..) {
                op.finish(Err(err.clone()));
            }
        }
        Err(e) => {
            tracing::debug!(error = %e, size = batch.len(), "batch failed; committing one by one");
            for mut op in batch.drain(..) {
                let res = in_transaction(&mut conn, std::slice::from_mut(&mut op));
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
        self.submit(Box::new(FnOp {
            f,
            out: None,
            reply,
        }));
        rx.await
            .map_err(|_| StoreError::Unavailable("the writer dropped the operation".into()))?
    }
}
