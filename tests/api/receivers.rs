//! The outside services notifications go to, started by the tests on loopback: a real SMTP
//! server (aiosmtpd, `tests/support/smtp_sink.py`) and HTTP receivers that check each body
//! against the documented shape and answer like the real service (PagerDuty `202`, Slack
//! `200 ok`, a webhook endpoint `204`), with scripted `429`/`5xx` and hangs for retries.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use parking_lot::Mutex;
use serde_json::Value;

use crate::helpers::free_port;

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl SmtpSink {
    /// Starts the server; the first `fail_first` messages are answered `451`.
    pub fn start(fail_first: u32) -> Self {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("aegis-smtp-{}", uuid::Uuid::new_v4().simple()));
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(port.to_string())
            .arg(&dir)
            .arg(fail_first.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the SMTP server (make test-tools installs aiosmtpd)");
        let mut out = child.stdout.take().expect("stdout");
        let mut line = String::new();
        use std::io::Read;
        let mut byte = [0u8; 1];
        while !line.ends_with('\n') {
            let n = out
                .read(&mut byte)
                .expect("reading the SMTP server's output");
            assert!(
                n == 1,
                "the SMTP server did not start (is aiosmtpd installed? `make test-tools`)"
            );
            line.push(byte[0] as char);
        }
        assert_eq!(line.trim(), "READY");
        Self { child, port, dir }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, in arrival order, raw.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files.iter().filter_map(|p| std::fs::read(p).ok()).collect()
    }

    /// Waits until at least `n` messages have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} e-mails arrived",
                m.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Value,
    /// The body as sent (signatures are over these bytes).
    pub raw: Vec<u8>,
    /// The status it was answered with.
    pub status: u16,
}

/// What a path answers, in turn; the last repeats. `0` means: never answer (a hang).
#[derive(Clone, Default)]
struct Shared {
    log: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<HashMap<String, Vec<u16>>>>,
    /// What a path says in its refusals (an error page, say).
    answers: Arc<Mutex<HashMap<String, String>>>,
}

pub struct Receivers {
    pub base: String,
    shared: Shared,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Receivers {
    fn drop(&mut self) {
        let h = self.handle.clone();
        actix_web::rt::spawn(async move { h.stop(false).await });
    }
}

/// Checks a PagerDuty Events API v2 body as PagerDuty does; the problem when it does not fit.
fn pagerduty_problem(b: &Value) -> Option<String> {
    let action = b["event_action"].as_str()?;
    if !matches!(action, "trigger" | "acknowledge" | "resolve") {
        return Some(format!("event_action '{action}'"));
    }
    if b["routing_key"].as_str().is_none_or(|k| k.is_empty()) {
        return Some("routing_key".into());
    }
    if b["dedup_key"].as_str().is_none_or(|k| k.is_empty()) {
        return Some("dedup_key".into());
    }
    if action == "trigger" {
        let p = &b["payload"];
        if p["summary"]
            .as_str()
            .is_none_or(|s| s.is_empty() || s.len() > 1024)
        {
            return Some("payload.summary".into());
        }
        if p["source"] != "aegis" {
            return Some("payload.source".into());
        }
        if !matches!(
            p["severity"].as_str(),
            Some("critical" | "error" | "warning" | "info")
        ) {
            return Some("payload.severity".into());
        }
    }
    None
}

fn shape_problem(path: &str, b: &Value) -> Option<String> {
    if path.starts_with("/pagerduty") {
        return pagerduty_problem(b).or_else(|| {
            b["event_action"]
                .as_str()
                .is_none()
                .then(|| "event_action".to_owned())
        });
    }
    if path.starts_with("/slack") {
        return b["text"]
            .as_str()
            .is_none_or(str::is_empty)
            .then(|| "text".to_owned());
    }
    if path.starts_with("/webhook") {
        let t = b["type"].as_str().unwrap_or("");
        if !matches!(
            t,
            "alert.raised" | "alert.escalated" | "alert.acknowledged" | "alert.resolved"
        ) {
            return Some(format!("type '{t}'"));
        }
        for k in ["alert", "ticket"] {
            if !b[k].is_object() {
                return Some(k.to_owned());
            }
        }
    }
    None
}

async fn receive(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let path = req.path().to_owned();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let status = {
        let mut script = shared.script.lock();
        match script.get_mut(&path) {
            Some(list) if list.len() > 1 => list.remove(0),
            Some(list) => list.first().copied().unwrap_or(200),
            None => 200,
        }
    };
    let parsed: Result<Value, _> = serde_json::from_slice(&body);
    let (status, answer) = match &parsed {
        Err(_) => (400, "invalid JSON".to_owned()),
        Ok(b) => match shape_problem(&path, b) {
            Some(p) => (400, format!("Event object is invalid: {p}")),
            None => (status, String::new()),
        },
    };
    shared.log.lock().push(Received {
        path: path.clone(),
        headers,
        body: parsed.unwrap_or(Value::Null),
        raw: body.to_vec(),
        status,
    });
    if status == 0 {
        tokio::time::sleep(Duration::from_secs(3_600)).await;
    }
    let code = actix_web::http::StatusCode::from_u16(status).unwrap_or_default();
    if path.starts_with("/pagerduty") && code.is_success() {
        return HttpResponse::Accepted().json(serde_json::json!({
            "status": "success", "message": "Event processed", "dedup_key": "x"
        }));
    }
    if path.starts_with("/slack") && code.is_success() {
        return HttpResponse::Ok().body("ok");
    }
    if path.starts_with("/webhook") && code.is_success() {
        return HttpResponse::NoContent().finish();
    }
    let answer = shared.answers.lock().get(&path).cloned().unwrap_or(answer);
    HttpResponse::build(code).body(answer)
}

impl Receivers {
    pub fn start() -> Self {
        let shared = Shared::default();
        let data = web::Data::new(shared.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind receivers");
        let port = listener.local_addr().expect("addr").port();
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(2)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self {
            base: format!("http://127.0.0.1:{port}"),
            shared,
            handle,
        }
    }

    /// Answers on `path`, in turn (the last repeats); `0` hangs.
    /// The body `path` answers its refusals with.
    pub fn answer(&self, path: &str, body: &str) {
        self.shared
            .answers
            .lock()
            .insert(path.to_owned(), body.to_owned());
    }

    pub fn script(&self, path: &str, statuses: &[u16]) {
        self.shared
            .script
            .lock()
            .insert(path.to_owned(), statuses.to_vec());
    }

    pub fn received(&self, path: &str) -> Vec<Received> {
        self.shared
            .log
            .lock()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Waits until `done` holds for what `path` received.
    pub async fn wait_for(
        &self,
        path: &str,
        what: &str,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.received(path);
            if done(&got) {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never got {what}: {got:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
