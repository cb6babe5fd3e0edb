//! Reaching people (contract §7, issue 14): a risky ticket reaches its roster by e-mail through a
//! real SMTP server and by PagerDuty, Slack and webhook receivers on loopback; the link in the
//! e-mail acknowledges as that officer; PagerDuty follows; failures retry or give up visibly.

use std::time::Duration;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;
use crate::receivers::{Receivers, SmtpSink};

both_backends!(
    an_alert_reaches_email_and_pagerduty_and_the_link_acknowledges_it,
    a_hanging_receiver_and_a_refusing_one_block_nothing,
    kill_9_mid_delivery_loses_no_notification_and_repeats_none_under_a_new_key,
    hostile_ticket_text_stays_data_on_every_channel
);

const ROUTING_KEY: &str = "R0ut1ngK3yForTheTests";

/// Waits until every delivery has settled (none pending) and returns the stats.
async fn settled(app: &TestApp, at_least: i64) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let s = app.get("/v1/admin/stats", &app.token).await.body;
        let n = &s["notifications"];
        let done = n["sent"].as_i64().unwrap_or(0) + n["failed"].as_i64().unwrap_or(0);
        if n["pending"] == 0 && done >= at_least {
            return s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "deliveries never settled: {s:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn link_in(text: &str) -> String {
    let start = text.find("http://").expect("a link in the e-mail");
    text[start..].split_whitespace().next().unwrap().to_owned()
}

