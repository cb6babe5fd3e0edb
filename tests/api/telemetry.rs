//! What operators see: every metric of the catalogue on /metrics, and structured JSON logs.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use aegis::telemetry::names;
use serde_json::{Value, json};

use crate::helpers::*;

fn value_of(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(series))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .reduce(f64::max)
}

#[actix_web::test]
async fn a_working_aegis_exports_every_metric_with_sensible_values() {
    let Some(app) = spawn_with(Backend::Sqlite, |s| {
        // Watched around the clock on weekdays.
        s.centers.business_hours_start = 0;
        s.centers.business_hours_end = 24;
        s.centers.each.insert(
            "TEST".into(),
            aegis::config::CenterSettings {
                silence_alarm_secs: Some(900),
                ..Default::default()
            },
        );
    })
    .await
    else {
        return;
    };
    // A facility layer, so the screening gauges have a series whatever ran before.
    let dir = std::env::temp_dir().join(format!("aegis-tm-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mains = crate::layer_files::mains_shapefile(&dir, true);
    let r = app
        .put_bytes(
            "/v1/admin/facility-layers/gas-mains?class=gas_distribution&attr=id%3DASSET_ID",
            mains.media_type,
            mains.bytes.clone(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let started = test_now().timestamp() as f64;
    // A OneCall delivery (its sequence number is watched) and a daily summary (reconciled).
    let xml = String::from_utf8(fixture("CA.xml")).unwrap();
    assert_eq!(app.post_onecall_xml(&xml, "telemetry-1").await.status, 202);
    let summary = String::from_utf8(fixture("summary-empty.txt")).unwrap();
    let r = app.post_summary_text("USAN", &summary, true).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let normal = app.post_native(&fixture("normal.json")).await;
    let emergency = app
        .post_native(&fixture("emergency-directional-drilling.json"))
        .await;
    let _ = app.post_native(&fixture("invalid-rejected.json")).await;
    let _ = app.post_native(b"not a ticket").await;
    let _ = app.get("/v1/alerts", "aegis_wrong-token").await;
    app.wait_state(normal.body["workflow_id"].as_str().unwrap(), "resolved")
        .await;
    let w = app
        .wait_state(emergency.body["workflow_id"].as_str().unwrap(), "alerted")
        .await;
    let alert = w["alert"]["id"].as_str().unwrap();
    let ack = app
        .post_json(
            &format!("/v1/alerts/{alert}/ack"),
            &app.officer_token,
            &json!({}),
        )
        .await;
    assert_eq!(ack.status, 200);
    let resolve = app
        .post_json(
            &format!("/v1/alerts/{alert}/resolve"),
            &app.officer_token,
            &json!({"disposition": "site_standby"}),
        )
        .await;
    assert_eq!(resolve.status, 200);
    // Database-derived gauges refresh every few seconds.
    let deadline = Instant::now() + Duration::from_secs(15);
    let text = loop {
        let text = app.metrics_text().await;
        if value_of(&text, "aegis_workflows{state=\"resolved\"}").is_some_and(|v| v >= 2.0) {
            break text;
        }
        assert!(Instant::now() < deadline, "database gauges never refreshed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for (name, kind, _) in names::ALL {
        let series = if *kind == "histogram" {
            format!("{name}_bucket")
        } else {
            (*name).to_owned()
        };
        assert!(text.contains(&series), "{name} is not exported");
        assert!(
            text.contains(&format!("# HELP {name} ")),
            "{name} has no help text"
        );
    }
    assert!(
        text.contains(&format!("# TYPE {} histogram", names::HTTP_SECONDS)),
        "histograms, not summaries"
    );
    assert!(
        value_of(
            &text,
            "aegis_webhook_outcomes_total{center=\"TEST\",format=\"native\",outcome=\"accepted\"}"
        )
        .unwrap()
            >= 3.0
    );
    assert!(value_of(&text, "aegis_webhook_outcomes_total{center=\"TEST\",format=\"native\",outcome=\"MALFORMED_PAYLOAD\"}").unwrap() >= 1.0);
    assert!(value_of(&text, "aegis_alerts_acknowledged_total").unwrap() >= 1.0);
    assert!(value_of(&text, "aegis_alert_time_to_acknowledge_seconds_count").unwrap() >= 1.0);
    assert!(value_of(&text, "aegis_actor_up{actor=\"intake\"}").unwrap() == 1.0);
    assert!(value_of(&text, "aegis_auth_failures_total").unwrap() >= 1.0);
    assert!(value_of(&text, "aegis_model_info{version=").unwrap() == 1.0);
    // The silence alarm's inputs: TEST is watched, took deliveries just now, business hours.
    assert_eq!(
        value_of(&text, "aegis_center_silence_alarm_seconds{center=\"TEST\"}"),
        Some(900.0)
    );
    assert!(
        value_of(
            &text,
            "aegis_center_last_delivery_timestamp_seconds{center=\"TEST\"}"
        )
        .is_some_and(|t| t >= started - 1.0)
    );
    let weekday = chrono::Datelike::weekday(&test_now()).number_from_monday() <= 5;
    assert_eq!(
        value_of(&text, "aegis_center_business_hours{center=\"TEST\"}"),
        Some(if weekday { 1.0 } else { 0.0 }),
        "around the clock on weekdays, in UTC"
    );
    // No label carries a ticket number or workflow id: label values stay bounded.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        assert!(
            !line.contains("2026112200001") && !line.contains(alert),
            "unbounded label in {line}"
        );
    }
}

#[actix_web::test]
async fn logs_are_json_lines_with_request_workflow_center_and_ticket() {
    let Some((url, _dir, _)) = database(Backend::Sqlite) else {
        return;
    };
    {
        let db = aegis::startup::open_db(&test_settings(url.clone())).unwrap();
        let mut c = db.write().unwrap();
        aegis::db::centers::add(
            &mut c,
            "TEST",
            aegis::db::centers::CenterFormat::Native,
            SECRET,
        )
        .unwrap();
    }
    let env = [
        ("AEGIS__DATABASE__URL", url.clone()),
        ("AEGIS__LOG__LEVEL", "info".to_owned()),
    ];
    let mut server = start_process(&env, Stdio::piped(), "/healthz").await;
    let child = &mut server.child;
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let body = fixture("normal.json");
    let ts = chrono::Utc::now().timestamp();
    let sig = aegis::formats::signature::sign_native(SECRET, "log-1", ts, &body);
    let r = client
        .post(format!("{base}/v1/webhooks/TEST"))
        .header("content-type", "application/json")
        .header("x-request-id", "req-for-logs-1")
        .header("webhook-id", "log-1")
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let found = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("no 'ticket received' log line");
        let v: Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("not a JSON line: {line}"));
        if v["message"] == "ticket received" {
            break v;
        }
    };
    drop(server);
    assert_eq!(found["level"], "INFO");
    assert_eq!(found["center"], "TEST");
    assert_eq!(found["ticket"], "2026112200001");
    assert!(found["workflow_id"].as_str().is_some_and(|s| s.len() == 36));
    assert_eq!(found["span"]["request_id"], "req-for-logs-1");
    assert!(found["timestamp"].is_string());
}
