//! Runtime settings the composition root fills from configuration.

use std::time::Duration;

use aegis_workflows::escalation::EscalationPolicy;
use aegis_workflows::notification::DeliveryPolicy;
use aegis_workflows::retry::RetryPolicy;
use aegis_workflows::risk::BandThresholds;

#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// This node's name, recorded on timer and outbox claims.
    pub node_id: String,
    pub retry: RetryPolicy,
    pub escalation: EscalationPolicy,
    pub thresholds: BandThresholds,
    /// How many contributions each score keeps.
    pub top_features: usize,
    /// Ticket actors allowed to be active at once; beyond this, idle ones are passivated and
    /// new activations wait.
    pub max_active: usize,
    /// Ticket actors idle this long are passivated.
    pub idle_after: Duration,
    /// Threads (arbiters) ticket actors are spread over.
    pub arbiters: usize,
    /// Unsettled work deliveries this node takes at once.
    pub prefetch: u16,
    /// Webhooks are refused with 503 when this much work is waiting.
    pub max_backlog: u64,
    /// How often the timer service looks for due timers when nothing wakes it sooner.
    pub timer_poll: Duration,
    /// Timer and outbox claims last this long before another node may take them over.
    pub claim_lease: Duration,
    /// How often the outbox relay looks for unsent rows when nothing wakes it sooner.
    pub outbox_poll: Duration,
    /// Workflows left in an automatic state this long are driven again (a node died).
    pub stall_after: Duration,
    /// Whether event messages go through the durable outbox (a broker that outlives this
    /// process) or straight to the bus after the commit (the in-process bus, whose subscribers
    /// live and die with the process: durable rows would be published to nobody).
    pub durable_outbox: bool,
    /// How often the sweeper looks for stalled workflows.
    pub sweep_every: Duration,
    /// Retries of notifications.
    pub delivery: DeliveryPolicy,
    /// A send that has not ended after this long counts as a transient failure (the adapters
    /// have their own, shorter timeouts; this bounds one that hangs anyway).
    pub delivery_timeout: Duration,
    /// Notifications this node sends at once.
    pub delivery_concurrency: usize,
    /// How often the deliverer looks for due deliveries when nothing wakes it sooner.
    pub delivery_poll: Duration,
    /// How long before a ticket's response is due its officers are warned (`due_soon`).
    pub due_warn_before: Duration,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            node_id: "node-1".into(),
            retry: RetryPolicy::default(),
            escalation: EscalationPolicy::default(),
            thresholds: BandThresholds::default(),
            top_features: 5,
            max_active: 100_000,
            idle_after: Duration::from_secs(30),
            arbiters: 1,
            prefetch: 256,
            max_backlog: 50_000,
            timer_poll: Duration::from_millis(500),
            claim_lease: Duration::from_secs(30),
            outbox_poll: Duration::from_millis(200),
            stall_after: Duration::from_secs(30),
            durable_outbox: true,
            sweep_every: Duration::from_secs(10),
            delivery: DeliveryPolicy::default(),
            delivery_timeout: Duration::from_secs(15),
            delivery_concurrency: 64,
            delivery_poll: Duration::from_millis(500),
            due_warn_before: Duration::from_secs(7_200),
        }
    }
}
