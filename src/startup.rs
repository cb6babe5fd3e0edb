//! The composition root: reads settings, opens the database (migrating it), starts the bus,
//! the scorer and the actor runtime, and binds the HTTP server. Tests build the same
//! application on port 0 and read the port back.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use aegis_actors::health::Health;
use aegis_actors::ports::{Bus, Clock, ShiftedClock, SystemClock};
use aegis_actors::{Deps, Runtime, ScorerSlot, Signals};
use anyhow::{Context as _, anyhow};

use crate::bus::inprocess::InProcessBus;
use crate::config::Settings;
use crate::db::centers::{self, CenterFormat};
use crate::db::store::DbStore;
use crate::db::writer::Writer;
use crate::db::{Db, DbSettings, migrate};
use crate::http;
use crate::risk::forest::Forest;
use crate::risk::scorer::{Explain, ForestScorer, ScorerOptions};
use crate::telemetry;
use crate::web::request_id;
use crate::web::state::AppState;
use aegis_actors::ports::ManualClock;

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    /// For tests and tools that set up rows directly (centers, users) before traffic.
    db: Db,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish()
    }
}

pub fn db_settings(s: &Settings) -> DbSettings {
    DbSettings {
        url: s.database.url.clone(),
        read_pool: s.database.read_pool,
        writers: s.database.writers,
        busy_timeout_ms: s.database.busy_timeout_ms,
        sqlite_synchronous: s.database.sqlite_synchronous,
        connect_timeout: Duration::from_secs(10),
    }
}

/// Opens the database and applies pending migrations.
pub fn open_db(s: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(db_settings(s))?;
    let applied = migrate::run(&db)?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, backend = db.backend().as_str(), "applied migrations");
    }
    Ok(db)
}

/// Loads the configured model, or the bundled one.
pub fn load_model(s: &Settings) -> anyhow::Result<Forest> {
    if s.model.path.is_empty() {
        Ok(Forest::from_bytes(crate::risk::BUNDLED_MODEL, "bundled")?)
    } else {
        Ok(Forest::load(Path::new(&s.model.path), s.model.max_bytes)?)
    }
}

pub fn scorer_options(s: &Settings) -> ScorerOptions {
    ScorerOptions {
        threads: s.model.threads.max(1),
        max_batch: s.model.max_batch.max(1),
        queue: 100_000,
        top: s.model.top_features,
        explain: match s.model.explain {
            crate::config::ExplainMode::Exact => Explain::Exact,
            crate::config::ExplainMode::Auto => Explain::ExactFrom(s.risk.high),
        },
        #[cfg(feature = "testing")]
        panic_on_ticket: (!s.testing.panic_on_ticket.is_empty()).then(|| {
            crate::risk::scorer::FaultHook::new(
                s.testing.panic_on_ticket.clone(),
                s.testing.panic_times,
            )
        }),
    }
}

/// Registers `DEMO` when demo mode is on, no center exists yet and Aegis listens on loopback
/// only (a demo secret must never open a public port); returns the secret, to be printed once.
fn demo_center(db: &Db, s: &Settings) -> anyhow::Result<Option<String>> {
    if !s.demo.enabled || !binds_loopback_only(&s.http.bind) {
        return Ok(None);
    }
    let mut conn = db.write().map_err(|e| anyhow!(e))?;
    if !centers::list(&mut conn)?.is_empty() {
        return Ok(None);
    }
    let secret = CenterFormat::Native.generate_secret();
    centers::add(&mut conn, "DEMO", CenterFormat::Native, &secret)?;
    let layers = crate::facilities::demo::import_if_none(&mut conn, s.facilities.max_bytes)?;
    if layers > 0 {
        tracing::info!(layers, "demo facility layers imported around the demo area");
    }
    Ok(Some(secret))
}

/// Whether every address `bind` resolves to is a loopback address.
fn binds_loopback_only(bind: &str) -> bool {
    use std::net::ToSocketAddrs;
    bind.to_socket_addrs()
        .map(|mut addrs| addrs.all(|a| a.ip().is_loopback()))
        .unwrap_or(false)
}

fn node_id(s: &Settings, port: u16) -> String {
    if !s.runtime.node_id.is_empty() {
        return s.runtime.node_id.clone();
    }
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "aegis".to_owned());
    format!("{host}:{port}:{}", std::process::id())
}

fn connect_bus(s: &Settings, node: &str) -> Arc<dyn Bus> {
    if s.bus.url.is_empty() {
        InProcessBus::new(s.bus.queue_capacity)
    } else {
        crate::bus::rabbitmq::RabbitBus::start(s.bus.url.clone(), &s.bus.prefix, node.to_owned())
    }
}

