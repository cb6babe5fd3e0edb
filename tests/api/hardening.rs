//! The limits that protect everyone (contract §13, issue 22), tried from outside as an attacker
//! would: a sign-in flood and stalled uploads against a separate process (its memory measured
//! alone), guessing past the limit, timing of unknown names, internal targets, receivers'
//! answers, sessions after a password change, masked secrets, forged forwarded hosts and a clean
//! shutdown.

use std::time::{Duration, Instant};

use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::both_backends;
use crate::console::{PASSWORD, browser, page, session_cookie, set_password, sign_in};
use crate::helpers::*;
use crate::positive_response_server::{self as prs, PositiveResponseServer};
use crate::receivers::Receivers;

both_backends!(
    internal_targets_are_refused_when_set_and_when_resolved,
    officers_see_that_a_delivery_failed_not_what_the_receiver_said,
    a_password_change_ends_the_sessions_it_opened,
    a_masked_password_sent_back_keeps_the_stored_one
);

/// The resident memory of process `pid`, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

/// A server process on a fresh SQLite file with a center, an operator and an officer with a
/// password; `extra` settings on top.
async fn server(extra: &[(&str, String)]) -> (ServerProcess, String, tempfile_dir::Dir) {
    let dir = tempfile_dir::Dir::new();
    let url = dir.0.join("aegis.db").display().to_string();
    let token = {
        let db = aegis::startup::open_db(&test_settings(url.clone())).unwrap();
        let mut conn = db.write().unwrap();
        aegis::db::centers::add(
            &mut conn,
            "TEST",
            aegis::db::centers::CenterFormat::Native,
            SECRET,
        )
        .unwrap();
        aegis::db::principals::add(&mut conn, "dana", aegis::db::principals::Role::Officer)
            .unwrap();
        let hash = aegis::app::passwords::hash(PASSWORD).unwrap();
        assert!(aegis::db::sign_in::set_password(&mut conn, "dana", &hash).unwrap());
        aegis::db::principals::add(&mut conn, "ops", aegis::db::principals::Role::Operator).unwrap()
    };
    let mut env = vec![
        ("AEGIS__DATABASE__URL", url),
        ("AEGIS__LOG__LEVEL", "error".to_owned()),
    ];
    env.extend(extra.iter().cloned());
    let p = start_process(&env, std::process::Stdio::null(), "/readyz").await;
    (p, token, dir)
}

mod tempfile_dir {
    /// A directory removed when dropped.
    #[derive(Debug)]
    pub struct Dir(pub std::path::PathBuf);

