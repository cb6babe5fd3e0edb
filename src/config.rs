//! Configuration: built-in defaults, then `aegis.toml` (or `--config FILE`), then environment
//! variables `AEGIS__SECTION__KEY` (double underscores, as the `config` crate needs), then
//! validation. With nothing configured Aegis runs on SQLite with the in-process bus and the
//! bundled model on 127.0.0.1:8080.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aegis_actors::RuntimeConfig;
use aegis_workflows::escalation::EscalationPolicy;
use aegis_workflows::notification::DeliveryPolicy;
use aegis_workflows::priority::ConsequenceWeights;
use aegis_workflows::retry::RetryPolicy;
use aegis_workflows::risk::BandThresholds;
use aegis_workflows::screening::FacilityClass;
use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

pub use crate::db::pool::SqliteSynchronous;
pub use crate::telemetry::logging::LogFormat;

/// How scores are explained (`model.explain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExplainMode {
    /// Exact SHAP values for every ticket.
    Exact,
    /// Exact SHAP values for every high-band ticket (every alert an officer reads), XGBoost's
    /// approximate contributions for the rest, which are cleared automatically.
    Auto,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub http: Http,
    pub database: Database,
    pub bus: Bus,
    pub model: Model,
    pub risk: Risk,
    pub log: Log,
    pub runtime: Runtime,
    pub escalation: EscalationPolicy,
    pub notify: Notify,
    pub webhooks: Webhooks,
    pub centers: Centers,
    pub due: Due,
    pub reconcile: Reconcile,
    pub auth: Auth,
    pub outbound: Outbound,
    pub facilities: Facilities,
    pub console: Console,
    pub demo: Demo,
    pub testing: Testing,
}

/// The console's own settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Console {
    /// The zone times are shown in (`America/Los_Angeles`); empty: the first center's
    /// configured zone, else `centers.timezone`. UTC is always on hover.
    pub timezone: String,
}

