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

use crate::app::UseCaseError as _;
use crate::bus::inprocess::InProcessBus;
use crate::config::Settings;
use crate::db::store::DbStore;
use crate::db::writer::Writer;
use crate::db::{Db, DbSettings, migrate};
use crate::facilities::layer_screener::LayerScreener;
use crate::http;
use crate::notify::links::LinkSigner;
use crate::positive_response::PositiveResponseClient;
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

/// Applies pending migrations and says which (`aegis migrate`): the backend's name and the
/// migrations applied.
pub fn migrate(s: &Settings) -> anyhow::Result<(&'static str, Vec<String>)> {
    let db = Db::connect(db_settings(s))?;
    let applied = migrate::run(&db)?;
    Ok((db.backend().as_str(), applied))
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

/// Storage: the database (migrated) and the writer in front of it.
async fn open_storage(settings: &Arc<Settings>) -> anyhow::Result<(Db, Arc<DbStore>)> {
    let s = settings.clone();
    let db = tokio::task::spawn_blocking(move || open_db(&s)).await??;
    let writer = Writer::start(
        db.clone(),
        settings.database.writer_queue,
        settings.database.max_batch,
    );
    let store = DbStore::new(db.clone(), writer);
    Ok((db, store))
}

/// The application without the runtime, as the command line uses it: storage, the system
/// clock, no screener. Must run inside a Tokio runtime.
pub async fn tools_app(settings: Settings) -> anyhow::Result<crate::app::App> {
    let settings = Arc::new(settings);
    let (db, store) = open_storage(&settings).await?;
    Ok(crate::app::App::new(crate::app::Parts {
        outbound: crate::outbound::Outbound::new(settings.outbound.allow_private_networks),
        consequence: settings.consequence()?,
        settings,
        db,
        store,
        clock: Arc::new(SystemClock),
        screener: None,
    }))
}

/// The clock every part reads: the system's, shifted, or manual (tests).
fn clocks(settings: &Settings) -> (Arc<dyn Clock>, Option<Arc<ManualClock>>) {
    let offset = chrono::TimeDelta::seconds(settings.testing.clock_offset_secs);
    let manual = settings
        .testing
        .manual_clock
        .then(|| Arc::new(ManualClock::new(chrono::Utc::now() + offset)));
    let clock: Arc<dyn Clock> = match &manual {
        Some(c) => c.clone(),
        None if offset.is_zero() => Arc::new(SystemClock),
        None => Arc::new(ShiftedClock::new(offset)),
    };
    (clock, manual)
}

/// On a fresh install listening on loopback only (a demo secret must never open a public
/// port): the demo center and network; its secret is printed once.
async fn install_demo(app: &crate::app::App, settings: &Settings) -> anyhow::Result<()> {
    if !settings.demo.enabled || !binds_loopback_only(&settings.http.bind) {
        return Ok(());
    }
    let installed = app
        .install_demo()
        .await
        .map_err(|e| anyhow!("installing the demo: {}", e.refusal()))?;
    if installed.layers > 0 {
        tracing::info!(
            layers = installed.layers,
            "demo facility layers imported around the demo area"
        );
    }
    if let Some(secret) = installed.secret {
        println!("Demo center DEMO (native webhooks) created; its secret (shown once): {secret}");
    }
    Ok(())
}

/// What reaches the outside: acknowledgement links, the messenger (e-mail, PagerDuty, Slack,
/// webhooks) and the centers' PositiveResponse APIs.
struct Outside {
    links: LinkSigner,
    messenger: crate::notify::ChannelMessenger,
    responder: PositiveResponseClient,
}

async fn connect_outside(
    settings: &Settings,
    db: &Db,
    store: &DbStore,
    port: u16,
) -> anyhow::Result<Outside> {
    let link_key = store
        .writer()
        .run(|tx| crate::db::link_keys::ensure(tx, chrono::Utc::now()))
        .await
        .context("reading the acknowledgement link key")?;
    let links = LinkSigner::new(link_key);
    let timeout = Duration::from_millis(settings.notify.timeout_ms);
    let mailer = if settings.notify.smtp_url.is_empty() {
        tracing::warn!("notify.smtp_url is not set: e-mail notifications will fail");
        None
    } else {
        Some(crate::notify::email::Mailer::new(
            &settings.notify.smtp_url,
            &settings.notify.from,
            timeout,
        )?)
    };
    let outbound = crate::outbound::Outbound::new(settings.outbound.allow_private_networks);
    let messenger = crate::notify::ChannelMessenger::new(
        db.clone(),
        links.clone(),
        settings.public_url(port),
        mailer,
        timeout,
        outbound,
        settings.consequence()?,
    )?;
    let responder = PositiveResponseClient::new(db.clone(), timeout, outbound)?;
    actix_web::rt::spawn(crate::positive_response::codes::refresh_daily(
        responder.clone(),
        db.clone(),
        store.clone(),
    ));
    Ok(Outside {
        links,
        messenger,
        responder,
    })
}

/// The facility layers loaded, then followed through the database's screening generation.
async fn load_screener(
    screener: &Arc<LayerScreener>,
    settings: &Settings,
    db: &Db,
) -> anyhow::Result<()> {
    screener
        .refresh(db)
        .await
        .context("loading the facility layers")?;
    screener.watch(
        db.clone(),
        Duration::from_millis(settings.facilities.refresh_ms.max(100)),
    );
    Ok(())
}

/// The HTTP server over the shared state: the JSON API and the console.
fn http_server(
    state: web::Data<AppState>,
    settings: &Settings,
    listener: TcpListener,
) -> anyhow::Result<Server> {
    let testing = settings.testing.manual_clock;
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
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
    Ok(server.listen(listener)?.run())
}

impl Application {
    /// Builds everything and binds the listener; must run inside an actix system.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let clocks = clocks(&settings);
        Self::build_on(settings, clocks).await
    }

    /// The same on a clock that starts at `start` and moves only when the application moves
    /// it: a history replayed (`aegis generate --history-days`).
    pub async fn build_replaying(
        settings: Settings,
        start: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<Self> {
        let manual = Arc::new(ManualClock::new(start));
        Self::build_on(settings, (manual.clone(), Some(manual))).await
    }

    async fn build_on(
        settings: Settings,
        (clock, manual_clock): (Arc<dyn Clock>, Option<Arc<ManualClock>>),
    ) -> anyhow::Result<Self> {
        crate::tls::install_provider();
        let settings = Arc::new(settings);
        let metrics = telemetry::metrics_export::install()?;
        let (db, store) = open_storage(&settings).await?;
        let options = scorer_options(&settings);
        let forest = load_model(&settings).context("loading the risk model")?;
        tracing::info!(model = %forest.version, trees = forest.tree_count(), "risk model loaded");
        let scorer = ForestScorer::start(forest, options.clone())?;
        let screener = LayerScreener::empty();
        let core = crate::app::App::new(crate::app::Parts {
            settings: settings.clone(),
            db: db.clone(),
            store: store.clone(),
            clock: clock.clone(),
            outbound: crate::outbound::Outbound::new(settings.outbound.allow_private_networks),
            screener: Some(screener.clone()),
            consequence: settings.consequence()?,
        });
        install_demo(&core, &settings).await?;
        load_screener(&screener, &settings, &db).await?;
        let listener = TcpListener::bind(&settings.http.bind)
            .with_context(|| format!("binding {}", settings.http.bind))?;
        let port = listener.local_addr()?.port();
        let node = node_id(&settings, port);
        let outside = connect_outside(&settings, &db, &store, port).await?;
        let bus = connect_bus(&settings, &node);
        let health = Health::default();
        let runtime = Runtime::start(Deps {
            store: store.clone(),
            bus: bus.clone(),
            scorer: ScorerSlot::new(scorer, &health),
            screener: screener.clone(),
            clock,
            messenger: Arc::new(outside.messenger),
            responder: Arc::new(outside.responder.clone()),
            config: settings.runtime_config(node)?,
            signals: Signals::default(),
            health,
        });
        let app = Arc::new(crate::app::Service::new(
            core,
            crate::app::Serving {
                bus,
                runtime,
                manual_clock,
                links: outside.links,
                responder: outside.responder,
                last_deliveries: crate::app::LastDeliveries::watching(&settings.centers),
                scorer_options: options,
            },
        ));
        app.load_last_deliveries().await;
        telemetry::gauges::spawn_db_gauges(app.clone(), Duration::from_secs(5));
        let state = web::Data::new(AppState {
            app,
            metrics,
            streams: Arc::new(tokio::sync::Semaphore::new(settings.http.max_streams)),
            proxies: crate::web::client_ip::parse_proxies(&settings.http.trusted_proxies)
                .map_err(|e| anyhow!("http.trusted_proxies: {e}"))?,
            body_slots: crate::web::body_slots::BodySlots::new(settings.http.max_bodies_per_center),
        });
        let server = http_server(state.clone(), &settings, listener)?;
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
