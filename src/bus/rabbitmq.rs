//! The RabbitMQ bus (lapin), for several nodes sharing one PostgreSQL and one broker.
//!
//! Topology, declared at start-up and after every reconnection (names carry `bus.prefix`):
//! - `{p}.work`: a durable quorum queue, competing consumers on every node, manual acks after
//!   commit, bounded prefetch; a message delivered 20 times goes to the dead-letter exchange.
//! - `{p}.dlx` (fanout) → `{p}.dead`: where poison work ends for operators.
//! - `{p}.events`: a topic exchange with a message per committed transition (`ticket.scored`,
//!   `alert.raised`, …); each node follows it through a private queue to feed live streams.
//!
//! Every publish waits for the broker's confirm. A manager task keeps one connection, opens it
//! again with backoff when it drops, and re-declares the topology; consumers whose channel
//! died end their stream and are restarted by their supervisor, and the broker redelivers what
//! they had not acknowledged.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use aegis_actors::ports::{Acker, BoxFuture, Bus, BusError, Delivery, EventMessage, WorkMessage};
use futures::{FutureExt, StreamExt};
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use parking_lot::RwLock;
use tokio::sync::{Notify, broadcast, mpsc};

use crate::telemetry::names;

/// How long a publish waits for a lost connection to come back before giving up.
const RECONNECT_WAIT: Duration = Duration::from_secs(5);
/// Deliveries of one work message before the broker dead-letters it.
const DELIVERY_LIMIT: i64 = 20;

/// Queue and exchange names under one prefix.
#[derive(Debug, Clone)]
pub struct Names {
    pub work: String,
    pub events: String,
    pub dlx: String,
    pub dead: String,
}

impl Names {
    pub fn new(prefix: &str) -> Self {
        Self {
            work: format!("{prefix}.work"),
            events: format!("{prefix}.events"),
            dlx: format!("{prefix}.dlx"),
            dead: format!("{prefix}.dead"),
        }
    }
}

#[derive(Clone)]
struct Link {
    conn: Arc<Connection>,
    publish: Channel,
}

pub struct RabbitBus {
    names: Names,
    link: Arc<RwLock<Option<Link>>>,
    changed: Arc<Notify>,
    lost: Arc<Notify>,
    events: broadcast::Sender<EventMessage>,
    backlog: Arc<AtomicU64>,
    ready: Arc<AtomicBool>,
}

impl std::fmt::Debug for RabbitBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitBus")
            .field("names", &self.names)
            .field("ready", &self.ready.load(Ordering::Relaxed))
            .finish()
    }
}

fn unavailable(e: impl std::fmt::Display) -> BusError {
    BusError::Unavailable(e.to_string())
}

async fn declare(ch: &Channel, n: &Names) -> lapin::Result<()> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    ch.exchange_declare(
        n.dlx.as_str().into(),
        ExchangeKind::Fanout,
        durable,
        FieldTable::default(),
    )
    .await?;
    ch.queue_declare(
        n.dead.as_str().into(),
        QueueDeclareOptions::durable(),
        FieldTable::default(),
    )
    .await?;
    ch.queue_bind(
        n.dead.as_str().into(),
        n.dlx.as_str().into(),
        "".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await?;
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    args.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(n.dlx.as_str().into()),
    );
    args.insert(
        "x-delivery-limit".into(),
        AMQPValue::LongLongInt(DELIVERY_LIMIT),
    );
    ch.queue_declare(n.work.as_str().into(), QueueDeclareOptions::durable(), args)
        .await?;
    ch.exchange_declare(
        n.events.as_str().into(),
        ExchangeKind::Topic,
        durable,
        FieldTable::default(),
    )
    .await?;
    Ok(())
}

async fn connect(url: &str, name: &str, n: &Names) -> lapin::Result<Link> {
    let props = ConnectionProperties::default().with_connection_name(name.into());
    let conn = Connection::connect(url, props).await?;
    let publish = conn.create_channel().await?;
    declare(&publish, n).await?;
    publish
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    Ok(Link {
        conn: Arc::new(conn),
        publish,
    })
}