    impl Dir {
        pub fn new() -> Self {
            let p =
                std::env::temp_dir().join(format!("aegis-hard-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&p).unwrap();
            Self(p)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A signed native webhook post to `base`: its status and how long the answer took.
async fn timed_webhook(client: &reqwest::Client, base: &str, n: usize) -> (u16, Duration) {
    let mut t = fixture_json("normal.json");
    t["ticket_number"] = json!(format!("FLOOD-{n}"));
    let body = serde_json::to_vec(&t).unwrap();
    let id = format!("flood-{n}-{}", uuid::Uuid::new_v4().simple());
    let ts = chrono::Utc::now().timestamp();
    let sig = aegis::formats::signature::sign_native(SECRET, &id, ts, &body);
    let started = Instant::now();
    let r = client
        .post(format!("{base}/v1/webhooks/TEST"))
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), started.elapsed())
}

/// 200 sign-ins at once, each from its own address and for its own name (so no per-address or
/// per-name limit helps): at most `auth.max_concurrent_hashes` are hashed at once, so memory
/// stays bounded and call centers are still answered quickly. Before the bound, 200 attempts
/// took the server from ~100 MiB to 1.66 GiB and one webhook 6.3 s.
#[actix_web::test]
async fn a_sign_in_flood_costs_bounded_memory_and_webhooks_stay_fast() {
    let (p, _, _dir) = server(&[
        ("AEGIS__HTTP__TRUSTED_PROXIES", "127.0.0.1".to_owned()),
        ("AEGIS__HTTP__WORKERS", "2".to_owned()),
    ])
    .await;
    let pid = p.child.id();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    // Warm up: one webhook, one sign-in (the hash's memory once), then measure from there.
    assert_eq!(timed_webhook(&client, &p.base, 0).await.0, 202);
    client
        .post(format!("{}/signin", p.base))
        .header("origin", &p.base)
        .form(&[("name", "dana"), ("password", "warming up the hash")])
        .send()
        .await
        .unwrap();
    let before = rss(pid);
    let flood: Vec<_> = (0..200)
        .map(|i| {
            let (client, base) = (client.clone(), p.base.clone());
            tokio::spawn(async move {
                client
                    .post(format!("{base}/signin"))
                    .header("origin", &base)
                    .header(
                        "x-forwarded-for",
                        format!("10.9.{}.{}", i / 250, i % 250 + 1),
                    )
                    .form(&[
                        ("name", format!("name-{i}")),
                        ("password", "a guess that is long enough".to_owned()),
                    ])
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    let mut peak = before;
    let mut slowest = Duration::ZERO;
    for n in 1..=20 {
        let (status, took) = timed_webhook(&client, &p.base, n).await;
        assert_eq!(status, 202);
        slowest = slowest.max(took);
        peak = peak.max(rss(pid));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut statuses = std::collections::BTreeMap::new();
    for f in flood {
        let s = f.await.unwrap().unwrap();
        *statuses.entry(s).or_insert(0) += 1;
        peak = peak.max(rss(pid));
    }
    let growth = peak.saturating_sub(before);
    eprintln!(
        "sign-in flood: answers {statuses:?}, RSS {} → {} MiB (+{} MiB), slowest webhook {slowest:?}",
        before >> 20,
        peak >> 20,
        growth >> 20
    );
    assert!(
        statuses.keys().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert!(growth < 150 << 20, "RSS grew {} MiB", growth >> 20);
    assert!(
        slowest < Duration::from_secs(1),
        "a webhook took {slowest:?}"
    );
}

/// 100 uploads that send headers and 1 MB of a 2 MB body, then stall: a center's bodies are
/// read a bounded number at a time, each only as long as `http.body_read_timeout_ms`, holding
/// no more than they sent. Before: 150 stalled connections added 606 MiB and stayed open.
#[actix_web::test]
async fn stalled_uploads_are_cut_off_and_hold_bounded_memory() {
    let (p, _, _dir) = server(&[("AEGIS__HTTP__BODY_READ_TIMEOUT_MS", "1500".to_owned())]).await;
    let pid = p.child.id();
    let port: u16 = p.base.rsplit(':').next().unwrap().parse().unwrap();
    let client = reqwest::Client::new();
    assert_eq!(timed_webhook(&client, &p.base, 0).await.0, 202);
    let before = rss(pid);
    let megabyte = vec![b'{'; 1 << 20];
    let started = Instant::now();
    let mut conns = Vec::new();
    for i in 0..100 {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let head = format!(
            "POST /v1/webhooks/TEST HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nwebhook-id: stall-{i}\r\nwebhook-timestamp: 0\r\nwebhook-signature: v1,x\r\n\r\n",
            2 << 20
        );
        s.write_all(head.as_bytes()).await.unwrap();
        // Sent in the background: a connection refused early stops taking bytes.
        let body = megabyte.clone();
        let (mut rd, mut wr) = s.into_split();
        tokio::spawn(async move {
            let _ = wr.write_all(&body).await;
            tokio::time::sleep(Duration::from_secs(60)).await;
            drop(wr);
        });
        conns.push(tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut answer = Vec::new();
            let _ =
                tokio::time::timeout(Duration::from_secs(20), rd.read_to_end(&mut answer)).await;
            (
                started.elapsed(),
                String::from_utf8_lossy(&answer).into_owned(),
            )
        }));
    }
    // While they stall: memory, and a webhook of the same center answered.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let stalled = rss(pid);
    let growth = stalled.saturating_sub(before);
    let (status, took) = timed_webhook(&client, &p.base, 1).await;
    let mut closed_by = Duration::ZERO;
    let mut answers = std::collections::BTreeMap::new();
    for c in conns {
        let (at, answer) = c.await.unwrap();
        closed_by = closed_by.max(at);
        let status = answer
            .split_whitespace()
            .nth(1)
            .unwrap_or("closed")
            .to_owned();
        *answers.entry(status).or_insert(0) += 1;
    }
    eprintln!(
        "stalled uploads: RSS {} → {} MiB (+{} MiB); webhook meanwhile {status} in {took:?}; answers {answers:?}; all closed within {closed_by:?}",
        before >> 20,
        stalled >> 20,
        growth >> 20
    );
    assert!(growth < 100 << 20, "RSS grew {} MiB", growth >> 20);
    assert!(
        closed_by < Duration::from_millis(1_500 + 3_000),
        "a stalled upload was held {closed_by:?}"
    );
    assert!(answers.get("408").copied().unwrap_or(0) > 0, "{answers:?}");
    assert!(
        answers.keys().all(|k| k == "408" || k == "503"),
        "{answers:?}"
    );
}

/// Past the limit the right password is refused too; an unknown name costs what a known one
/// does, so how long a refusal takes says nothing about which names exist.
#[actix_web::test]
async fn sign_in_time_does_not_tell_which_names_exist() {
    let (p, _, _dir) = server(&[
        ("AEGIS__HTTP__TRUSTED_PROXIES", "127.0.0.1".to_owned()),
        ("AEGIS__AUTH__MAX_FAILURES_PER_MINUTE", "1000".to_owned()),
    ])
    .await;
    let client = browser();
    let attempt = |name: &'static str, i: usize| {
        let (client, base) = (client.clone(), p.base.clone());
        async move {
            let started = Instant::now();
            let r = client
                .post(format!("{base}/signin"))
                .header("origin", &base)
                .header("x-forwarded-for", format!("10.8.0.{}", i % 250 + 1))
                .form(&[("name", name), ("password", "not the password at all")])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401);
            started.elapsed()
        }
    };
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..15 {
        known.push(attempt("dana", i).await);
        unknown.push(attempt("nobody-by-that-name", i).await);
    }
    known.sort();
    unknown.sort();
    let (k, u) = (known[7], unknown[7]);
    eprintln!("sign-in refusal, median: known name {k:?}, unknown name {u:?}");
    assert!(
        u.as_secs_f64() > k.as_secs_f64() * 0.5 && u.as_secs_f64() < k.as_secs_f64() * 2.0,
        "known {k:?}, unknown {u:?}"
    );
}

/// A console form from another site is refused even when its request says, in
/// `X-Forwarded-Host`, that it was sent to that site: only a trusted proxy may say so.
#[actix_web::test]
async fn a_forwarded_host_counts_only_from_a_trusted_proxy() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    set_password(&app, "officer-1");
    let client = browser();
    let r = client
        .post(format!("{}/signin", app.base))
        .header("origin", "http://evil.example")
        .header("x-forwarded-host", "evil.example")
        .form(&[("name", "officer-1"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get(SET_COOKIE).is_none());
    // From Aegis's own origin it works.
    assert_eq!(
        sign_in(&app, &client, "officer-1", PASSWORD).await.status(),
        303
    );
}

/// SIGTERM ends the server cleanly: no panic while the mail pool and the runtime wind down.
#[actix_web::test]
async fn sigterm_shuts_down_cleanly() {
    let smtp = crate::receivers::SmtpSink::start(0);
    let dir = tempfile_dir::Dir::new();
    let env = [
        (
            "AEGIS__DATABASE__URL",
            dir.0.join("aegis.db").display().to_string(),
        ),
        ("AEGIS__NOTIFY__SMTP_URL", smtp.url()),
        ("AEGIS__LOG__LEVEL", "error".to_owned()),
    ];
    let mut p = start_process(&env, std::process::Stdio::piped(), "/readyz").await;
    let pid = p.child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = p.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(p.child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(status.success(), "{status:?}: {stderr}");
}

/// The published schema says what the handler accepts: a station (user name, password) of
/// nothing but whitespace — U+0085 included, which some regex engines do not call whitespace —
/// is refused by both.
#[actix_web::test]
async fn a_blank_station_is_refused_by_the_schema_and_the_handler_alike() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let doc = app.get("/openapi.json", &app.token).await.body;
    let field = &doc["components"]["schemas"]["ResponseApiBody"]["properties"]["station"];
    let pattern = field["pattern"].as_str().expect("a pattern for station");
    let re = regex::Regex::new(pattern).unwrap();
    for blank in ["\u{85}", " \t", "\u{2003}\u{feff}", "\u{1c}"] {
        assert!(!re.is_match(blank), "{blank:?} matches {pattern}");
        let r = app
            .put_json(
                "/v1/admin/centers/TEST/response-api",
                &app.token,
                &json!({"url": "https://center.example", "username": "u", "password": "p", "station": blank}),
            )
            .await;
        assert_eq!(r.status, 422, "{blank:?}: {}", r.body);
    }
    assert!(re.is_match(" PGE01 "));
}

async fn internal_targets_are_refused_when_set_and_when_resolved(backend: Backend) {
    let rx = Receivers::start();
    let Some(app) = spawn_with(backend, |s| s.outbound.allow_private_networks = false).await else {
        return;
    };
    for url in [
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:6379/",
        "http://10.0.0.1/hook",
        "http://localhost:9/x",
    ] {
        let r = app
            .put_json(
                "/v1/admin/users/officer-1/channels",
                &app.token,
                &json!({"channels": [{"kind": "slack", "url": url}]}),
            )
            .await;
        assert_eq!(r.status, 422, "{url}: {}", r.body);
        let r = app
            .put_json(
                "/v1/admin/centers/TEST/response-api",
                &app.token,
                &json!({"url": url, "username": "u", "password": "p", "station": "S1"}),
            )
            .await;
        assert_eq!(r.status, 422, "{url}: {}", r.body);
    }
    // A URL whose fragment would swallow every path Aegis appends: refused.
    let r = app
        .put_json(
            "/v1/admin/centers/TEST/response-api",
            &app.token,
            &json!({"url": "https://center.example/steal#", "username": "u", "password": "p", "station": "S1"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    // A name that resolves inside when Aegis connects (as if its DNS changed after it was
    // set): nothing is sent, and the trail says why.
    let port: u16 = rx.base.rsplit(':').next().unwrap().parse().unwrap();
    let channels =
        json!([{"kind": "slack", "url": format!("http://localhost:{port}/slack/inside")}]);
    {
        let mut conn = app.db.write().unwrap();
        let ch: Vec<aegis_workflows::roster::Channel> = serde_json::from_value(channels).unwrap();
        aegis::db::tx::in_transaction(&mut conn, |tx| {
            aegis::db::people::set_channels(tx, "officer-1", &ch)
        })
        .unwrap();
    }
    app.put_json(
        "/v1/admin/rosters/safety-oncall",
        &app.token,
        &json!({"members": ["officer-1"]}),
    )
    .await;
    let (id, _) = app.raise_alert("N-INSIDE").await;
    let w = app
        .wait_for(&id, "a refused delivery", |w| {
            w["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["event"] == "notification_failed")
        })
        .await;
    let failed = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "notification_failed")
        .unwrap()
        .clone();
    assert_eq!(failed["detail"]["will_retry"], true, "{failed}");
    let error = failed["detail"]["error"].as_str().unwrap();
    assert!(error.contains("does not send to"), "{error}");
    assert!(rx.received("/slack/inside").is_empty());
}

async fn officers_see_that_a_delivery_failed_not_what_the_receiver_said(backend: Backend) {
    let rx = Receivers::start();
    rx.script("/webhook/leaky", &[418]);
    rx.answer("/webhook/leaky", "INTERNAL-ONLY db_password=hunter2");
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let secret = "whsec_YWVnaXMtd2ViaG9vay1zZWNyZXQtMDEyMzQ1Njc=";
    let r = app
        .put_json(
            "/v1/admin/users/officer-1/channels",
            &app.token,
            &json!({"channels": [{"kind": "webhook", "url": format!("{}/webhook/leaky", rx.base), "secret": secret}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.put_json(
        "/v1/admin/rosters/safety-oncall",
        &app.token,
        &json!({"members": ["officer-1"]}),
    )
    .await;
    let (id, alert) = app.raise_alert("N-LEAKY").await;
    app.wait_for(&id, "the refused delivery", |w| {
        w["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "notification_failed")
    })
    .await;
    let officer = app
        .get(&format!("/v1/alerts/{alert}"), &app.officer_token)
        .await;
    assert_eq!(officer.status, 200);
    let seen = officer.body.to_string();
    assert!(!seen.contains("INTERNAL-ONLY"), "{seen}");
    assert_eq!(officer.body["notifications"][0]["state"], "failed");
    assert!(officer.body["notifications"][0]["last_error"].is_null());
    let operator = app.get(&format!("/v1/alerts/{alert}"), &app.token).await;
    let err = operator.body["notifications"][0]["last_error"]
        .as_str()
        .unwrap();
    assert!(err.contains("INTERNAL-ONLY"), "{err}");
}

async fn a_password_change_ends_the_sessions_it_opened(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    set_password(&app, "officer-1");
    let client = browser();
    let (cookie, _) = session_cookie(&sign_in(&app, &client, "officer-1", PASSWORD).await);
    assert_eq!(page(&app, &client, "/alerts", &cookie).await.0, 200);
    // The password is changed (`aegis users set-password`): the old session is over.
    set_password(&app, "officer-1");
    let (status, _) = page(&app, &client, "/alerts", &cookie).await;
    assert_eq!(status, 303, "the old session still works");
    let r = client
        .get(format!("{}/alerts", app.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/signin");
}

async fn a_masked_password_sent_back_keeps_the_stored_one(backend: Backend) {
    let center = PositiveResponseServer::start();
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let set = |password: &str| json!({"url": center.base, "username": prs::USER, "password": password, "station": "PGE01"});
    let first = app
        .put_json(
            "/v1/admin/centers/TEST/response-api",
            &app.token,
            &set(prs::PASSWORD),
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    // What a read shows, sent back with another field changed.
    let shown = app
        .get("/v1/admin/centers/TEST/response-api", &app.token)
        .await;
    let masked = shown.body["password"].as_str().unwrap().to_owned();
    assert_eq!(masked, "********");
    let again = app
        .put_json(
            "/v1/admin/centers/TEST/response-api",
            &app.token,
            &set(&masked),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    // The center still accepts the login: the stored password is the real one.
    assert!(again.body["locate_codes_error"].is_null(), "{}", again.body);
    let stored = {
        let mut conn = app.db.read().unwrap();
        aegis::db::response_apis::api(&mut conn, "TEST")
            .unwrap()
            .unwrap()
    };
    assert_eq!(stored.password, prs::PASSWORD);
    // With nothing stored, the mask is refused rather than kept as a password.
    let other = app
        .put_json(
            "/v1/admin/centers/USAN/response-api",
            &app.token,
            &set("********"),
        )
        .await;
    assert_eq!(other.status, 422, "{}", other.body);
}