async fn an_alert_reaches_email_and_pagerduty_and_the_link_acknowledges_it(backend: Backend) {
    // The relay is busy for the first message, PagerDuty rate-limits the first event.
    let smtp = SmtpSink::start(1);
    let rx = Receivers::start();
    rx.script("/pagerduty", &[429, 202]);
    let Some(app) = spawn_with(backend, |s| {
        s.notify.smtp_url = smtp.url();
        s.notify.retry.base_backoff_ms = 50;
        s.notify.retry.max_backoff_ms = 200;
    })
    .await
    else {
        return;
    };
    let channels = json!({"channels": [
        {"kind": "email", "address": "officer-1@example.org"},
        {"kind": "pagerduty", "url": format!("{}/pagerduty", rx.base), "routing_key": ROUTING_KEY},
    ]});
    let r = app
        .put_json("/v1/admin/users/officer-1/channels", &app.token, &channels)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .put_json(
            "/v1/admin/rosters/safety-oncall",
            &app.token,
            &json!({"members": ["officer-1"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let (id, alert_id) = app.raise_alert("N-0001").await;

    // PagerDuty: one 429, then the trigger is taken; both attempts under the alert's id.
    let pd = rx
        .wait_for("/pagerduty", "an accepted trigger", |got| {
            got.iter().any(|r| r.status == 202)
        })
        .await;
    assert_eq!(pd.len(), 2, "{pd:#?}");
    for r in &pd {
        assert_eq!(r.body["event_action"], "trigger");
        assert_eq!(r.body["dedup_key"], alert_id.as_str());
        assert_eq!(r.body["routing_key"], ROUTING_KEY);
        assert_eq!(
            r.body["payload"]["severity"], "critical",
            "an emergency ticket"
        );
    }
    assert!(
        pd[1].body["payload"]["summary"]
            .as_str()
            .unwrap()
            .contains("N-0001")
    );
    let pd_link = pd[1].body["links"][0]["href"].as_str().unwrap().to_owned();

    // The e-mail, parsed back: the facts an officer needs and a working link.
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1, "the 451 was retried, once");
    let mail = mail_parser::MessageParser::default()
        .parse(&mails[0])
        .expect("a parseable message");
    let subject = mail.subject().unwrap().to_owned();
    // The subject says why it is an alert: the band, or what the standing rule saw.
    assert!(
        subject.contains("N-0001")
            && (subject.contains("HIGH RISK")
                || subject.contains("EMERGENCY, WHAT IS BURIED NOT KNOWN")),
        "{subject}"
    );
    let to = mail.to().unwrap().first().unwrap().address().unwrap();
    assert_eq!(to, "officer-1@example.org");
    let text = mail.body_text(0).unwrap().into_owned();
    let html = mail.body_html(0).unwrap().into_owned();
    for needle in [
        "Where",
        "Who digs",
        "How",
        "When",
        "Dig area",
        "Buried",
        "Why the model flags it",
        "This is an alert because",
    ] {
        assert!(text.contains(needle), "no {needle} in:\n{text}");
        assert!(html.contains(needle), "no {needle} in the HTML part");
    }
    assert!(text.contains("EMERGENCY"), "{text}");
    // No layer is active in this test: the notice says nobody knows, not that nothing is there.
    assert!(text.contains("not known: no facility layer"), "{text}");
    assert!(text.contains("× a usual ticket"), "{text}");
    let link = link_in(&text);
    assert!(link.starts_with(&format!("{}/v1/ack/", app.base)), "{link}");
    assert_ne!(link, pd_link, "each channel's link is its own");
    // For a person to read what officers get: AEGIS_KEEP_EMAIL=path keeps the message.
    if let Ok(path) = std::env::var("AEGIS_KEEP_EMAIL") {
        std::fs::write(path, &mails[0]).ok();
    }

    // Opening the link shows the alert and changes nothing (mail scanners open links).
    let page = app.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let body = page.text().await.unwrap();
    assert!(body.contains("Acknowledge as officer-1"), "{body}");
    assert!(body.contains("data-action=\"ack\""));
    assert_eq!(app.workflow(&id).await["state"], "alerted");

    // Confirming acknowledges as officer-1, via e-mail; escalation stops.
    let done = app.client.post(&link).send().await.unwrap();
    assert_eq!(done.status(), 200, "{}", done.text().await.unwrap());
    let w = app.wait_state(&id, "acknowledged").await;
    let ack = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "acknowledged")
        .unwrap()
        .clone();
    assert_eq!(ack["principal"], "officer:officer-1");
    assert_eq!(ack["detail"]["via"], "email");
    assert_eq!(app.count("timers"), 0, "no escalation is left");

    // Used, forged, and another channel's link now that the alert is taken.
    let again = app.client.post(&link).send().await.unwrap();
    assert_eq!(again.status(), 410);
    let forged = format!(
        "{}/v1/ack/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        app.base
    );
    assert_eq!(app.client.get(&forged).send().await.unwrap().status(), 404);
    let other = app.client.get(&pd_link).send().await.unwrap();
    assert_eq!(other.status(), 410);
    assert!(other.text().await.unwrap().contains("officer:officer-1"));

    // PagerDuty closes the loop on the officer's phone; the e-mail says who took it.
    let pd = rx
        .wait_for("/pagerduty", "an acknowledge", |got| {
            got.iter().any(|r| r.body["event_action"] == "acknowledge")
        })
        .await;
    let acked = pd
        .iter()
        .find(|r| r.body["event_action"] == "acknowledge")
        .unwrap();
    assert_eq!(acked.body["dedup_key"], alert_id.as_str());
    let mails = smtp.wait_for(2).await;
    let second = mail_parser::MessageParser::default()
        .parse(&mails[1])
        .unwrap();
    assert!(
        second
            .subject()
            .unwrap()
            .contains("Acknowledged by officer:officer-1"),
        "{:?}",
        second.subject()
    );

    // The trail has every attempt; the metrics count them by channel and outcome.
    let stats = settled(&app, 4).await;
    assert_eq!(stats["notifications"]["failed"], 0);
    let w = app.workflow(&id).await;
    assert_eq!(w["chain_valid"], true);
    let events = w["events"].as_array().unwrap();
    let sent: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "notification_sent")
        .map(|e| e["detail"]["channel"].as_str().unwrap())
        .collect();
    assert_eq!(sent.len(), 4, "{sent:?}");
    let retried: Vec<(&str, i64)> = events
        .iter()
        .filter(|e| e["event"] == "notification_failed")
        .map(|e| {
            assert_eq!(e["detail"]["will_retry"], true);
            (
                e["detail"]["channel"].as_str().unwrap(),
                e["detail"]["attempt"].as_i64().unwrap(),
            )
        })
        .collect();
    let mut retried = retried;
    retried.sort();
    assert_eq!(retried, vec![("email", 1), ("pagerduty", 1)]);
    let trail = w.to_string();
    assert!(!trail.contains(ROUTING_KEY), "a secret in the audit trail");
    // The alert shows who was told, on what, and how it went.
    let detail = app
        .get(&format!("/v1/alerts/{alert_id}"), &app.officer_token)
        .await;
    let told: Vec<(String, String, String, i64)> = detail.body["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["change"].as_str().unwrap().to_owned(),
                n["channel"].as_str().unwrap().to_owned(),
                n["state"].as_str().unwrap().to_owned(),
                n["attempts"].as_i64().unwrap(),
            )
        })
        .collect();
    let mut told = told;
    told.sort();
    assert_eq!(
        told,
        vec![
            ("acknowledged".into(), "email".into(), "sent".into(), 1),
            ("acknowledged".into(), "pagerduty".into(), "sent".into(), 1),
            ("raised".into(), "email".into(), "sent".into(), 2),
            ("raised".into(), "pagerduty".into(), "sent".into(), 2),
        ]
    );
    assert!(!detail.body.to_string().contains(ROUTING_KEY));
    // Other tests share this process's metrics, so these are at least this test's.
    let metrics = app.metrics_text().await;
    assert!(
        counter(
            &metrics,
            r#"aegis_notifications_total{channel="pagerduty",outcome="retrying"}"#
        ) >= 1.0
    );
    assert!(
        counter(
            &metrics,
            r#"aegis_notifications_total{channel="email",outcome="sent"}"#
        ) >= 2.0
    );
}