/// Follows the events exchange through a private queue and rebroadcasts inside the process.
async fn follow_events(
    link: Link,
    n: Names,
    tx: broadcast::Sender<EventMessage>,
) -> lapin::Result<()> {
    let ch = link.conn.create_channel().await?;
    let q = ch
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    ch.queue_bind(
        q.name().clone(),
        n.events.as_str().into(),
        "#".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await?;
    let mut consumer = ch
        .basic_consume(
            q.name().clone(),
            "".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..BasicConsumeOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    while let Some(d) = consumer.next().await {
        let d = d?;
        let Ok(payload) = String::from_utf8(d.data) else {
            continue;
        };
        // Aegis always sets both; an event another publisher left without them is still shown
        // to subscribers, with empty ids.
        let message_id = d
            .properties
            .message_id()
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_default();
        let workflow_id = d
            .properties
            .correlation_id()
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_default();
        let _ = tx.send(EventMessage {
            schema: aegis_actors::ports::bus::MESSAGE_SCHEMA,
            message_id,
            routing_key: d.routing_key.to_string(),
            workflow_id,
            payload,
        });
    }
    Ok(())
}

impl RabbitBus {
    /// Starts the connection manager; the bus becomes ready once the broker answers.
    pub fn start(url: String, prefix: &str, node: String) -> Arc<Self> {
        let (events, _) = broadcast::channel(65_536);
        let bus = Arc::new(Self {
            names: Names::new(prefix),
            link: Arc::new(RwLock::new(None)),
            changed: Arc::new(Notify::new()),
            lost: Arc::new(Notify::new()),
            events,
            backlog: Arc::new(AtomicU64::new(0)),
            ready: Arc::new(AtomicBool::new(false)),
        });
        let (link, changed, lost, names, tx, ready, backlog) = (
            bus.link.clone(),
            bus.changed.clone(),
            bus.lost.clone(),
            bus.names.clone(),
            bus.events.clone(),
            bus.ready.clone(),
            bus.backlog.clone(),
        );
        tokio::spawn(async move {
            let mut delay = Duration::from_millis(200);
            loop {
                match connect(&url, &node, &names).await {
                    Ok(l) => {
                        delay = Duration::from_millis(200);
                        tracing::info!(node = %node, "connected to RabbitMQ");
                        *link.write() = Some(l.clone());
                        ready.store(true, Ordering::SeqCst);
                        changed.notify_waiters();
                        let follower =
                            tokio::spawn(follow_events(l.clone(), names.clone(), tx.clone()));
                        // Watch the connection; a publish that fails also reports it lost.
                        loop {
                            tokio::select! {
                                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                                _ = lost.notified() => {}
                            }
                            if !l.conn.status().connected() || follower.is_finished() {
                                break;
                            }
                            let passive = QueueDeclareOptions {
                                passive: true,
                                ..QueueDeclareOptions::default()
                            };
                            match l
                                .publish
                                .queue_declare(
                                    names.work.as_str().into(),
                                    passive,
                                    FieldTable::default(),
                                )
                                .await
                            {
                                Ok(q) => {
                                    backlog.store(u64::from(q.message_count()), Ordering::Relaxed)
                                }
                                Err(_) => break,
                            }
                        }
                        follower.abort();
                        ready.store(false, Ordering::SeqCst);
                        *link.write() = None;
                        let _ = l.conn.close(200, "reconnecting".into()).await;
                        metrics::counter!(names::BUS_ERRORS, "op" => "connection").increment(1);
                        tracing::warn!("lost the RabbitMQ connection; reconnecting");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "cannot reach RabbitMQ");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(5));
                    }
                }
            }
        });
        bus
    }

    pub fn names(&self) -> &Names {
        &self.names
    }

    /// The current link, waiting a while for a reconnection.
    async fn current(
        link: Arc<RwLock<Option<Link>>>,
        changed: Arc<Notify>,
    ) -> Result<Link, BusError> {
        let deadline = tokio::time::Instant::now() + RECONNECT_WAIT;
        loop {
            let notified = changed.notified();
            if let Some(l) = link.read().clone() {
                return Ok(l);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(unavailable("RabbitMQ is not connected"));
            }
        }
    }

    fn publish_all(
        &self,
        items: Vec<(String, String, BasicProperties, Vec<u8>)>,
        kind: &'static str,
    ) -> BoxFuture<'static, Result<(), BusError>> {
        let (link, changed, lost) = (self.link.clone(), self.changed.clone(), self.lost.clone());
        async move {
            let n = items.len() as u64;
            let l = Self::current(link, changed).await?;
            let mut confirms = Vec::with_capacity(items.len());
            for (exchange, key, props, body) in items {
                match l
                    .publish
                    .basic_publish(
                        exchange.into(),
                        key.into(),
                        BasicPublishOptions::default(),
                        &body,
                        props,
                    )
                    .await
                {
                    Ok(c) => confirms.push(c),
                    Err(e) => {
                        lost.notify_one();
                        metrics::counter!(names::BUS_ERRORS, "op" => "publish").increment(1);
                        return Err(unavailable(e));
                    }
                }
            }
            for c in confirms {
                match c.await {
                    Ok(conf) if conf.is_ack() => {}
                    Ok(_) => {
                        metrics::counter!(names::BUS_ERRORS, "op" => "nack").increment(1);
                        return Err(BusError::Nacked("the broker refused a message".into()));
                    }
                    Err(e) => {
                        lost.notify_one();
                        metrics::counter!(names::BUS_ERRORS, "op" => "confirm").increment(1);
                        return Err(unavailable(e));
                    }
                }
            }
            metrics::counter!(names::BUS_PUBLISHED, "kind" => kind).increment(n);
            Ok(())
        }
        .boxed()
    }
}

