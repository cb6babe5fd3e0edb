//! The runtime under faults: a panicking scorer, a killed process, an unacknowledged alert.

use std::process::Stdio;
use std::time::{Duration, Instant};

use aegis::db::centers::{self, CenterFormat};
use aegis::db::principals::{self, Role};
use aegis_workflows::escalation::{EscalationPolicy, Tier};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    a_panicking_scorer_fails_one_ticket_and_spares_the_rest,
    an_overloaded_aegis_answers_503_and_stores_nothing_it_refused,
    an_unacknowledged_alert_escalates_through_every_tier,
    kill_9_mid_burst_loses_no_acknowledged_ticket,
);

async fn a_panicking_scorer_fails_one_ticket_and_spares_the_rest(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| {
        s.testing.panic_on_ticket = "PANIC-1".into();
        s.runtime.retry.max_attempts = 3;
    })
    .await
    else {
        return;
    };
    let mut poison = fixture_json("normal.json");
    poison["ticket_number"] = json!("PANIC-1");
    let bad = app.post_ticket(&poison).await;
    assert_eq!(bad.status, 202);
    let mut good_ids = Vec::new();
    for i in 0..5 {
        let mut t = fixture_json("normal.json");
        t["ticket_number"] = json!(format!("OK-{i}"));
        good_ids.push(
            app.post_ticket(&t).await.body["workflow_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    for id in &good_ids {
        app.wait_state(id, "resolved").await;
    }
    let bad_id = bad.body["workflow_id"].as_str().unwrap();
    let w = app.wait_state(bad_id, "failed").await;
    let failed = w["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(failed["event"], "failed");
    assert_eq!(failed["detail"]["attempts"], 3);
    assert!(
        failed["detail"]["error"]
            .as_str()
            .unwrap()
            .contains("panicked"),
        "{failed}"
    );
    assert_eq!(app.count("dead_letters"), 1);
    let restarts = app
        .state
        .app
        .actors()
        .into_iter()
        .find(|a| a.name == "ticket-actors")
        .unwrap()
        .restarts;
    assert!(
        restarts >= 2,
        "the poisoned ticket's actor was restarted ({restarts})"
    );
    // The scorer still serves others after the panics.
    let mut after = fixture_json("normal.json");
    after["ticket_number"] = json!("OK-AFTER");
    let r = app.post_ticket(&after).await;
    app.wait_state(r.body["workflow_id"].as_str().unwrap(), "resolved")
        .await;
}

fn tier(name: &str, secs: u64) -> Tier {
    Tier {
        name: name.into(),
        ack_within_secs: secs,
        recipients: vec![format!("{name}@example.org")],
    }
}

async fn an_unacknowledged_alert_escalates_through_every_tier(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| {
        s.testing.manual_clock = true;
        s.escalation = EscalationPolicy {
            standard: vec![tier("t0", 600), tier("t1", 1200), tier("t2", 1800)],
            urgent: vec![tier("u0", 60), tier("u1", 120), tier("u2", 180)],
        };
    })
    .await
    else {
        return;
    };
    let r = app
        .post_native(&fixture("emergency-directional-drilling.json"))
        .await;
    let id = r.body["workflow_id"].as_str().unwrap().to_owned();
    let w = app.wait_state(&id, "alerted").await;
    assert_eq!(w["alert"]["tier"], 0);
    // Not yet due.
    app.advance_clock(59).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.workflow(&id).await["state"], "alerted");
    app.advance_clock(2).await;
    let w = app
        .wait_for(&id, "escalated to tier 1", |w| w["alert"]["tier"] == 1)
        .await;
    assert_eq!(w["state"], "escalated");
    assert_eq!(w["alert"]["state"], "escalated");
    app.advance_clock(121).await;
    app.wait_for(&id, "tier 2", |w| w["alert"]["tier"] == 2)
        .await;
    // Past the last tier the alert is announced again to the last tier.
    app.advance_clock(181).await;
    let w = app
        .wait_for(&id, "re-announced", |w| {
            w["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["event"] == "escalated")
                .count()
                == 3
        })
        .await;
    let escalations: Vec<Value> = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "escalated")
        .map(|e| e["detail"]["recipients"].clone())
        .collect();
    assert_eq!(
        escalations,
        vec![
            json!(["u1@example.org"]),
            json!(["u2@example.org"]),
            json!(["u2@example.org"])
        ]
    );
    // Acknowledging stops the escalation.
    let ack = app
        .post_json(
            &format!("/v1/alerts/{}/ack", w["alert"]["id"].as_str().unwrap()),
            &app.officer_token,
            &json!({"note": "on it"}),
        )
        .await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    app.wait_state(&id, "acknowledged").await;
    app.advance_clock(10_000).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let w = app.workflow(&id).await;
    assert_eq!(w["state"], "acknowledged");
    assert_eq!(app.count("timers"), 0);
    assert_eq!(w["chain_valid"], true);
}

