//! The in-process bus: a bounded work queue with acknowledgements, and a broadcast for events.
//!
//! Semantics match the broker's within one process: a delivery that is nacked with requeue, or
//! dropped unsettled, goes back on the queue; at most `prefetch` deliveries are unsettled at a
//! time. Nothing survives the process, which is fine: the store is the source of truth and the
//! sweeper re-drives every unfinished workflow at start-up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aegis_actors::ports::{Acker, BoxFuture, Bus, BusError, Delivery, EventMessage, WorkMessage};
use futures::FutureExt;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore, broadcast, mpsc};

use crate::telemetry::names;

pub struct InProcessBus {
    work_tx: mpsc::Sender<(WorkMessage, bool)>,
    work_rx: Arc<Mutex<mpsc::Receiver<(WorkMessage, bool)>>>,
    events: broadcast::Sender<EventMessage>,
    queued: Arc<AtomicU64>,
    unacked: Arc<AtomicU64>,
}

impl std::fmt::Debug for InProcessBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessBus")
            .field("queued", &self.queued.load(Ordering::Relaxed))
            .finish()
    }
}

impl InProcessBus {
    pub fn new(capacity: usize) -> Arc<Self> {
        let (work_tx, work_rx) = mpsc::channel(capacity.max(1));
        let (events, _) = broadcast::channel(65_536);
        Arc::new(Self {
            work_tx,
            work_rx: Arc::new(Mutex::new(work_rx)),
            events,
            queued: Arc::new(AtomicU64::new(0)),
            unacked: Arc::new(AtomicU64::new(0)),
        })
    }
}

struct InProcessAcker {
    message: Option<WorkMessage>,
    requeue: mpsc::Sender<(WorkMessage, bool)>,
    queued: Arc<AtomicU64>,
    unacked: Arc<AtomicU64>,
    _permit: OwnedSemaphorePermit,
}

impl InProcessAcker {
    fn settle(&mut self, requeue: bool) {
        if let Some(m) = self.message.take() {
            self.unacked.fetch_sub(1, Ordering::Relaxed);
            if requeue {
                self.queued.fetch_add(1, Ordering::Relaxed);
                metrics::counter!(names::BUS_REDELIVERED).increment(1);
                if self.requeue.try_send((m, true)).is_err() {
                    // The queue is full or gone; the sweeper finds the workflow stalled later.
                    self.queued.fetch_sub(1, Ordering::Relaxed);
                    metrics::counter!(names::BUS_ERRORS, "op" => "requeue").increment(1);
                }
            }
        }
    }
}

impl Drop for InProcessAcker {
    fn drop(&mut self) {
        self.settle(true);
    }
}

impl Acker for InProcessAcker {
    fn ack(mut self: Box<Self>) -> BoxFuture<'static, Result<(), BusError>> {
        self.settle(false);
        async { Ok(()) }.boxed()
    }

    fn nack(mut self: Box<Self>, requeue: bool) -> BoxFuture<'static, Result<(), BusError>> {
        self.settle(requeue);
        async { Ok(()) }.boxed()
    }
}

