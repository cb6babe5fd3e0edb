//! Every metric Aegis exports: name, help text and, for histograms, buckets. Dashboards and
//! alert rules are checked against this list by a test.

/// (name, kind, help)
pub type Def = (&'static str, &'static str, &'static str);

pub const HTTP_REQUESTS: &str = "aegis_http_requests_total";
pub const HTTP_SECONDS: &str = "aegis_http_request_duration_seconds";
pub const WEBHOOK_OUTCOMES: &str = "aegis_webhook_outcomes_total";
pub const TRANSITIONS: &str = "aegis_lifecycle_transitions_total";
pub const STEP_SECONDS: &str = "aegis_lifecycle_step_duration_seconds";
pub const RECEIVED_TO_SCORED: &str = "aegis_received_to_scored_seconds";
pub const RECEIVED_TO_SETTLED: &str = "aegis_received_to_settled_seconds";
pub const WORKFLOWS: &str = "aegis_workflows";
pub const ALERTS_RAISED: &str = "aegis_alerts_raised_total";
pub const ALERTS_ACKNOWLEDGED: &str = "aegis_alerts_acknowledged_total";
pub const ALERTS_ESCALATED: &str = "aegis_alerts_escalated_total";
pub const ALERTS_RESOLVED: &str = "aegis_alerts_resolved_total";
pub const ALERTS_OPEN: &str = "aegis_alerts_open";
pub const ALERTS_OVERDUE: &str = "aegis_alerts_overdue";
pub const TIME_TO_ACK: &str = "aegis_alert_time_to_acknowledge_seconds";
pub const SCORES: &str = "aegis_scores_total";
pub const SCORE_PROBABILITY: &str = "aegis_score_probability";
pub const MODEL_INFO: &str = "aegis_model_info";
pub const SCORER_SECONDS: &str = "aegis_scorer_batch_duration_seconds";
pub const SCORER_BATCH: &str = "aegis_scorer_batch_size";
pub const OUTBOX_PENDING: &str = "aegis_outbox_pending";
pub const OUTBOX_LAG: &str = "aegis_outbox_lag_seconds";
pub const BUS_PUBLISHED: &str = "aegis_bus_published_total";
pub const BUS_CONSUMED: &str = "aegis_bus_consumed_total";
pub const BUS_REDELIVERED: &str = "aegis_bus_redelivered_total";
pub const BUS_ERRORS: &str = "aegis_bus_errors_total";
pub const BUS_BACKLOG: &str = "aegis_bus_backlog";
pub const DEAD_LETTERS: &str = "aegis_dead_letters";
pub const DEAD_LETTERED: &str = "aegis_dead_lettered_total";
pub const ACTOR_RESTARTS: &str = "aegis_actor_restarts_total";
pub const ACTOR_MAILBOX: &str = "aegis_actor_mailbox_depth";
pub const ACTOR_PROCESSED: &str = "aegis_actor_processed_total";
pub const ACTOR_ACTIVE: &str = "aegis_actor_active";
pub const ACTOR_UP: &str = "aegis_actor_up";
pub const DB_POOL_CONNECTIONS: &str = "aegis_db_pool_connections";
pub const DB_POOL_IDLE: &str = "aegis_db_pool_idle_connections";
pub const DB_BATCH_SIZE: &str = "aegis_db_commit_batch_size";
pub const DB_COMMIT_SECONDS: &str = "aegis_db_commit_duration_seconds";
pub const DB_WRITER_QUEUE: &str = "aegis_db_writer_queue";
pub const AUTH_FAILURES: &str = "aegis_auth_failures_total";
pub const BUILD_INFO: &str = "aegis_build_info";
pub const NOTIFICATIONS: &str = "aegis_notifications_total";
pub const NOTIFICATIONS_PENDING: &str = "aegis_notifications_pending";
pub const NOTIFICATIONS_OLDEST_PENDING: &str = "aegis_notifications_oldest_pending_seconds";
pub const RECIPIENTS_UNREACHABLE: &str = "aegis_recipients_unreachable";
pub const UNREACHABLE_CHANGES: &str = "aegis_alert_changes_unreachable_total";
pub const RESPONSES: &str = "aegis_responses";
pub const TICKETS_MISSING: &str = "aegis_tickets_missing";
pub const TICKETS_DUE: &str = "aegis_tickets_due";
pub const SEQUENCE_GAPS: &str = "aegis_sequence_gaps";
pub const CENTER_LAST_DELIVERY: &str = "aegis_center_last_delivery_timestamp_seconds";
pub const CENTER_SILENCE_ALARM: &str = "aegis_center_silence_alarm_seconds";
pub const CENTER_BUSINESS_HOURS: &str = "aegis_center_business_hours";
pub const SCREENINGS: &str = "aegis_screenings_total";
pub const SCREENING_SECONDS: &str = "aegis_screening_duration_seconds";
pub const TICKETS_CLEARED: &str = "aegis_tickets_cleared_total";
pub const FACILITY_FEATURES: &str = "aegis_facility_layer_features";
pub const FACILITY_VERSION: &str = "aegis_facility_layer_version";
pub const FACILITY_INDEX_BYTES: &str = "aegis_facility_index_bytes";

pub const ALL: &[Def] = &[
    (
        HTTP_REQUESTS,
        "counter",
        "HTTP requests by route template, method and status.",
    ),
    (
        HTTP_SECONDS,
        "histogram",
        "HTTP request latency by route template and method.",
    ),
    (
        WEBHOOK_OUTCOMES,
        "counter",
        "Webhook deliveries by center, format and outcome (accepted, duplicate or an error code).",
    ),
    (
        TRANSITIONS,
        "counter",
        "Lifecycle transitions committed, by from and to state.",
    ),
    (
        STEP_SECONDS,
        "histogram",
        "Time from a ticket actor starting a step to its commit, by step kind and the state reached.",
    ),
    (
        RECEIVED_TO_SCORED,
        "histogram",
        "Time from a ticket's receipt to its score being committed.",
    ),
    (
        RECEIVED_TO_SETTLED,
        "histogram",
        "Time from a ticket's receipt to its first resting state (resolved, alerted, rejected, ...).",
    ),
    (
        WORKFLOWS,
        "gauge",
        "Workflows by state (from the database).",
    ),
    (ALERTS_RAISED, "counter", "High-risk alerts raised."),
    (
        ALERTS_ACKNOWLEDGED,
        "counter",
        "Alerts acknowledged by an officer.",
    ),
    (
        ALERTS_ESCALATED,
        "counter",
        "Alert escalations, by the tier escalated to.",
    ),
    (
        ALERTS_RESOLVED,
        "counter",
        "Alerts resolved, by disposition.",
    ),
    (
        ALERTS_OPEN,
        "gauge",
        "Alerts open, escalated or acknowledged but not resolved (from the database).",
    ),
    (
        ALERTS_OVERDUE,
        "gauge",
        "Unacknowledged alerts whose acknowledgement deadline has passed (from the database).",
    ),
    (
        TIME_TO_ACK,
        "histogram",
        "Time from an alert being raised to its acknowledgement.",
    ),
    (
        SCORES,
        "counter",
        "Tickets scored, by band, model version and center.",
    ),
    (
        SCORE_PROBABILITY,
        "histogram",
        "Distribution of damage probabilities scored.",
    ),
    (
        MODEL_INFO,
        "gauge",
        "The active risk model (1 for the active version).",
    ),
    (
        SCORER_SECONDS,
        "histogram",
        "Time to score one micro-batch.",
    ),
    (
        SCORER_BATCH,
        "histogram",
        "Tickets per scoring micro-batch.",
    ),
    (
        OUTBOX_PENDING,
        "gauge",
        "Outbox messages not yet published.",
    ),
    (
        OUTBOX_LAG,
        "gauge",
        "Age of the oldest unpublished outbox message.",
    ),
    (
        BUS_PUBLISHED,
        "counter",
        "Messages published and confirmed, by kind (work, event).",
    ),
    (BUS_CONSUMED, "counter", "Work messages consumed."),
    (
        BUS_REDELIVERED,
        "counter",
        "Work messages delivered again (after a crash, nack or lost connection).",
    ),
    (BUS_ERRORS, "counter", "Bus failures, by operation."),
    (
        BUS_BACKLOG,
        "gauge",
        "Work messages waiting, as far as this node knows.",
    ),
    (
        DEAD_LETTERS,
        "gauge",
        "Dead letters neither redriven nor dismissed (from the database).",
    ),
    (DEAD_LETTERED, "counter", "Dead letters written, by kind."),
    (ACTOR_RESTARTS, "counter", "Supervised restarts, by actor."),
    (
        ACTOR_MAILBOX,
        "gauge",
        "Messages sent to an actor and not yet answered.",
    ),
    (
        ACTOR_PROCESSED,
        "counter",
        "Messages an actor has processed.",
    ),
    (
        ACTOR_ACTIVE,
        "gauge",
        "Active members of an actor family (ticket actors).",
    ),
    (ACTOR_UP, "gauge", "1 when the actor is running."),
    (DB_POOL_CONNECTIONS, "gauge", "Open connections by pool."),
    (DB_POOL_IDLE, "gauge", "Idle connections by pool."),
    (DB_BATCH_SIZE, "histogram", "Operations per group commit."),
    (
        DB_COMMIT_SECONDS,
        "histogram",
        "Time to commit one group of operations.",
    ),
    (
        DB_WRITER_QUEUE,
        "gauge",
        "Write operations waiting for the writer.",
    ),
    (
        AUTH_FAILURES,
        "counter",
        "Failed bearer-token authentications.",
    ),
    (BUILD_INFO, "gauge", "Aegis version (1)."),
    (
        NOTIFICATIONS,
        "counter",
        "Notification attempts by channel kind and outcome (sent, retrying, failed).",
    ),
    (
        NOTIFICATIONS_PENDING,
        "gauge",
        "Notifications not yet accepted by their channel (first attempts and retries).",
    ),
    (
        NOTIFICATIONS_OLDEST_PENDING,
        "gauge",
        "Age of the oldest notification not yet accepted, in seconds.",
    ),
    (
        CENTER_LAST_DELIVERY,
        "gauge",
        "When this node last took a delivery from a watched center (or started watching it), Unix seconds.",
    ),
    (
        CENTER_SILENCE_ALARM,
        "gauge",
        "A watched center's centers.<CODE>.silence_alarm_secs.",
    ),
    (
        SCREENINGS,
        "counter",
        "Tickets screened against the facility layers, by category (conflict, close, clear, unknown).",
    ),
    (
        SCREENING_SECONDS,
        "histogram",
        "Time to screen one ticket against every active facility layer.",
    ),
    (
        TICKETS_CLEARED,
        "counter",
        "Tickets cleared automatically by screening (no facility near), by center.",
    ),
    (
        FACILITY_FEATURES,
        "gauge",
        "Features in the version of each facility layer that screens, by layer.",
    ),
    (
        FACILITY_VERSION,
        "gauge",
        "The version of each facility layer this node screens with (0: retired), by layer.",
    ),
    (
        FACILITY_INDEX_BYTES,
        "gauge",
        "Memory held by the facility layers' screening indexes on this node.",
    ),
    (
        CENTER_BUSINESS_HOURS,
        "gauge",
        "1 during the centers' business hours, when silence is alarming.",
    ),
    (
        SEQUENCE_GAPS,
        "gauge",
        "OneCall sequence numbers skipped and not filled within reconcile.gap_grace_secs, by center.",
    ),
    (
        TICKETS_DUE,
        "gauge",
        "Tickets with an open alert and no posted response, due soon (within due.warn_before_secs) or overdue.",
    ),
    (
        TICKETS_MISSING,
        "gauge",
        "Tickets a center's recent daily summaries list that never arrived, by center.",
    ),
    (
        RESPONSES,
        "gauge",
        "Positive responses to call centers by state (pending, posted, rejected), from the database.",
    ),
    (
        RECIPIENTS_UNREACHABLE,
        "gauge",
        "Escalation recipients that reach nobody now: no roster, or no on-duty member with a channel.",
    ),
    (
        UNREACHABLE_CHANGES,
        "counter",
        "Alert changes with a recipient that reached nobody.",
    ),
];

/// Buckets for latency histograms, in seconds: 0.5 ms to 30 s.
/// Screening takes microseconds: buckets from 5 µs to 50 ms.
pub const SCREENING_BUCKETS: &[f64] = &[
    0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.005, 0.05,
];

pub const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Buckets for time-to-acknowledge, in seconds: 10 s to 4 h.
pub const ACK_BUCKETS: &[f64] = &[
    10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0,
];
/// Buckets for probabilities.
pub const PROBABILITY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0,
];
/// Buckets for batch sizes.
pub const BATCH_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];
