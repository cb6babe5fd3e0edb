//! Starting Aegis for a test: its own SQLite file or its own PostgreSQL database, a random
//! port, a registered center and an operator token.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use aegis::config::Settings;
use aegis::db::centers::{self, CenterFormat};
use aegis::db::principals::{self, Role};
use aegis::db::{AnyConn, Db};
use aegis::formats::onecall;
use aegis::formats::signature::{sign_native, sign_onecall};
use aegis::startup::Application;
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::Value;

pub const SECRET: &str = "whsec_YWVnaXMtZGVtby1zZWNyZXQtMDEyMzQ1Njc4OWFiY2Q=";
pub const ONECALL_SECRET: &str = "ThisIsMyOneCallSecret-123";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where PostgreSQL test databases are created.
pub fn pg_admin_url() -> String {
    std::env::var("AEGIS_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn pg_base(admin: &str) -> String {
    admin
        .rsplit_once('/')
        .map_or(admin.to_owned(), |(b, _)| b.to_owned())
}

/// A fresh PostgreSQL database, or `None` (with a loud message) when the server is
/// unreachable outside CI. Under `CI=true` an unreachable server fails the test.
pub fn pg_database() -> Option<(String, String)> {
    let admin = pg_admin_url();
    let mut conn = match PgConnection::establish(&admin) {
        Ok(c) => c,
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("PostgreSQL at {admin} is required under CI=true: {e}");
            }
            eprintln!(
                "SKIPPED: PostgreSQL at {admin} is unreachable ({e}); set CI=true to make this fatal"
            );
            return None;
        }
    };
    let name = format!("aegis_t_{}", uuid::Uuid::new_v4().simple());
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .expect("create test database");
    Some((format!("{}/{name}", pg_base(&admin)), name))
}

pub fn drop_pg_database(name: &str) {
    if let Ok(mut conn) = PgConnection::establish(&pg_admin_url()) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn);
    }
}

pub struct TestApp {
    pub base: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub db: Db,
    pub token: String,
    pub officer_token: String,
    pub backend: Backend,
    pub state: actix_web::web::Data<aegis::web::state::AppState>,
    _dir: Option<tempdir::TempDir>,
    pg_name: Option<String>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            drop_pg_database(name);
        }
    }
}

mod tempdir {
    /// A directory removed when dropped.
    #[derive(Debug)]
    pub struct TempDir(pub std::path::PathBuf);

    impl TempDir {
        pub fn new() -> Self {
            let p =
                std::env::temp_dir().join(format!("aegis-test-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&p).expect("temp dir");
            Self(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// What every test app's clock reads when this test process starts: Monday 2026-11-23, 17:00
/// UTC (09:00 in California), after the example tickets were submitted (the emergency one's
/// start passed a day and a half ago) and before the normal one's legal start (the next day).
/// Apps run their clocks from there at the real pace (`testing.clock_offset_secs`), so the day
/// and hour a ticket is scored, summarised or chased at are the same whatever day the suite
/// runs.
const TEST_EPOCH: &str = "2026-11-23T17:00:00Z";

/// Seconds from the real clock to the test clock, fixed once per process so that every app
/// (and every node of a cluster) reads the same time.
pub fn clock_offset_secs() -> i64 {
    static OFFSET: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *OFFSET.get_or_init(|| {
        let epoch = chrono::DateTime::parse_from_rfc3339(TEST_EPOCH).expect("TEST_EPOCH");
        epoch.timestamp() - chrono::Utc::now().timestamp()
    })
}

/// Now on the test apps' clock (before any manual clock is moved).
pub fn test_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::TimeDelta::seconds(clock_offset_secs())
}

/// Settings every test starts from: random port, quiet, no demo center, fast timers, the
/// test clock.
pub fn test_settings(url: String) -> Settings {
    let mut s = Settings::default();
    s.testing.clock_offset_secs = clock_offset_secs();
    // The tests' receivers (SMTP, webhooks, PagerDuty, PositiveResponse) listen on loopback.
    s.outbound.allow_private_networks = true;
    s.http.bind = "127.0.0.1:0".into();
    s.http.workers = 1;
    s.database.url = url;
    s.database.sqlite_synchronous = aegis::config::SqliteSynchronous::Normal;
    s.database.read_pool = 4;
    s.demo.enabled = false;
    s.log.level = "warn".into();
    s.runtime.timer_poll_ms = 50;
    s.runtime.outbox_poll_ms = 50;
    s.runtime.arbiters = 1;
    s.runtime.retry.base_backoff_ms = 20;
    s.runtime.retry.max_backoff_ms = 200;
    s
}

/// A database URL for `backend`, or `None` when PostgreSQL is unavailable outside CI.
pub fn database(backend: Backend) -> Option<(String, Option<tempdir::TempDir>, Option<String>)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempdir::TempDir::new();
            let url = dir.0.join("aegis.db").display().to_string();
            Some((url, Some(dir), None))
        }
        Backend::Postgres => pg_database().map(|(url, name)| (url, None, Some(name))),
    }
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, |_| {}).await
}

/// Starts Aegis with test settings adjusted by `tweak`.
pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    aegis::telemetry::logging::init("error", aegis::telemetry::logging::LogFormat::Pretty);
    let (url, dir, pg_name) = database(backend)?;
    let mut settings = test_settings(url);
    tweak(&mut settings);
    let app = Application::build(settings).await.expect("build app");
    let port = app.port();
    let state = app.state();
    let db = app.db();
    actix_web::rt::spawn(app.run_until_stopped());
    let (token, officer_token) = {
        let mut conn = db.write().unwrap();
        centers::add(&mut conn, "TEST", CenterFormat::Native, SECRET).unwrap();
        centers::add(&mut conn, "USAN", CenterFormat::Onecall, ONECALL_SECRET).unwrap();
        let op = principals::add(&mut conn, "ops", Role::Operator).unwrap();
        let off = principals::add(&mut conn, "officer-1", Role::Officer).unwrap();
        (op, off)
    };
    Some(TestApp {
        base: format!("http://127.0.0.1:{port}"),
        port,
        client: reqwest::Client::new(),
        db,
        token,
        officer_token,
        backend,
        state,
        _dir: dir,
        pg_name,
    })
}