impl Bus for InProcessBus {
    fn publish_work(&self, messages: Vec<WorkMessage>) -> BoxFuture<'static, Result<(), BusError>> {
        let tx = self.work_tx.clone();
        let queued = self.queued.clone();
        async move {
            let n = messages.len() as u64;
            for m in messages {
                queued.fetch_add(1, Ordering::Relaxed);
                if tx.send((m, false)).await.is_err() {
                    queued.fetch_sub(1, Ordering::Relaxed);
                    return Err(BusError::Unavailable("the work queue is closed".into()));
                }
            }
            metrics::counter!(names::BUS_PUBLISHED, "kind" => "work").increment(n);
            Ok(())
        }
        .boxed()
    }

    fn publish_events(
        &self,
        messages: Vec<EventMessage>,
    ) -> BoxFuture<'static, Result<(), BusError>> {
        let n = messages.len() as u64;
        for m in messages {
            // No subscriber is not an error: events are for whoever follows along.
            let _ = self.events.send(m);
        }
        metrics::counter!(names::BUS_PUBLISHED, "kind" => "event").increment(n);
        async { Ok(()) }.boxed()
    }

    fn consume_work(
        &self,
        prefetch: u16,
    ) -> BoxFuture<'static, Result<mpsc::Receiver<Delivery>, BusError>> {
        let rx = self.work_rx.clone();
        let requeue = self.work_tx.clone();
        let queued = self.queued.clone();
        let unacked = self.unacked.clone();
        async move {
            let (out_tx, out_rx) = mpsc::channel(usize::from(prefetch.max(1)));
            let permits = Arc::new(Semaphore::new(usize::from(prefetch.max(1))));
            tokio::spawn(async move {
                // One consumer at a time holds the queue; a restarted consumer waits for the
                // previous pump to notice its consumer is gone and let go.
                let mut rx = rx.lock().await;
                loop {
                    let permit = tokio::select! {
                        p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
                        _ = out_tx.closed() => return,
                    };
                    let (message, redelivered) = tokio::select! {
                        m = rx.recv() => match m { Some(m) => m, None => return },
                        _ = out_tx.closed() => return,
                    };
                    queued.fetch_sub(1, Ordering::Relaxed);
                    unacked.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!(names::BUS_CONSUMED).increment(1);
                    let acker = InProcessAcker {
                        message: Some(message.clone()),
                        requeue: requeue.clone(),
                        queued: queued.clone(),
                        unacked: unacked.clone(),
                        _permit: permit,
                    };
                    let delivery = Delivery {
                        message,
                        redelivered,
                        acker: Box::new(acker),
                    };
                    if out_tx.send(delivery).await.is_err() {
                        return;
                    }
                }
            });
            Ok(out_rx)
        }
        .boxed()
    }

    fn subscribe_events(&self) -> broadcast::Receiver<EventMessage> {
        self.events.subscribe()
    }

    fn backlog(&self) -> Option<u64> {
        Some(self.queued.load(Ordering::Relaxed) + self.unacked.load(Ordering::Relaxed))
    }

    fn ready(&self) -> bool {
        !self.work_tx.is_closed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn nacked_and_dropped_deliveries_come_back() {
        let bus = InProcessBus::new(16);
        let mut rx = bus.consume_work(4).await.unwrap();
        bus.publish_work(vec![WorkMessage::drive("a"), WorkMessage::drive("b")])
            .await
            .unwrap();
        let d1 = rx.recv().await.unwrap();
        let d2 = rx.recv().await.unwrap();
        assert_eq!(bus.backlog(), Some(2));
        d1.acker.nack(true).await.unwrap();
        drop(d2);
        let mut again = vec![rx.recv().await.unwrap(), rx.recv().await.unwrap()];
        again.sort_by(|x, y| x.message.workflow_id.cmp(&y.message.workflow_id));
        assert_eq!(again[0].message.workflow_id, "a");
        assert!(again.iter().all(|d| d.redelivered));
        for d in again {
            d.acker.ack().await.unwrap();
        }
        assert_eq!(bus.backlog(), Some(0));
    }

    #[tokio::test]
    async fn prefetch_bounds_unsettled_deliveries() {
        let bus = InProcessBus::new(16);
        let mut rx = bus.consume_work(2).await.unwrap();
        let msgs = (0..5).map(|i| WorkMessage::drive(&i.to_string())).collect();
        bus.publish_work(msgs).await.unwrap();
        let a = rx.recv().await.unwrap();
        let _b = rx.recv().await.unwrap();
        let third = tokio::time::timeout(std::time::Duration::from_millis(100), rx.recv()).await;
        assert!(
            third.is_err(),
            "a third delivery arrived with two unsettled"
        );
        a.acker.ack().await.unwrap();
        let third = tokio::time::timeout(std::time::Duration::from_secs(1), rx.recv()).await;
        assert!(third.is_ok());
    }
}
