//! The message bus, as a port: a work queue shared by every node (competing consumers,
//! at-least-once, ack after commit) and an events topic for anyone who follows along.

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

use super::BoxFuture;

/// Version of the JSON messages on the bus. Bump when a field changes meaning.
pub const MESSAGE_SCHEMA: u32 = 1;

/// A request to move one workflow on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkMessage {
    pub schema: u32,
    pub message_id: String,
    pub workflow_id: String,
    pub kind: WorkKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum WorkKind {
    /// Take every step the workflow can take by itself.
    Drive,
}

impl WorkMessage {
    pub fn drive(workflow_id: &str) -> Self {
        Self {
            schema: MESSAGE_SCHEMA,
            message_id: uuid::Uuid::now_v7().to_string(),
            workflow_id: workflow_id.to_owned(),
            kind: WorkKind::Drive,
        }
    }
}

/// A committed state change, published from the outbox to the events topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventMessage {
    pub schema: u32,
    pub message_id: String,
    /// `ticket.scored`, `alert.raised`, ...
    pub routing_key: String,
    /// Correlation id.
    pub workflow_id: String,
    /// The message body, JSON text (documented in the README).
    pub payload: String,
}

impl EventMessage {
    /// The body as JSON (null if it is not JSON, which Aegis never publishes).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.payload).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BusError {
    #[error("the bus is unavailable: {0}")]
    Unavailable(String),
    #[error("the broker refused the message: {0}")]
    Nacked(String),
    #[error("the bus is full")]
    Full,
}

/// Settles one delivery. Dropping it without settling leaves the message to be redelivered.
pub trait Acker: Send + 'static {
    fn ack(self: Box<Self>) -> BoxFuture<'static, Result<(), BusError>>;
    fn nack(self: Box<Self>, requeue: bool) -> BoxFuture<'static, Result<(), BusError>>;
}

/// One work message handed to this node.
pub struct Delivery {
    pub message: WorkMessage,
    pub redelivered: bool,
    pub acker: Box<dyn Acker>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("message", &self.message)
            .field("redelivered", &self.redelivered)
            .finish_non_exhaustive()
    }
}

pub trait Bus: Send + Sync + 'static {
    /// Publishes work; returns once the bus has it durably (publisher confirms).
    fn publish_work(&self, messages: Vec<WorkMessage>) -> BoxFuture<'static, Result<(), BusError>>;
    /// Publishes events; returns once the bus has them (publisher confirms).
    fn publish_events(
        &self,
        messages: Vec<EventMessage>,
    ) -> BoxFuture<'static, Result<(), BusError>>;
    /// Starts consuming work with at most `prefetch` unsettled deliveries.
    fn consume_work(
        &self,
        prefetch: u16,
    ) -> BoxFuture<'static, Result<mpsc::Receiver<Delivery>, BusError>>;
    /// Follows every event published by any node (subscribers filter by routing key).
    fn subscribe_events(&self) -> broadcast::Receiver<EventMessage>;
    /// Work waiting to be processed, when the bus knows it; used to refuse webhooks early.
    fn backlog(&self) -> Option<u64>;
    /// Whether the bus is reachable now.
    fn ready(&self) -> bool;
}