async fn start_server(url: &str) -> ServerProcess {
    let env = [
        ("AEGIS__DATABASE__URL", url.to_owned()),
        ("AEGIS__LOG__LEVEL", "warn".to_owned()),
        ("AEGIS__RUNTIME__TIMER_POLL_MS", "50".to_owned()),
    ];
    start_process(&env, Stdio::null(), "/healthz").await
}

async fn kill_9_mid_burst_loses_no_acknowledged_ticket(backend: Backend) {
    let Some((url, _dir, pg_name)) = database(backend) else {
        return;
    };
    let _cleanup = scopeguard(pg_name);
    let token = {
        let mut settings = test_settings(url.clone());
        settings.demo.enabled = false;
        let db = aegis::startup::open_db(&settings).unwrap();
        let mut conn = db.write().unwrap();
        centers::add(&mut conn, "TEST", CenterFormat::Native, SECRET).unwrap();
        principals::add(&mut conn, "ops", Role::Operator).unwrap()
    };
    let server = start_server(&url).await;
    let client = reqwest::Client::new();
    let total = 400usize;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Option<String>>();
    let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
    let base = server.base.clone();
    let mut server = Some(server);
    for i in 0..total {
        if i == total / 2 {
            // SIGKILL: no shutdown hook, no flush, nothing.
            drop(server.take());
        }
        let permit = sem.clone().acquire_owned().await.unwrap();
        let mut t = fixture_json(if i % 5 == 0 {
            "emergency-directional-drilling.json"
        } else {
            "normal.json"
        });
        t["ticket_number"] = json!(format!("K{i:05}"));
        let (client, base, tx) = (client.clone(), base.clone(), tx.clone());
        tokio::spawn(async move {
            let acked = post_signed(&client, &base, &format!("msg_{i}"), &t).await;
            drop(permit);
            let _ = tx.send(acked);
        });
    }
    drop(tx);
    let mut acked = Vec::new();
    while let Some(a) = rx.recv().await {
        acked.extend(a);
    }
    assert!(
        acked.len() >= total / 4,
        "only {} tickets were acknowledged before the kill",
        acked.len()
    );
    // Restart on the same database; recovery must finish every acknowledged ticket.
    let server = start_server(&url).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    for id in &acked {
        loop {
            let r = client
                .get(format!("{}/v1/admin/workflows/{id}", server.base))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "acknowledged workflow {id} is missing");
            let w: Value = r.json().await.unwrap();
            let state = w["state"].as_str().unwrap().to_owned();
            if matches!(state.as_str(), "resolved" | "alerted" | "rejected") {
                assert_eq!(w["chain_valid"], true, "{w:#}");
                let events = w["events"].as_array().unwrap();
                for (i, e) in events.iter().enumerate() {
                    assert_eq!(e["seq"], i as i64 + 1, "gap or repeat in {id}");
                }
                for kind in [
                    "received",
                    "validated",
                    "scored",
                    "alert_raised",
                    "auto_resolved",
                ] {
                    let n = events.iter().filter(|e| e["event"] == kind).count();
                    assert!(n <= 1, "{kind} happened {n} times in {id}");
                }
                break;
            }
            assert!(Instant::now() < deadline, "workflow {id} stuck in {state}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Drops the PostgreSQL database (if any) when the test ends.
fn scopeguard(pg: Option<String>) -> impl Drop {
    struct G(Option<String>);
    impl Drop for G {
        fn drop(&mut self) {
            if let Some(n) = &self.0 {
                drop_pg_database(n);
            }
        }
    }
    G(pg)
}

/// When work piles up beyond `runtime.max_backlog`, webhooks are refused with 503 and
/// Retry-After, nothing of a refused ticket is stored, and every accepted one is processed.
async fn an_overloaded_aegis_answers_503_and_stores_nothing_it_refused(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| {
        s.runtime.max_backlog = 3;
        s.runtime.prefetch = 1;
    })
    .await
    else {
        return;
    };
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..60 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut t = fixture_json("normal.json");
            t["ticket_number"] = json!(format!("O{i:03}"));
            app.post_ticket(&t).await
        }));
    }
    let mut accepted = Vec::new();
    let mut refused = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            202 => accepted.push(r.body["workflow_id"].as_str().unwrap().to_owned()),
            503 => {
                refused += 1;
                assert_eq!(r.body["error"]["code"], "UNAVAILABLE");
                assert!(r.headers.contains_key("retry-after"));
            }
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    assert!(refused > 0, "nothing was refused");
    assert_eq!(
        app.count("tickets"),
        accepted.len() as i64,
        "refused tickets left nothing behind"
    );
    for id in &accepted {
        app.wait_state(id, "resolved").await;
    }
}