impl Application {
    /// Builds everything and binds the listener; must run inside an actix system.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        crate::tls::install_provider();
        let settings = Arc::new(settings);
        let metrics = telemetry::metrics_export::install()?;
        let s = settings.clone();
        let (db, demo_secret) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let db = open_db(&s)?;
            let demo = demo_center(&db, &s)?;
            Ok((db, demo))
        })
        .await??;
        if let Some(secret) = demo_secret {
            println!(
                "Demo center DEMO (native webhooks) created; its secret (shown once): {secret}"
            );
        }
        let writer = Writer::start(
            db.clone(),
            settings.database.writer_queue,
            settings.database.max_batch,
        );
        let store = DbStore::new(db.clone(), writer);
        let options = scorer_options(&settings);
        let forest = load_model(&settings).context("loading the risk model")?;
        tracing::info!(model = %forest.version, trees = forest.tree_count(), "risk model loaded");
        let scorer = ForestScorer::start(forest, options.clone())?;
        let offset = chrono::TimeDelta::seconds(settings.testing.clock_offset_secs);
        let manual_clock = settings
            .testing
            .manual_clock
            .then(|| Arc::new(ManualClock::new(chrono::Utc::now() + offset)));
        let clock: Arc<dyn Clock> = match &manual_clock {
            Some(c) => c.clone(),
            None if offset.is_zero() => Arc::new(SystemClock),
            None => Arc::new(ShiftedClock::new(offset)),
        };
        let listener = TcpListener::bind(&settings.http.bind)
            .with_context(|| format!("binding {}", settings.http.bind))?;
        let port = listener.local_addr()?.port();
        let node = node_id(&settings, port);
        let link_key = store
            .writer()
            .run(|tx| crate::db::link_keys::ensure(tx, chrono::Utc::now()))
            .await
            .context("reading the acknowledgement link key")?;
        let links = crate::notify::links::LinkSigner::new(link_key);
        let notify_timeout = Duration::from_millis(settings.notify.timeout_ms);
        let mailer = if settings.notify.smtp_url.is_empty() {
            tracing::warn!("notify.smtp_url is not set: e-mail notifications will fail");
            None
        } else {
            Some(crate::notify::email::Mailer::new(
                &settings.notify.smtp_url,
                &settings.notify.from,
                notify_timeout,
            )?)
        };
        let outbound = crate::outbound::Outbound::new(settings.outbound.allow_private_networks);
        let messenger = crate::notify::ChannelMessenger::new(
            db.clone(),
            links.clone(),
            settings.public_url(port),
            mailer,
            notify_timeout,
            outbound,
        )?;
        let responder = crate::positive_response::PositiveResponseClient::new(
            db.clone(),
            notify_timeout,
            outbound,
        )?;
        actix_web::rt::spawn(crate::positive_response::codes::refresh_daily(
            responder.clone(),
            db.clone(),
            store.as_ref().clone(),
        ));
        let bus = connect_bus(&settings, &node);
        let screener = crate::facilities::layer_screener::LayerScreener::empty();
        screener
            .refresh(&db)
            .await
            .context("loading the facility layers")?;
        screener.watch(
            db.clone(),
            Duration::from_millis(settings.facilities.refresh_ms.max(100)),
        );
        let health = Health::default();
        let deps = Deps {
            store: store.clone(),
            bus: bus.clone(),
            scorer: ScorerSlot::new(scorer, &health),
            screener: screener.clone(),
            clock: clock.clone(),
            messenger: Arc::new(messenger),
            responder: Arc::new(responder.clone()),
            config: settings.runtime_config(node)?,
            signals: Signals::default(),
            health,
        };
        let runtime = Runtime::start(deps);
        let last_deliveries = telemetry::silence::LastDeliveries::watching(&settings.centers);
        telemetry::silence::load(&db, &settings.centers, &last_deliveries, clock.now()).await;
        let app = crate::app::App::new(crate::app::Parts {
            settings: settings.clone(),
            db: db.clone(),
            store,
            bus,
            runtime,
            clock,
            manual_clock,
            links,
            responder,
            last_deliveries,
            scorer_options: options,
            outbound,
            screener,
            consequence: settings.consequence()?,
        });
        let gauges = app.telemetry_sources();
        telemetry::gauges::spawn_db_gauges(gauges.clone(), Duration::from_secs(5));
        let state = web::Data::new(AppState {
            app,
            metrics,
            streams: Arc::new(tokio::sync::Semaphore::new(settings.http.max_streams)),
            proxies: crate::web::client_ip::parse_proxies(&settings.http.trusted_proxies)
                .map_err(|e| anyhow!("http.trusted_proxies: {e}"))?,
            gauges,
            body_slots: crate::web::body_slots::BodySlots::new(settings.http.max_bodies_per_center),
        });
        let testing = settings.testing.manual_clock;
        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .app_data(http::json_config(http::API_BODY_LIMIT))
                .app_data(http::query_config())
                .app_data(http::path_config())
                .wrap(from_fn(request_id::middleware))
                .configure(|c| http::routes(c, testing))
                .configure(crate::console::routes)
                .default_service(web::to(http::not_found))
        })
        .backlog(4_096)
        .shutdown_timeout(5);
        if settings.http.workers > 0 {
            server = server.workers(settings.http.workers);
        }
        let server = server.listen(listener)?.run();
        tracing::info!(port, "Aegis is listening");
        Ok(Self {
            port,
            server,
            state,
            db,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// The database the application runs on.
    pub fn db(&self) -> Db {
        self.db.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let state = self.state.clone();
        let res = self.server.await;
        state.app.stop();
        res
    }
}