struct RabbitAcker(lapin::Acker);

impl Acker for RabbitAcker {
    fn ack(self: Box<Self>) -> BoxFuture<'static, Result<(), BusError>> {
        async move {
            self.0
                .ack(BasicAckOptions::default())
                .await
                .map(|_| ())
                .map_err(unavailable)
        }
        .boxed()
    }

    fn nack(self: Box<Self>, requeue: bool) -> BoxFuture<'static, Result<(), BusError>> {
        async move {
            self.0
                .nack(BasicNackOptions {
                    requeue,
                    multiple: false,
                })
                .await
                .map(|_| ())
                .map_err(unavailable)
        }
        .boxed()
    }
}

fn persistent(message_id: &str, correlation: &str) -> BasicProperties {
    BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2)
        .with_message_id(message_id.into())
        .with_correlation_id(correlation.into())
}

impl Bus for RabbitBus {
    fn publish_work(&self, messages: Vec<WorkMessage>) -> BoxFuture<'static, Result<(), BusError>> {
        // A message that does not serialize is refused, not published empty.
        let items = messages
            .iter()
            .map(|m| {
                let body = serde_json::to_vec(m).map_err(|e| {
                    BusError::Nacked(format!("work message {} is not JSON: {e}", m.message_id))
                })?;
                Ok((
                    String::new(),
                    self.names.work.clone(),
                    persistent(&m.message_id, &m.workflow_id),
                    body,
                ))
            })
            .collect::<Result<Vec<_>, BusError>>();
        match items {
            Ok(items) => self.publish_all(items, "work"),
            Err(e) => async move { Err(e) }.boxed(),
        }
    }

    fn publish_events(
        &self,
        messages: Vec<EventMessage>,
    ) -> BoxFuture<'static, Result<(), BusError>> {
        let items = messages
            .into_iter()
            .map(|m| {
                let props = persistent(&m.message_id, &m.workflow_id)
                    .with_type(m.routing_key.as_str().into());
                (
                    self.names.events.clone(),
                    m.routing_key,
                    props,
                    m.payload.into_bytes(),
                )
            })
            .collect();
        self.publish_all(items, "event")
    }

    fn consume_work(
        &self,
        prefetch: u16,
    ) -> BoxFuture<'static, Result<mpsc::Receiver<Delivery>, BusError>> {
        let (link, changed, queue) = (
            self.link.clone(),
            self.changed.clone(),
            self.names.work.clone(),
        );
        async move {
            let l = Self::current(link, changed).await?;
            let ch = l.conn.create_channel().await.map_err(unavailable)?;
            ch.basic_qos(prefetch, BasicQosOptions::default())
                .await
                .map_err(unavailable)?;
            let mut consumer = ch
                .basic_consume(
                    queue.as_str().into(),
                    "".into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(unavailable)?;
            let (tx, rx) = mpsc::channel(usize::from(prefetch.max(1)));
            tokio::spawn(async move {
                // Keep the channel open while the stream lives.
                let _ch = ch;
                while let Some(d) = consumer.next().await {
                    let Ok(d) = d else { break };
                    if d.redelivered {
                        metrics::counter!(names::BUS_REDELIVERED).increment(1);
                    }
                    metrics::counter!(names::BUS_CONSUMED).increment(1);
                    match serde_json::from_slice::<WorkMessage>(&d.data) {
                        Ok(message) => {
                            let delivery = Delivery {
                                message,
                                redelivered: d.redelivered,
                                acker: Box::new(RabbitAcker(d.acker)),
                            };
                            if tx.send(delivery).await.is_err() {
                                break;
                            }
                        }
                        Err(e) => {
                            // Not ours to understand: straight to the dead-letter queue.
                            tracing::warn!(error = %e, "unreadable work message");
                            let _ = d
                                .acker
                                .nack(BasicNackOptions {
                                    requeue: false,
                                    multiple: false,
                                })
                                .await;
                        }
                    }
                }
            });
            Ok(rx)
        }
        .boxed()
    }

    fn subscribe_events(&self) -> broadcast::Receiver<EventMessage> {
        self.events.subscribe()
    }

    fn backlog(&self) -> Option<u64> {
        Some(self.backlog.load(Ordering::Relaxed))
    }

    fn ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }
}