impl Settings {
    /// The zone the console shows times in: `console.timezone`, else the first center's
    /// (`centers.<CODE>.timezone`), else `centers.timezone`.
    pub fn display_zone(&self) -> anyhow::Result<chrono_tz::Tz> {
        let name = Some(self.console.timezone.as_str())
            .filter(|z| !z.is_empty())
            .or_else(|| {
                self.centers
                    .each
                    .values()
                    .find_map(|c| c.timezone.as_deref())
            });
        match name {
            Some(z) => z
                .parse()
                .map_err(|e| anyhow::anyhow!("console.timezone '{z}': {e}")),
            None => self.centers.tz(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Http {
    pub bind: String,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    pub max_body_bytes: usize,
    /// Reverse proxies (CIDRs or addresses) whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<String>,
    /// Open server-sent event streams at most; more are answered 503.
    pub max_streams: usize,
    /// Where people reach this Aegis (`https://aegis.example.org`): the base of links in
    /// notifications. Empty: `http://` and the bind address.
    pub public_url: String,
    /// A webhook body still arriving after this long is cut off (`408`): a stalled upload
    /// holds a connection and memory for no longer than this.
    pub body_read_timeout_ms: u64,
    /// Webhook bodies read at once per center; more are answered `503` with `Retry-After`.
    pub max_bodies_per_center: usize,
}

/// Notifications (contract §7).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Notify {
    /// The mail relay: `smtp://host:port` (plain, for a relay on the same host or network),
    /// `smtp://host:port?tls=required` (STARTTLS), `smtps://host:port` (TLS), with
    /// `user:password@` when it needs them. Empty: e-mail channels fail, saying so.
    pub smtp_url: String,
    /// The sender of notification e-mails.
    pub from: String,
    /// Acknowledgement links expire this long after they are sent.
    pub link_ttl_secs: u64,
    /// One send (SMTP conversation, HTTP request) gives up after this long and is retried.
    pub timeout_ms: u64,
    /// Notifications one node sends at once.
    pub concurrency: usize,
    pub retry: DeliveryPolicy,
}

impl Default for Notify {
    fn default() -> Self {
        Self {
            smtp_url: String::new(),
            from: "Aegis <aegis@localhost>".into(),
            link_ttl_secs: 86_400,
            timeout_ms: 10_000,
            concurrency: 64,
            retry: DeliveryPolicy::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Database {
    /// A SQLite path (`aegis.db`, `sqlite://path`) or `postgres://…`.
    pub url: String,
    pub read_pool: u32,
    /// Writer threads for PostgreSQL; SQLite always has one.
    pub writers: u32,
    /// Operations per group commit at most.
    pub max_batch: usize,
    /// Write operations that may wait for the writer before intake answers 503.
    pub writer_queue: usize,
    pub busy_timeout_ms: u64,
    /// `full` (durable across power loss) or `normal` (durable across process crashes).
    pub sqlite_synchronous: SqliteSynchronous,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bus {
    /// Empty: the in-process bus. `amqp://…`: RabbitMQ.
    pub url: String,
    /// Prefix of every exchange and queue name (`aegis` gives `aegis.work`, `aegis.events`).
    pub prefix: String,
    /// Capacity of the in-process work queue.
    pub queue_capacity: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Model {
    /// XGBoost JSON/UBJSON model; empty means the bundled one.
    pub path: String,
    /// The only directory `POST /v1/admin/model/reload` reads models from.
    pub dir: String,
    /// Model files larger than this are refused.
    pub max_bytes: u64,
    pub top_features: usize,
    /// Scoring threads.
    pub threads: usize,
    /// Tickets per scoring micro-batch at most.
    pub max_batch: usize,
    /// `exact` or `auto` (exact SHAP costs ~20x the score itself, so `auto` keeps it for alerts).
    pub explain: ExplainMode,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Risk {
    pub medium: f64,
    pub high: f64,
    /// Consequence weights by facility class (contract §12), over the defaults the README
    /// justifies: `[risk.consequence] gas_transmission = 100`, or
    /// `AEGIS__RISK__CONSEQUENCE__GAS_TRANSMISSION=100`.
    pub consequence: std::collections::BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Log {
    pub level: String,
    /// `json`, `pretty`, or `auto` (pretty on a terminal).
    pub format: LogFormat,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Runtime {
    /// This node's name; defaults to the host name and port.
    pub node_id: String,
    pub max_active: usize,
    pub idle_after_ms: u64,
    pub arbiters: usize,
    pub prefetch: u16,
    pub max_backlog: u64,
    pub timer_poll_ms: u64,
    pub claim_lease_ms: u64,
    pub outbox_poll_ms: u64,
    pub stall_after_ms: u64,
    pub sweep_every_ms: u64,
    pub retry: RetryPolicy,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Webhooks {
    pub tolerance_secs: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Reconcile {
    /// How long a skipped OneCall sequence number may stay unfilled before it is reported.
    pub gap_grace_secs: u64,
}

impl Default for Reconcile {
    fn default() -> Self {
        Self {
            gap_grace_secs: 600,
        }
    }
}

impl Reconcile {
    pub fn grace(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::seconds(i64::try_from(self.gap_grace_secs).unwrap_or(i64::MAX / 1_000))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Due {
    /// How long before a ticket's response is due the alert's tier hears `due_soon`.
    pub warn_before_secs: u64,
    /// How long after its dig time (legal start or response due) an open alert still counts as
    /// live in the officers' queue; older ones are listed apart, below (a day).
    pub stale_after_secs: u64,
}

impl Default for Due {
    fn default() -> Self {
        Self {
            warn_before_secs: 7_200,
            stale_after_secs: 86_400,
        }
    }
}

impl Due {
    pub fn stale_after(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::seconds(i64::try_from(self.stale_after_secs).unwrap_or(i64::MAX))
    }
}

/// Settings for the centers as a whole, and (`centers.<CODE>.…`) for one center.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Centers {
    /// The time zone the centers' days are counted in (daily summaries, business hours), e.g.
    /// `America/Los_Angeles`.
    pub timezone: String,
    /// Business hours, Monday to Friday, in `timezone`: from this hour…
    pub business_hours_start: u32,
    /// …until this one (24 = midnight).
    pub business_hours_end: u32,
    /// `centers.<CODE>.silence_alarm_secs` and the like, by center code.
    #[serde(flatten)]
    pub each: std::collections::BTreeMap<String, CenterSettings>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CenterSettings {
    /// A center that sends nothing for this long during business hours fires
    /// `AegisCenterSilent`; unset, it is not watched.
    pub silence_alarm_secs: Option<u64>,
    /// The zone this center's times are in when it sends them without one (Open Ticket
    /// deliveries often do); unset, `centers.timezone`.
    pub timezone: Option<String>,
}

impl Default for Centers {
    fn default() -> Self {
        Self {
            timezone: "UTC".into(),
            business_hours_start: 7,
            business_hours_end: 18,
            each: std::collections::BTreeMap::new(),
        }
    }
}

impl Centers {
    /// The centers watched for silence, with their alarm (codes as configured; the
    /// environment may have lowercased them, so compare without case).
    pub fn silence_alarms(&self) -> Vec<(String, u64)> {
        self.each
            .iter()
            .filter_map(|(code, c)| c.silence_alarm_secs.map(|s| (code.clone(), s)))
            .collect()
    }

    /// Whether `now` is within business hours.
    pub fn business_hours(&self, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<bool> {
        use chrono::{Datelike, Timelike};
        let local = now.with_timezone(&self.tz()?);
        let weekday = local.weekday().number_from_monday() <= 5;
        let h = local.hour();
        Ok(weekday && h >= self.business_hours_start && h < self.business_hours_end)
    }

    /// The zone a center's zoneless times are read in: its own `timezone`, else the centers'
    /// (codes compared without case: the environment may have lowercased them).
    pub fn tz_of(&self, code: &str) -> anyhow::Result<chrono_tz::Tz> {
        let own = self
            .each
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(code))
            .and_then(|(_, s)| s.timezone.as_deref());
        match own {
            Some(name) => name
                .parse()
                .map_err(|e| anyhow::anyhow!("centers.{code}.timezone '{name}': {e}")),
            None => self.tz(),
        }
    }

    pub fn tz(&self) -> anyhow::Result<chrono_tz::Tz> {
        self.timezone
            .parse()
            .map_err(|e| anyhow::anyhow!("centers.timezone '{}': {e}", self.timezone))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Auth {
    /// Failed authentications allowed per client address (and per token prefix, or user name)
    /// per minute before further attempts are answered 429.
    pub max_failures_per_minute: u32,
    /// Console passwords hashed at once at most (Argon2 takes ~19 MiB and tens of milliseconds
    /// each); 0 means one per core. More wait briefly, then get 429.
    pub max_concurrent_hashes: usize,
}

/// Where Aegis may send requests that operators point it at through the API (channel URLs, a
/// center's response API).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Outbound {
    /// Allow loopback, private, link-local, unique-local and unspecified addresses. Off: such
    /// targets are refused when set and again at connect time, on the resolved address.
    /// Settable in the file or the environment only, never through the API.
    pub allow_private_networks: bool,
}

/// Facility layers and screening (contract §10).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Facilities {
    /// A layer file larger than this is refused (`422`) before GDAL reads it.
    pub max_bytes: usize,
    /// How often each node looks for a new layer version, coverage or clearing policy.
    pub refresh_ms: u64,
    /// A layer file still arriving after this long is cut off (`408`).
    pub read_timeout_ms: u64,
}

impl Default for Facilities {
    fn default() -> Self {
        Self {
            max_bytes: 256 * 1024 * 1024,
            refresh_ms: 2_000,
            read_timeout_ms: 120_000,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Demo {
    /// Create the `DEMO` center (native format) when no center exists, and print its secret.
    pub enabled: bool,
}

/// Test-only switches, honoured only by builds with the `testing` cargo feature (the test
/// suite's); a release build refuses to start with any of them set.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Testing {
    /// Use a clock that only moves through `POST /v1/testing/clock`.
    pub manual_clock: bool,
    /// Move the clock (the system one, or where the manual one starts) by this many seconds,
    /// so that a test suite sees the same calendar day and hour whatever day it runs.
    pub clock_offset_secs: i64,
    /// The scorer panics for this ticket number (fault injection)…
    pub panic_on_ticket: String,
    /// …this many times, then scores it normally (0: every time).
    pub panic_times: u32,
}

impl Default for Http {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            workers: 0,
            max_body_bytes: 2 * 1024 * 1024,
            trusted_proxies: Vec::new(),
            max_streams: 256,
            public_url: String::new(),
            body_read_timeout_ms: 5_000,
            max_bodies_per_center: 32,
        }
    }
}

impl Default for Database {
    fn default() -> Self {
        Self {
            url: "aegis.db".into(),
            read_pool: 8,
            writers: 2,
            max_batch: 512,
            writer_queue: 50_000,
            busy_timeout_ms: 5_000,
            sqlite_synchronous: SqliteSynchronous::Full,
        }
    }
}

impl Default for Bus {
    fn default() -> Self {
        Self {
            url: String::new(),
            prefix: "aegis".into(),
            queue_capacity: 100_000,
        }
    }
}

impl Default for Model {
    fn default() -> Self {
        Self {
            path: String::new(),
            dir: "models".into(),
            max_bytes: 64 * 1024 * 1024,
            top_features: 5,
            threads: 1,
            max_batch: 256,
            explain: ExplainMode::Auto,
        }
    }
}

impl Default for Risk {
    fn default() -> Self {
        let t = BandThresholds::default();
        Self {
            medium: t.medium,
            high: t.high,
            consequence: std::collections::BTreeMap::new(),
        }
    }
}

impl Default for Log {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Auto,
        }
    }
}

impl Default for Runtime {
    fn default() -> Self {
        let d = RuntimeConfig::default();
        Self {
            node_id: String::new(),
            max_active: d.max_active,
            idle_after_ms: d.idle_after.as_millis() as u64,
            arbiters: d.arbiters,
            prefetch: d.prefetch,
            max_backlog: d.max_backlog,
            timer_poll_ms: d.timer_poll.as_millis() as u64,
            claim_lease_ms: d.claim_lease.as_millis() as u64,
            outbox_poll_ms: d.outbox_poll.as_millis() as u64,
            stall_after_ms: d.stall_after.as_millis() as u64,
            sweep_every_ms: d.sweep_every.as_millis() as u64,
            retry: d.retry,
        }
    }
}

impl Default for Webhooks {
    fn default() -> Self {
        Self {
            tolerance_secs: 300,
        }
    }
}

impl Default for Auth {
    fn default() -> Self {
        Self {
            max_failures_per_minute: 20,
            max_concurrent_hashes: 0,
        }
    }
}

impl Default for Demo {
    fn default() -> Self {
        Self { enabled: true }
    }
}

impl Settings {
    /// Loads defaults → file → environment, then validates. `file` is `--config`; without it
    /// `aegis.toml` in the working directory is read if present.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        Self::load_with_env(file, None)
    }

    /// [`Settings::load`] with the environment given explicitly (tests), or the process's.
    pub fn load_with_env(
        file: Option<&Path>,
        env: Option<std::collections::HashMap<String, String>>,
    ) -> anyhow::Result<Self> {
        let defaults = config::Config::try_from(&Settings::default())?;
        let mut builder = config::Config::builder().add_source(defaults);
        builder = match file {
            Some(path) => {
                if !path.exists() {
                    bail!("configuration file {} does not exist", path.display());
                }
                builder.add_source(config::File::from(PathBuf::from(path)).required(true))
            }
            None => builder.add_source(config::File::with_name("aegis.toml").required(false)),
        };
        builder = builder.add_source(
            config::Environment::with_prefix("AEGIS")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("http.trusted_proxies")
                .source(env),
        );
        let settings: Settings = builder
            .build()?
            .try_deserialize()
            .context("reading the configuration")?;
        settings.check()?;
        Ok(settings)
    }

    pub fn check(&self) -> anyhow::Result<()> {
        BandThresholds::new(self.risk.medium, self.risk.high)
            .context("risk.medium and risk.high")?;
        self.consequence()?;
        self.escalation.check()?;
        if self.http.max_body_bytes < 1024 {
            bail!("http.max_body_bytes must be at least 1024");
        }
        if self.http.body_read_timeout_ms == 0 || self.http.max_bodies_per_center == 0 {
            bail!("http.body_read_timeout_ms and http.max_bodies_per_center must be above 0");
        }
        crate::web::client_ip::parse_proxies(&self.http.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("http.trusted_proxies: {e}"))?;
        tracing_subscriber::EnvFilter::try_new(&self.log.level)
            .map_err(|e| anyhow::anyhow!("log.level '{}': {e}", self.log.level))?;
        if !self.bus.url.is_empty() && !self.bus.url.starts_with("amqp") {
            bail!("bus.url must be empty (in-process) or an amqp:// URL");
        }
        if cfg!(not(feature = "testing"))
            && (self.testing.manual_clock
                || self.testing.clock_offset_secs != 0
                || !self.testing.panic_on_ticket.is_empty())
        {
            bail!("testing.* switches need a build with the `testing` feature (the test suite's)");
        }
        if self.runtime.retry.max_attempts == 0 {
            bail!("runtime.retry.max_attempts must be at least 1");
        }
        self.check_notify()?;
        self.centers.tz()?;
        for code in self.centers.each.keys() {
            self.centers.tz_of(code)?;
        }
        self.display_zone()?;
        let c = &self.centers;
        if c.business_hours_start >= c.business_hours_end || c.business_hours_end > 24 {
            bail!("centers.business_hours_start must be before centers.business_hours_end (0–24)");
        }
        Ok(())
    }

    fn check_notify(&self) -> anyhow::Result<()> {
        let n = &self.notify;
        let url = &self.http.public_url;
        let scheme_of = |u: &str, schemes: &[&str]| schemes.iter().any(|s| u.starts_with(s));
        if !url.is_empty() && !scheme_of(url, &["http://", "https://"]) {
            bail!("http.public_url must be an http:// or https:// URL");
        }
        if !n.smtp_url.is_empty() && !scheme_of(&n.smtp_url, &["smtp://", "smtps://"]) {
            bail!("notify.smtp_url must be an smtp:// or smtps:// URL");
        }
        n.from
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| anyhow::anyhow!("notify.from '{}': {e}", n.from))?;
        if n.retry.max_attempts == 0 {
            bail!("notify.retry.max_attempts must be at least 1");
        }
        if n.link_ttl_secs == 0 || n.timeout_ms == 0 || n.concurrency == 0 {
            bail!("notify.link_ttl_secs, notify.timeout_ms and notify.concurrency must be above 0");
        }
        Ok(())
    }

    /// The base of links people follow: `http.public_url` without a trailing slash, or
    /// `http://`, the bind address's host and the port bound (`port`: the bind may ask for any).
    pub fn public_url(&self, port: u16) -> String {
        if self.http.public_url.is_empty() {
            let host = self
                .http
                .bind
                .rsplit_once(':')
                .map_or(self.http.bind.as_str(), |(h, _)| h);
            let host = if host == "0.0.0.0" || host == "[::]" {
                "127.0.0.1"
            } else {
                host
            };
            format!("http://{host}:{port}")
        } else {
            self.http.public_url.trim_end_matches('/').to_owned()
        }
    }

    /// Where a tool on this machine reaches this Aegis (`aegis send`, `aegis loadgen`):
    /// `http.public_url`, else the bind address and its port.
    pub fn own_url(&self) -> anyhow::Result<String> {
        let port = self
            .http
            .bind
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse::<u16>().ok())
            .filter(|p| *p != 0);
        match port {
            Some(port) => Ok(self.public_url(port)),
            None if !self.http.public_url.is_empty() => Ok(self.public_url(0)),
            None => anyhow::bail!(
                "http.bind '{}' names no fixed port to send to: pass --url",
                self.http.bind
            ),
        }
    }

    /// The band thresholds (checked at load; an error here means settings built in code that
    /// skipped [`Settings::check`]).
    pub fn thresholds(&self) -> anyhow::Result<BandThresholds> {
        BandThresholds::new(self.risk.medium, self.risk.high).context("risk.medium and risk.high")
    }

    /// The consequence weights: the defaults with `risk.consequence.<class>` over them.
    pub fn consequence(&self) -> anyhow::Result<ConsequenceWeights> {
        let mut w = ConsequenceWeights::default();
        for (name, weight) in &self.risk.consequence {
            let class = FacilityClass::parse(name).with_context(|| {
                format!(
                    "risk.consequence.{name}: not a facility class (one of {})",
                    FacilityClass::ALL.map(FacilityClass::as_str).join(", ")
                )
            })?;
            w.set(class, *weight)
                .with_context(|| format!("risk.consequence.{name}"))?;
        }
        Ok(w)
    }

    /// The runtime's settings; `node_id` is filled in by the caller when empty.
    pub fn runtime_config(&self, node_id: String) -> anyhow::Result<RuntimeConfig> {
        let r = &self.runtime;
        let ms = Duration::from_millis;
        Ok(RuntimeConfig {
            node_id,
            retry: r.retry,
            escalation: self.escalation.clone(),
            thresholds: self.thresholds()?,
            top_features: self.model.top_features,
            max_active: r.max_active.max(1),
            idle_after: ms(r.idle_after_ms),
            arbiters: r.arbiters,
            prefetch: r.prefetch.max(1),
            max_backlog: r.max_backlog,
            timer_poll: ms(r.timer_poll_ms.max(1)),
            claim_lease: ms(r.claim_lease_ms.max(1)),
            outbox_poll: ms(r.outbox_poll_ms.max(1)),
            stall_after: ms(r.stall_after_ms),
            sweep_every: ms(r.sweep_every_ms.max(1)),
            // The outbox is durable exactly when events go to a broker outliving this process.
            durable_outbox: !self.bus.url.is_empty(),
            delivery: self.notify.retry,
            // The adapters give up after `timeout_ms`; this only bounds a send that hangs anyway.
            delivery_timeout: ms(self.notify.timeout_ms.saturating_mul(2)),
            delivery_concurrency: self.notify.concurrency,
            delivery_poll: ms(500),
            due_warn_before: Duration::from_secs(self.due.warn_before_secs),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_embedded() {
        let s = Settings::default();
        s.check().unwrap();
        assert_eq!(s.http.bind, "127.0.0.1:8080");
        assert_eq!(s.database.url, "aegis.db");
        assert!(s.bus.url.is_empty());
    }

    #[test]
    fn file_then_environment_override_defaults() {
        let dir = std::env::temp_dir().join(format!("aegis-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("aegis.toml");
        std::fs::write(
            &file,
            "[http]\nbind = \"0.0.0.0:9000\"\n[risk]\nhigh = 0.5\n[database]\nurl = \"x.db\"\n",
        )
        .unwrap();
        let env = std::collections::HashMap::from([
            ("AEGIS__LOG__LEVEL".to_owned(), "debug".to_owned()),
            ("AEGIS__RISK__MEDIUM".to_owned(), "0.25".to_owned()),
        ]);
        let s = Settings::load_with_env(Some(&file), Some(env)).unwrap();
        assert_eq!(s.risk.medium, 0.25);
        assert_eq!(s.http.bind, "0.0.0.0:9000");
        assert_eq!(s.risk.high, 0.5);
        assert_eq!(s.database.url, "x.db");
        assert_eq!(s.log.level, "debug");
        assert_eq!(s.http.max_body_bytes, Http::default().max_body_bytes);
    }

    #[test]
    fn a_center_is_watched_for_silence_from_the_file_or_the_environment() {
        let dir = std::env::temp_dir().join(format!("aegis-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("aegis.toml");
        std::fs::write(
            &file,
            "[centers]\ntimezone = \"America/Los_Angeles\"\n[centers.USAN]\nsilence_alarm_secs = 900\n",
        )
        .unwrap();
        let env = std::collections::HashMap::from([(
            "AEGIS__CENTERS__TEST__SILENCE_ALARM_SECS".to_owned(),
            "60".to_owned(),
        )]);
        let s = Settings::load_with_env(Some(&file), Some(env)).unwrap();
        let mut alarms: Vec<(String, u64)> = s
            .centers
            .silence_alarms()
            .into_iter()
            .map(|(c, n)| (c.to_ascii_uppercase(), n))
            .collect();
        alarms.sort();
        assert_eq!(alarms, [("TEST".to_owned(), 60), ("USAN".to_owned(), 900)]);
        // Saturday noon in California is not business hours; Monday 9:00 is, Monday 18:00 not.
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        assert!(
            !s.centers
                .business_hours(at("2026-11-21T12:00:00-08:00"))
                .unwrap()
        );
        assert!(
            s.centers
                .business_hours(at("2026-11-23T09:00:00-08:00"))
                .unwrap()
        );
        assert!(
            !s.centers
                .business_hours(at("2026-11-23T18:00:00-08:00"))
                .unwrap()
        );
        let typo = std::collections::HashMap::from([(
            "AEGIS__CENTERS__TEST__SILENCE_ALARM".to_owned(),
            "60".to_owned(),
        )]);
        assert!(
            Settings::load_with_env(None, Some(typo)).is_err(),
            "unknown keys inside a center are refused"
        );
    }

    #[test]
    fn a_center_reads_zoneless_times_in_its_own_zone_or_the_centers_one() {
        let env = std::collections::HashMap::from([
            (
                "AEGIS__CENTERS__TIMEZONE".to_owned(),
                "America/Los_Angeles".to_owned(),
            ),
            (
                "AEGIS__CENTERS__PA811__TIMEZONE".to_owned(),
                "America/New_York".to_owned(),
            ),
        ]);
        let s = Settings::load_with_env(None, Some(env)).unwrap();
        assert_eq!(
            s.centers.tz_of("PA811").unwrap(),
            chrono_tz::America::New_York
        );
        assert_eq!(
            s.centers.tz_of("USAN").unwrap(),
            chrono_tz::America::Los_Angeles
        );
        let bad = std::collections::HashMap::from([(
            "AEGIS__CENTERS__PA811__TIMEZONE".to_owned(),
            "Mars/Olympus".to_owned(),
        )]);
        assert!(Settings::load_with_env(None, Some(bad)).is_err());
    }

    #[test]
    fn trusted_proxies_come_as_a_comma_separated_list_and_are_checked() {
        let env = std::collections::HashMap::from([(
            "AEGIS__HTTP__TRUSTED_PROXIES".to_owned(),
            "10.0.0.0/8,127.0.0.1".to_owned(),
        )]);
        let s = Settings::load_with_env(None, Some(env)).unwrap();
        assert_eq!(s.http.trusted_proxies, vec!["10.0.0.0/8", "127.0.0.1"]);
        let bad = std::collections::HashMap::from([(
            "AEGIS__HTTP__TRUSTED_PROXIES".to_owned(),
            "10.0.0.0/99".to_owned(),
        )]);
        let err = format!(
            "{:#}",
            Settings::load_with_env(None, Some(bad)).unwrap_err()
        );
        assert!(err.contains("http.trusted_proxies"), "{err}");
    }

    #[test]
    fn closed_choices_are_enums_checked_at_load() {
        let load = |k: &str, v: &str| {
            let env = std::collections::HashMap::from([(k.to_owned(), v.to_owned())]);
            Settings::load_with_env(None, Some(env))
        };
        let s = load("AEGIS__MODEL__EXPLAIN", "exact").unwrap();
        assert_eq!(s.model.explain, ExplainMode::Exact);
        let s = load("AEGIS__RISK__CONSEQUENCE__GAS_TRANSMISSION", "400").unwrap();
        assert_eq!(
            s.consequence()
                .unwrap()
                .weight(FacilityClass::GasTransmission),
            400.0
        );
        let s = load("AEGIS__DATABASE__SQLITE_SYNCHRONOUS", "normal").unwrap();
        assert_eq!(s.database.sqlite_synchronous, SqliteSynchronous::Normal);
        for (k, v) in [
            ("AEGIS__MODEL__EXPLAIN", "sometimes"),
            ("AEGIS__LOG__FORMAT", "xml"),
            ("AEGIS__DATABASE__SQLITE_SYNCHRONOUS", "off"),
            ("AEGIS__LOG__LEVEL", "loud=[["),
        ] {
            let err = format!("{:#}", load(k, v).unwrap_err());
            assert!(err.contains(v) || err.contains("log.level"), "{k}: {err}");
        }
    }

    #[test]
    fn bad_values_are_refused_with_the_key() {
        let mut s = Settings::default();
        s.risk.consequence.insert("gas_transmission".into(), 250.0);
        assert_eq!(
            s.consequence()
                .unwrap()
                .weight(FacilityClass::GasTransmission),
            250.0
        );
        s.risk.consequence.insert("plutonium".into(), 5.0);
        let err = format!("{:#}", s.check().unwrap_err());
        assert!(err.contains("risk.consequence.plutonium"), "{err}");
        s.risk.consequence.clear();
        s.risk.medium = 0.9;
        let err = s.check().unwrap_err().to_string();
        assert!(err.contains("risk.medium"), "{err}");
        assert!(Settings::load(Some(Path::new("/nonexistent/aegis.toml"))).is_err());
    }
}