/// The value of one series in a Prometheus text page (0 when absent).
fn counter(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

async fn a_hanging_receiver_and_a_refusing_one_block_nothing(backend: Backend) {
    let rx = Receivers::start();
    rx.script("/webhook/hang", &[0]);
    rx.script("/slack/gone", &[404]);
    let Some(app) = spawn_with(backend, |s| {
        s.notify.timeout_ms = 300;
        s.notify.retry.base_backoff_ms = 50;
        s.notify.retry.max_backoff_ms = 100;
        s.notify.retry.max_attempts = 3;
    })
    .await
    else {
        return;
    };
    let secret = "whsec_YWVnaXMtd2ViaG9vay1zZWNyZXQtMDEyMzQ1Njc=";
    let channels = json!({"channels": [
        {"kind": "webhook", "url": format!("{}/webhook/hang", rx.base), "secret": secret},
        {"kind": "slack", "url": format!("{}/slack/gone", rx.base)},
        {"kind": "webhook", "url": format!("{}/webhook/ok", rx.base), "secret": secret},
    ]});
    let r = app
        .put_json("/v1/admin/users/officer-1/channels", &app.token, &channels)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.put_json(
        "/v1/admin/rosters/safety-oncall",
        &app.token,
        &json!({"members": ["officer-1"]}),
    )
    .await;
    let (id, _) = app.raise_alert("N-HANG").await;
    // The working webhook is delivered, signed, while the other hangs.
    let ok = rx
        .wait_for("/webhook/ok", "the alert", |g| !g.is_empty())
        .await;
    let h = &ok[0].headers;
    let body = ok[0].raw.clone();
    let ts: i64 = h["webhook-timestamp"].parse().unwrap();
    assert_eq!(
        aegis::formats::signature::verify_native(
            &[secret.to_owned()],
            aegis::formats::signature::NativeHeaders {
                id: Some(&h["webhook-id"]),
                timestamp: Some(&h["webhook-timestamp"]),
                signature: Some(&h["webhook-signature"]),
            },
            &body,
            ts,
            300,
        ),
        Ok(())
    );
    assert_eq!(ok[0].body["type"], "alert.raised");
    assert!(ok[0].body["ack_url"].as_str().unwrap().contains("/v1/ack/"));
    // Tickets keep flowing meanwhile.
    app.resolved_normal_ticket().await;
    // The hanging one times out three times and gives up; the 404 gives up at once.
    let stats = settled(&app, 3).await;
    assert_eq!(stats["notifications"]["failed"], 2, "{stats:#}");
    assert_eq!(stats["notifications"]["sent"], 1);
    let hung = rx.received("/webhook/hang");
    assert_eq!(hung.len(), 3, "three attempts");
    let ids: std::collections::HashSet<&String> =
        hung.iter().map(|r| &r.headers["webhook-id"]).collect();
    assert_eq!(ids.len(), 1, "every attempt under one webhook-id");
    assert_eq!(rx.received("/slack/gone").len(), 1);
    let w = app.workflow(&id).await;
    let failed: Vec<(String, bool)> = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "notification_failed")
        .map(|e| {
            (
                e["detail"]["channel"].as_str().unwrap().to_owned(),
                e["detail"]["will_retry"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(failed.iter().filter(|(c, _)| c == "webhook").count(), 3);
    assert!(failed.contains(&("slack".into(), false)));
    let metrics = app.metrics_text().await;
    assert!(
        counter(
            &metrics,
            r#"aegis_notifications_total{channel="webhook",outcome="failed"}"#
        ) >= 1.0
    );
}

/// `kill -9` while notifications go out: after a restart every (alert, user, channel) is
/// delivered; a message that was accepted just before the kill and sent again afterwards
/// carries the same key (webhook-id, Message-ID), so the receiver drops it as a repeat.
async fn kill_9_mid_delivery_loses_no_notification_and_repeats_none_under_a_new_key(
    backend: Backend,
) {
    use aegis::db::centers::{self, CenterFormat};
    use aegis::db::principals::{self, Role};
    use std::collections::{HashMap, HashSet};

    let Some((url, _dir, pg_name)) = database(backend) else {
        return;
    };
    let _cleanup = DropDb(pg_name);
    let users = ["u1", "u2", "u3"];
    let token = {
        let mut settings = test_settings(url.clone());
        settings.demo.enabled = false;
        let db = aegis::startup::open_db(&settings).unwrap();
        let mut conn = db.write().unwrap();
        centers::add(&mut conn, "TEST", CenterFormat::Native, SECRET).unwrap();
        for u in users {
            principals::add(&mut conn, u, Role::Officer).unwrap();
        }
        principals::add(&mut conn, "ops", Role::Operator).unwrap()
    };
    let smtp = SmtpSink::start(0);
    let rx = Receivers::start();
    let env = [
        ("AEGIS__DATABASE__URL", url.clone()),
        ("AEGIS__LOG__LEVEL", "error".to_owned()),
        ("AEGIS__NOTIFY__SMTP_URL", smtp.url()),
        ("AEGIS__NOTIFY__RETRY__BASE_BACKOFF_MS", "50".to_owned()),
        // Short claims, so the restarted node takes over the dead one's in good time.
        ("AEGIS__RUNTIME__CLAIM_LEASE_MS", "3000".to_owned()),
        ("AEGIS__NOTIFY__TIMEOUT_MS", "1000".to_owned()),
    ];
    let server = start_process(&env, std::process::Stdio::null(), "/readyz").await;
    let client = reqwest::Client::new();
    let secret = "whsec_YWVnaXMtd2ViaG9vay1zZWNyZXQtMDEyMzQ1Njc=";
    for u in users {
        let body = json!({"channels": [
            {"kind": "email", "address": format!("{u}@example.org")},
            {"kind": "webhook", "url": format!("{}/webhook/{u}", rx.base), "secret": secret},
        ]});
        let r = client
            .put(format!("{}/v1/admin/users/{u}/channels", server.base))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = client
        .put(format!("{}/v1/admin/rosters/safety-oncall", server.base))
        .bearer_auth(&token)
        .json(&json!({"members": users}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let alerts = 40usize;
    let expected = alerts * users.len();
    for i in 0..alerts {
        let mut t = fixture_json("emergency-directional-drilling.json");
        t["ticket_number"] = json!(format!("KN{i:04}"));
        assert!(
            post_signed(&client, &server.base, &format!("kn_{i}"), &t)
                .await
                .is_some()
        );
    }
    // Kill once some, but not all, notifications are out.
    let webhooks = |rx: &Receivers| -> Vec<crate::receivers::Received> {
        users
            .iter()
            .flat_map(|u| rx.received(&format!("/webhook/{u}")))
            .collect()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while webhooks(&rx).len() + smtp.messages().len() < expected / 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "notifications never started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(server); // SIGKILL
    let before = webhooks(&rx).len() + smtp.messages().len();
    assert!(
        before < 2 * expected,
        "everything went out before the kill; nothing was tested"
    );

    let server = start_process(&env, std::process::Stdio::null(), "/readyz").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let s: Value = client
            .get(format!("{}/v1/admin/stats", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let n = &s["notifications"];
        if n["pending"] == 0 && n["sent"].as_u64() == Some(2 * expected as u64) {
            assert_eq!(n["failed"], 0);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "deliveries never finished: {s:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Webhooks: every (alert, user) once by webhook-id; a repeat keeps its id.
    let got = webhooks(&rx);
    let mut by_id: HashMap<String, HashSet<(String, String)>> = HashMap::new();
    for r in &got {
        assert_eq!(r.body["type"], "alert.raised");
        by_id
            .entry(r.headers["webhook-id"].clone())
            .or_default()
            .insert((
                r.path.clone(),
                r.body["alert"]["id"].as_str().unwrap().to_owned(),
            ));
    }
    assert_eq!(by_id.len(), expected, "one webhook-id per alert and user");
    assert!(
        by_id.values().all(|targets| targets.len() == 1),
        "an id was reused"
    );
    let pairs: HashSet<(String, String)> = by_id.into_values().flatten().collect();
    assert_eq!(
        pairs.len(),
        expected,
        "every alert reached every user's webhook"
    );
    // E-mails: every (alert, user) once by Message-ID.
    let mut mail_ids: HashMap<String, HashSet<String>> = HashMap::new();
    for raw in smtp.messages() {
        let m = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let to = m
            .to()
            .unwrap()
            .first()
            .unwrap()
            .address()
            .unwrap()
            .to_owned();
        mail_ids
            .entry(m.message_id().unwrap().to_owned())
            .or_default()
            .insert(format!("{to} {}", m.subject().unwrap()));
    }
    assert_eq!(
        mail_ids.len(),
        expected,
        "one Message-ID per alert and user"
    );
    assert!(
        mail_ids.values().all(|s| s.len() == 1),
        "a Message-ID was reused"
    );
    let repeats = got.len() + smtp.messages().len() - 2 * expected;
    eprintln!(
        "kill -9 mid-delivery ({backend:?}): {before} of {} out before the kill, {repeats} sent again under their own key",
        2 * expected
    );
}

struct DropDb(Option<String>);

impl Drop for DropDb {
    fn drop(&mut self) {
        if let Some(n) = &self.0 {
            drop_pg_database(n);
        }
    }
}

/// A center's ticket text is data on every channel: it cannot page a whole Slack channel, add
/// an e-mail header, run in the e-mail's HTML, or change a PagerDuty or webhook event.
async fn hostile_ticket_text_stays_data_on_every_channel(backend: Backend) {
    let smtp = SmtpSink::start(0);
    let rx = Receivers::start();
    let Some(app) = spawn_with(backend, |s| {
        s.notify.smtp_url = smtp.url();
    })
    .await
    else {
        return;
    };
    let secret = "whsec_YWVnaXMtd2ViaG9vay1zZWNyZXQtMDEyMzQ1Njc=";
    let channels = json!({"channels": [
        {"kind": "email", "address": "officer-1@example.org"},
        {"kind": "slack", "url": format!("{}/slack/ops", rx.base)},
        {"kind": "pagerduty", "url": format!("{}/pagerduty", rx.base), "routing_key": ROUTING_KEY},
        {"kind": "webhook", "url": format!("{}/webhook/in", rx.base), "secret": secret},
    ]});
    let r = app
        .put_json("/v1/admin/users/officer-1/channels", &app.token, &channels)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.put_json(
        "/v1/admin/rosters/safety-oncall",
        &app.token,
        &json!({"members": ["officer-1"]}),
    )
    .await;
    let address = "<!channel> 1 Main St\r\nBcc: everyone@example.org";
    let company = "<script>alert(1)</script> & Sons";
    let mut t = fixture_json("emergency-directional-drilling.json");
    t["ticket_number"] = json!("N-HOSTILE");
    t["excavator"]["id"] = json!("EX-HOSTILE");
    t["excavator"]["company"] = json!(company);
    t["location"]["address"] = json!(address);
    let r = app.post_ticket(&t).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.body["workflow_id"].as_str().unwrap().to_owned();
    app.wait_state(&id, "alerted").await;
    settled(&app, 4).await;

    let slack = rx.received("/slack/ops");
    let text = slack[0].body["text"].as_str().unwrap();
    assert!(!text.contains("<!channel>"), "{text}");
    assert!(text.contains("&lt;!channel&gt; 1 Main St"), "{text}");
    assert!(text.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Sons"));

    let mails = smtp.wait_for(1).await;
    let raw = String::from_utf8_lossy(&mails[0]).into_owned();
    let headers = raw.split("\r\n\r\n").next().unwrap();
    assert!(
        !headers
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "{headers}"
    );
    let mail = mail_parser::MessageParser::default()
        .parse(&mails[0])
        .unwrap();
    assert!(mail.bcc().is_none());
    let html = mail.body_html(0).unwrap().into_owned();
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );

    let pd = rx.received("/pagerduty");
    assert_eq!(pd[0].body["event_action"], "trigger");
    assert_eq!(pd[0].body["routing_key"], ROUTING_KEY);
    let hook = rx.received("/webhook/in");
    assert_eq!(hook[0].body["type"], "alert.raised");
    assert_eq!(hook[0].body["ticket"]["location"]["address"], address);
    assert_eq!(hook[0].body["ticket"]["excavator"]["company"], company);
}
