//! The `Bus` port in memory, for the runtime's own tests: a work queue whose deliveries come
//! back when nacked or dropped unsettled, at most `prefetch` unsettled at a time, and an
//! events broadcast. `hold_work` keeps published work queued (nobody consumes it), so tests can
//! build a backlog.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::FutureExt;
use parking_lot::Mutex;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, broadcast, mpsc};

use crate::ports::{Acker, BoxFuture, Bus, BusError, Delivery, EventMessage, WorkMessage};

#[derive(Debug, Default)]
struct Queue {
    waiting: Mutex<VecDeque<(WorkMessage, bool)>>,
    unsettled: Mutex<usize>,
    wake: Notify,
    held: AtomicBool,
}

#[derive(Debug)]
pub struct MemoryBus {
    queue: Arc<Queue>,
    events: broadcast::Sender<EventMessage>,
}

impl MemoryBus {
    pub fn new() -> Arc<Self> {
        let (events, _) = broadcast::channel(4_096);
        Arc::new(Self {
            queue: Arc::default(),
            events,
        })
    }

    /// While held, published work stays queued.
    pub fn hold_work(&self, held: bool) {
        self.queue.held.store(held, Ordering::SeqCst);
        self.queue.wake.notify_waiters();
    }
}

struct MemoryAcker {
    message: Option<WorkMessage>,
    queue: Arc<Queue>,
    _permit: OwnedSemaphorePermit,
}

impl MemoryAcker {
    fn settle(&mut self, requeue: bool) {
        if let Some(m) = self.message.take() {
            *self.queue.unsettled.lock() -= 1;
            if requeue {
                self.queue.waiting.lock().push_back((m, true));
                self.queue.wake.notify_waiters();
            }
        }
    }
}

impl Drop for MemoryAcker {
    fn drop(&mut self) {
        self.settle(true);
    }
}

impl Acker for MemoryAcker {
    fn ack(mut self: Box<Self>) -> BoxFuture<'static, Result<(), BusError>> {
        self.settle(false);
        async { Ok(()) }.boxed()
    }

    fn nack(mut self: Box<Self>, requeue: bool) -> BoxFuture<'static, Result<(), BusError>> {
        self.settle(requeue);
        async { Ok(()) }.boxed()
    }
}

impl Bus for MemoryBus {
    fn publish_work(&self, messages: Vec<WorkMessage>) -> BoxFuture<'static, Result<(), BusError>> {
        self.queue
            .waiting
            .lock()
            .extend(messages.into_iter().map(|m| (m, false)));
        self.queue.wake.notify_waiters();
        async { Ok(()) }.boxed()
    }

    fn publish_events(
        &self,
        messages: Vec<EventMessage>,
    ) -> BoxFuture<'static, Result<(), BusError>> {
        for m in messages {
            // Nobody listening is fine: events are for whoever follows along.
            let _ = self.events.send(m);
        }
        async { Ok(()) }.boxed()
    }

    fn consume_work(
        &self,
        prefetch: u16,
    ) -> BoxFuture<'static, Result<mpsc::Receiver<Delivery>, BusError>> {
        let queue = self.queue.clone();
        let (tx, rx) = mpsc::channel(usize::from(prefetch.max(1)));
        let permits = Arc::new(Semaphore::new(usize::from(prefetch.max(1))));
        tokio::spawn(async move {
            loop {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    return;
                };
                let next = loop {
                    let woken = queue.wake.notified();
                    if !queue.held.load(Ordering::SeqCst)
                        && let Some(m) = queue.waiting.lock().pop_front()
                    {
                        break m;
                    }
                    tokio::select! {
                        () = woken => {}
                        () = tx.closed() => return,
                        () = tokio::time::sleep(std::time::Duration::from_millis(20)) => {}
                    }
                };
                *queue.unsettled.lock() += 1;
                let (message, redelivered) = next;
                let acker = MemoryAcker {
                    message: Some(message.clone()),
                    queue: queue.clone(),
                    _permit: permit,
                };
                let delivery = Delivery {
                    message,
                    redelivered,
                    acker: Box::new(acker),
                };
                if tx.send(delivery).await.is_err() {
                    return;
                }
            }
        });
        async move { Ok(rx) }.boxed()
    }

    fn subscribe_events(&self) -> broadcast::Receiver<EventMessage> {
        self.events.subscribe()
    }

    fn backlog(&self) -> Option<u64> {
        let n = self.queue.waiting.lock().len() + *self.queue.unsettled.lock();
        Some(n as u64)
    }

    fn ready(&self) -> bool {
        true
    }
}