pub fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl TestApp {
    pub async fn post_native_as(
        &self,
        center: &str,
        id: &str,
        ts: i64,
        secret: &str,
        body: &[u8],
    ) -> Reply {
        self.post_signed_to(&format!("/v1/webhooks/{center}"), id, ts, secret, body)
            .await
    }

    /// Posts `body` to `path` signed as center TEST signs its webhooks, with delivery `id`.
    pub async fn post_signed_json(&self, path: &str, id: &str, body: &str) -> Reply {
        let ts = chrono::Utc::now().timestamp();
        self.post_signed_to(path, id, ts, SECRET, body.as_bytes())
            .await
    }

    /// Posts `body` to `path` with Standard Webhooks headers for `secret`.
    async fn post_signed_to(
        &self,
        path: &str,
        id: &str,
        ts: i64,
        secret: &str,
        body: &[u8],
    ) -> Reply {
        let sig = sign_native(secret, id, ts, body);
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", sig)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        reply(r).await
    }

    /// The text of `/metrics`.
    pub async fn metrics_text(&self) -> String {
        metrics_of(&self.client, &self.base).await
    }

    /// Posts the contract's normal ticket and waits until it is resolved; its workflow id.
    pub async fn resolved_normal_ticket(&self) -> String {
        let r = self.post_native(&fixture("normal.json")).await;
        let id = r.body["workflow_id"].as_str().unwrap().to_owned();
        self.wait_state(&id, "resolved").await;
        id
    }

    /// Posts a native ticket to center TEST with a fresh delivery id.
    pub async fn post_native(&self, body: &[u8]) -> Reply {
        let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        self.post_native_as("TEST", &id, chrono::Utc::now().timestamp(), SECRET, body)
            .await
    }

    pub async fn post_ticket(&self, ticket: &Value) -> Reply {
        self.post_native(ticket.to_string().as_bytes()).await
    }

    pub async fn post_onecall_body(&self, body: &str, signature: Option<&str>) -> Reply {
        self.post_onecall_to("USAN", body, signature).await
    }

    /// Registers a OneCall center under a code no other test uses (metrics labelled by center
    /// are shared by every test in the process), with the USAN secret.
    pub fn onecall_center(&self) -> String {
        let code = format!("OC{}", &uuid::Uuid::new_v4().simple().to_string()[..10]).to_uppercase();
        let mut conn = self.db.write().unwrap();
        centers::add(&mut conn, &code, CenterFormat::Onecall, ONECALL_SECRET).unwrap();
        code
    }

    /// Posts a OneCallAccess body to `center`, signed with the USAN secret unless told.
    pub async fn post_onecall_to(
        &self,
        center: &str,
        body: &str,
        signature: Option<&str>,
    ) -> Reply {
        let mut req = self
            .client
            .post(format!("{}/v1/webhooks/{center}/onecall", self.base))
            .header("content-type", "application/json");
        let sig = signature.map_or_else(
            || sign_onecall(ONECALL_SECRET, body.as_bytes()),
            str::to_owned,
        );
        req = req.header("X-OneCall-Webhook-Signature", sig);
        reply(req.body(body.to_owned()).send().await.unwrap()).await
    }

    pub async fn post_onecall_xml(&self, xml: &str, notification: &str) -> Reply {
        let body = onecall::envelope(xml, notification, "");
        self.post_onecall_body(&body, None).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        reply(r).await
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Reply {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        reply(r).await
    }

    pub async fn patch_json(&self, path: &str, token: &str, body: &Value) -> Reply {
        let r = self
            .client
            .patch(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        reply(r).await
    }

    pub async fn put_json(&self, path: &str, token: &str, body: &Value) -> Reply {
        let r = self
            .client
            .put(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        reply(r).await
    }

    /// `PUT` of a file body with its media type.
    pub async fn put_bytes(&self, path: &str, media_type: &str, body: Vec<u8>) -> Reply {
        let r = self
            .client
            .put(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", media_type)
            .body(body)
            .send()
            .await
            .unwrap();
        reply(r).await
    }

    pub async fn workflow(&self, id: &str) -> Value {
        let r = self
            .get(&format!("/v1/admin/workflows/{id}"), &self.token)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    }

    /// Polls a workflow until `done` holds (or fails after 15 s).
    pub async fn wait_for(&self, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let w = self.workflow(id).await;
            if done(&w) {
                return w;
            }
            assert!(
                Instant::now() < deadline,
                "workflow {id} never became {what}: {w:#}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Posts the emergency-drilling ticket as `number` (from its own excavator, so its score
    /// does not depend on earlier copies) and waits for its alert: (workflow id, alert id).
    pub async fn raise_alert(&self, number: &str) -> (String, String) {
        let mut t = fixture_json("emergency-directional-drilling.json");
        t["ticket_number"] = serde_json::json!(number);
        t["excavator"]["id"] = serde_json::json!(format!("EX-{number}"));
        let r = self.post_ticket(&t).await;
        assert_eq!(r.status, 202, "{}", r.body);
        let id = r.body["workflow_id"].as_str().unwrap().to_owned();
        let w = self.wait_state(&id, "alerted").await;
        let alert = w["alert"]["id"].as_str().unwrap().to_owned();
        (id, alert)
    }

    pub async fn wait_state(&self, id: &str, state: &str) -> Value {
        self.wait_for(id, state, |w| w["state"] == state).await
    }

    /// Rows in a table, straight from the database.
    pub fn count(&self, table: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.db.read().unwrap();
        let q = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"));
        let rows: Vec<N> = match &mut conn {
            AnyConn::Sqlite(c) => q.load(&mut **c).unwrap(),
            AnyConn::Pg(c) => q.load(&mut **c).unwrap(),
        };
        rows[0].n
    }

    /// Waits until delivery rows of `change` are in `state`; how many there are then.
    /// Waits until a delivery about `subject` (`alert`, `missing_tickets`) is in `state`.
    pub async fn wait_for_delivery_state(&self, subject: &str, state: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let q = diesel::sql_query(format!(
                "SELECT COUNT(*) AS n FROM deliveries WHERE subject = '{subject}' AND state = '{state}'"
            ));
            let rows: Vec<N> = {
                let mut conn = self.db.read().unwrap();
                match &mut conn {
                    AnyConn::Sqlite(c) => q.load(&mut **c).unwrap(),
                    AnyConn::Pg(c) => q.load(&mut **c).unwrap(),
                }
            };
            if rows[0].n > 0 {
                return rows[0].n;
            }
            assert!(
                Instant::now() < deadline,
                "no {subject} delivery became {state}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Posts a daily summary as text to OneCall center `center`, signed with the USA North
    /// secret unless `signed` is false.
    pub async fn post_summary_text(&self, center: &str, text: &str, signed: bool) -> Reply {
        let mut req = self
            .client
            .post(format!("{}/v1/webhooks/{center}/summary", self.base))
            .header("content-type", "text/plain; charset=utf-8");
        if signed {
            req = req.header(
                "X-OneCall-Webhook-Signature",
                sign_onecall(ONECALL_SECRET, text.as_bytes()),
            );
        }
        reply(req.body(text.to_owned()).send().await.unwrap()).await
    }

    /// Moves the manual clock (`testing.manual_clock`) on by `seconds`.
    pub async fn advance_clock(&self, seconds: i64) {
        let r = self
            .client
            .post(format!("{}/v1/testing/clock", self.base))
            .json(&serde_json::json!({ "seconds": seconds }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    /// Runs SQL straight against the database (as someone with its keys would).
    pub fn exec_sql(&self, sql: &str) -> diesel::QueryResult<usize> {
        let mut conn = self.db.write().unwrap();
        match &mut conn {
            AnyConn::Sqlite(c) => diesel::RunQueryDsl::execute(diesel::sql_query(sql), &mut **c),
            AnyConn::Pg(c) => diesel::RunQueryDsl::execute(diesel::sql_query(sql), &mut **c),
        }
    }

    /// Disables the database's guard against changing events, then rewrites who did event
    /// `seq` of a workflow: what only someone with the database's keys can do.
    pub fn tamper_with_event(&self, backend: Backend, id: &str, seq: i64) -> usize {
        match backend {
            Backend::Sqlite => self.exec_sql("DROP TRIGGER events_no_update").unwrap(),
            Backend::Postgres => self
                .exec_sql("ALTER TABLE events DISABLE TRIGGER events_no_update")
                .unwrap(),
        };
        self.exec_sql(&format!(
            "UPDATE events SET principal = 'someone-else' WHERE workflow_id = '{id}' AND seq = {seq}"
        ))
        .unwrap()
    }
}

/// The text of `/metrics` of the Aegis at `base`.
pub async fn metrics_of(client: &reqwest::Client, base: &str) -> String {
    client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub async fn reply(r: reqwest::Response) -> Reply {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Reply {
        status,
        body,
        headers,
    }
}

/// Declares, for each async `fn name(backend: Backend)`, the tests `name::sqlite` and
/// `name::postgres` (functions and modules live in different namespaces).
#[macro_export]
macro_rules! both_backends {
    ($($f:ident),* $(,)?) => {
        $(
            mod $f {
                #[actix_web::test]
                async fn sqlite() {
                    super::$f($crate::helpers::Backend::Sqlite).await
                }

                #[actix_web::test]
                async fn postgres() {
                    super::$f($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An `aegis serve` process of its own (for kills and several nodes); killed when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub base: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the built binary with `env` on a free port and waits until `ready_path` answers 200.
pub async fn start_process(
    env: &[(&str, String)],
    stderr: std::process::Stdio,
    ready_path: &str,
) -> ServerProcess {
    // Port 0, and the port read back from what the server prints: a port chosen here and
    // released before the server binds it could be taken by another test's server meanwhile,
    // which would then answer for this one.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aegis"));
    cmd.arg("serve")
        .env("AEGIS__HTTP__BIND", "127.0.0.1:0")
        .env("AEGIS__DEMO__ENABLED", "false")
        .env("AEGIS__OUTBOUND__ALLOW_PRIVATE_NETWORKS", "true")
        .env(
            "AEGIS__TESTING__CLOCK_OFFSET_SECS",
            clock_offset_secs().to_string(),
        )
        .env("AEGIS__LOG__FORMAT", "json")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(stderr);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start aegis serve");
    let stdout = child.stdout.take().expect("the server's stdout");
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut tx = Some(tx);
        // Read to the end, so the server never blocks on a full pipe.
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(port) = line
                .strip_prefix("Aegis is listening on 127.0.0.1:")
                .and_then(|p| p.trim().parse::<u16>().ok())
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(port);
            }
        }
    });
    let port = tokio::time::timeout(Duration::from_secs(30), rx)
        .await
        .expect("aegis did not say where it listens within 30 s")
        .expect("aegis ended before listening");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("{base}{ready_path}")).send().await
            && r.status() == 200
        {
            break;
        }
        assert!(Instant::now() < deadline, "aegis did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ServerProcess { child, base }
}

/// Posts a native ticket to center TEST; the workflow id when it was acknowledged.
pub async fn post_signed(
    client: &reqwest::Client,
    base: &str,
    delivery: &str,
    ticket: &Value,
) -> Option<String> {
    let body = ticket.to_string();
    let ts = chrono::Utc::now().timestamp();
    let sig = sign_native(SECRET, delivery, ts, body.as_bytes());
    let r = client
        .post(format!("{base}/v1/webhooks/TEST"))
        .header("content-type", "application/json")
        .header("webhook-id", delivery)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(body)
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    let v: Value = r.json().await.ok()?;
    v["workflow_id"].as_str().map(str::to_owned)
}
