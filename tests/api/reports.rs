//! The program's reports (contract §15) against a small history whose every count is known by
//! construction: tickets posted on a manual clock over three days of two weeks, alerts
//! acknowledged after known delays, one answered through the center's PositiveResponse API
//! before its due time, and damages and a near miss investigated. Each report's figures are
//! the ones written here by hand, on both backends; CSV is the same rows.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::positive_response_server::{PASSWORD, PositiveResponseServer, USER};

crate::both_backends!(every_report_gives_the_numbers_of_a_known_history);

/// A ticket from `fixture` as `number` by excavator `excavator`, received now; its workflow.
async fn ticket(
    app: &TestApp,
    fixture: &str,
    number: &str,
    excavator: &str,
    edit: impl FnOnce(&mut Value),
) -> String {
    let mut t = fixture_json(fixture);
    t["ticket_number"] = json!(number);
    t["revision"] = json!(0);
    t["excavator"]["id"] = json!(excavator);
    edit(&mut t);
    let r = app.post_ticket(&t).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.body["workflow_id"].as_str().unwrap().to_owned();
    app.wait_for(&id, "at rest", |w| {
        matches!(
            w["state"].as_str(),
            Some("resolved" | "alerted" | "cancelled" | "rejected")
        )
    })
    .await;
    id
}

async fn alert_of(app: &TestApp, workflow: &str) -> String {
    app.workflow(workflow).await["alert"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn ack(app: &TestApp, alert: &str) {
    let r = app
        .post_json(
            &format!("/v1/alerts/{alert}/ack"),
            &app.officer_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn investigate(app: &TestApp, workflow: &str, body: Value) {
    let r = app
        .post_json(
            &format!("/v1/admin/workflows/{workflow}/investigations"),
            &app.officer_token,
            &body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

async fn report(app: &TestApp, query: &str) -> Value {
    let r = app
        .get(&format!("/v1/reports/{query}"), &app.officer_token)
        .await;
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    r.body
}

fn rows(r: &Value) -> Vec<Value> {
    r["rows"].as_array().unwrap().clone()
}

const PERIOD: &str = "from=2026-11-01T00:00:00Z&until=2026-12-31T00:00:00Z";

/// The history every figure below is known from (the console's tests read it too): the
/// center's stand-in must live as long as the test.
pub(crate) async fn known_history(app: &TestApp) -> PositiveResponseServer {
    // The center answers through its PositiveResponse API: a locator dispatched posts CODE 2.
    let center = PositiveResponseServer::start();
    let put = app
        .put_json(
            "/v1/admin/centers/TEST/response-api",
            &app.token,
            &json!({"url": center.base, "username": USER, "password": PASSWORD, "station": "PGE01"}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let mapped = app
        .put_json(
            "/v1/admin/centers/TEST/response-codes",
            &app.token,
            &json!({"locator_dispatched": "CODE 2"}),
        )
        .await;
    assert_eq!(mapped.status, 200, "{}", mapped.body);

    // Monday 2026-11-23, 17:00 UTC: three normal tickets (two by EX-A, one of them to begin
    // before its legal start), a cancellation, a design request and an emergency.
    let n1 = ticket(app, "normal.json", "R-N1", "EX-A", |_| {}).await;
    ticket(app, "normal.json", "R-N2", "EX-A", |t| {
        t["work_begin_at"] = json!("2026-11-24T07:00:00-08:00");
    })
    .await;
    ticket(app, "normal.json", "R-N3", "EX-B", |_| {}).await;
    ticket(app, "cancel.json", "R-C1", "EX-C", |_| {}).await;
    ticket(app, "normal.json", "R-D1", "EX-D", |t| {
        t["type"] = json!("design")
    })
    .await;
    let e1 = ticket(
        app,
        "emergency-directional-drilling.json",
        "R-E1",
        "EX-E1",
        |_| {},
    )
    .await;
    // Acknowledged ten minutes later.
    app.advance_clock(600).await;
    ack(app, &alert_of(app, &e1).await).await;

    // A day later: one more by EX-A, and an emergency acknowledged after thirty minutes.
    app.advance_clock(86_400).await;
    let n4 = ticket(app, "normal.json", "R-N4", "EX-A", |_| {}).await;
    let e2 = ticket(
        app,
        "emergency-directional-drilling.json",
        "R-E2",
        "EX-E2",
        |_| {},
    )
    .await;
    app.advance_clock(1_800).await;
    ack(app, &alert_of(app, &e2).await).await;

    // A week after that (Tuesday 2026-12-01, 17:40): one by EX-B, and an emergency due in two
    // hours that an officer resolves at once, posting CODE 2 to the center on time.
    app.advance_clock(7 * 86_400).await;
    let n5 = ticket(app, "normal.json", "R-N5", "EX-B", |_| {}).await;
    let now = test_now() + chrono::TimeDelta::seconds(600 + 86_400 + 1_800 + 7 * 86_400);
    let e3 = ticket(
        app,
        "emergency-directional-drilling.json",
        "R-E3",
        "EX-E3",
        |t| {
            t["submitted_at"] = json!(now.to_rfc3339());
            t["legal_start_at"] = json!((now + chrono::TimeDelta::hours(2)).to_rfc3339());
        },
    )
    .await;
    let r = app
        .post_json(
            &format!("/v1/alerts/{}/resolve", alert_of(app, &e3).await),
            &app.officer_token,
            &json!({"disposition": "locator_dispatched"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.wait_for(&e3, "the center's answer", |w| {
        w["response"]["state"] == "posted"
    })
    .await;

    // Two damages by EX-A (one of a known cause), a near miss by EX-B.
    investigate(
        app,
        &n1,
        json!({"kind": "damage", "facility": {"class": "telecom"},
        "occurred_at": "2026-11-23T20:00:00Z", "root_cause": "excavation.no_test_hole",
        "marks": "present_accurate", "narrative": "auger through a drop"}),
    )
    .await;
    investigate(
        app,
        &n4,
        json!({"kind": "damage", "facility": {"class": "gas_service"},
        "occurred_at": "2026-11-24T18:00:00Z"}),
    )
    .await;
    investigate(
        app,
        &n5,
        json!({"kind": "near_miss", "facility": {"class": "water"},
        "occurred_at": "2026-12-01T17:40:00Z"}),
    )
    .await;

    center
}

async fn every_report_gives_the_numbers_of_a_known_history(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| {
        s.testing.manual_clock = true;
        s.notify.retry.base_backoff_ms = 50;
        s.notify.timeout_ms = 400;
    })
    .await
    else {
        return;
    };
    let _center = known_history(&app).await;

    // Volume per day and type: nine tickets on three days, every type counted.
    let v = report(&app, &format!("volume?{PERIOD}&bucket=day")).await;
    assert_eq!(v["totals"]["tickets"], 10, "{v:#}");
    let mut per_day = std::collections::BTreeMap::<(String, String), u64>::new();
    for r in rows(&v) {
        *per_day
            .entry((
                r["bucket"].as_str().unwrap().into(),
                r["ticket_type"].as_str().unwrap().into(),
            ))
            .or_default() += r["tickets"].as_u64().unwrap();
    }
    let expected: Vec<((&str, &str), u64)> = vec![
        (("2026-11-23", "cancel"), 1),
        (("2026-11-23", "design"), 1),
        (("2026-11-23", "emergency"), 1),
        (("2026-11-23", "normal"), 3),
        (("2026-11-24", "emergency"), 1),
        (("2026-11-24", "normal"), 1),
        (("2026-12-01", "emergency"), 1),
        (("2026-12-01", "normal"), 1),
    ];
    let got: Vec<((&str, &str), u64)> = per_day
        .iter()
        .map(|((d, t), n)| ((d.as_str(), t.as_str()), *n))
        .collect();
    assert_eq!(got, expected);

    // Damage rate per month: eight excavation tickets (no cancellation or design), six in
    // November with both damages, two in December with the near miss.
    let d = report(&app, &format!("damage-rate?{PERIOD}&bucket=month")).await;
    assert_eq!(d["totals"]["tickets"], 8, "{d:#}");
    assert_eq!(d["totals"]["damages"], 2);
    assert_eq!(d["totals"]["near_misses"], 1);
    assert_eq!(d["totals"]["damages_per_1000"], 250.0);
    assert!(
        d["denominator"].as_str().unwrap().ends_with(": 8"),
        "{}",
        d["denominator"]
    );
    let m = rows(&d);
    assert_eq!(m.len(), 2);
    assert_eq!(
        (m[0]["bucket"].as_str(), &m[0]["tickets"], &m[0]["damages"]),
        (Some("2026-11-01"), &json!(6), &json!(2))
    );
    assert_eq!(m[0]["damages_per_1000"], 333.333);
    assert_eq!(
        (
            m[1]["bucket"].as_str(),
            &m[1]["tickets"],
            &m[1]["near_misses"]
        ),
        (Some("2026-12-01"), &json!(2), &json!(1))
    );
    assert_eq!(m[1]["damages_per_1000"], 0.0);

    // The excavator scorecard: EX-A first (two damages on three tickets, one to begin early).
    let s = report(&app, &format!("damage-rate?{PERIOD}&by=excavator")).await;
    let s = rows(&s);
    assert_eq!(
        (
            &s[0]["tickets"],
            &s[0]["damages"],
            &s[0]["damages_per_1000"],
            &s[0]["dug_before_legal_start"]
        ),
        (&json!(3), &json!(2), &json!(666.667), &json!(1)),
        "{s:#?}"
    );
    assert_eq!(
        (&s[1]["tickets"], &s[1]["near_misses"]),
        (&json!(2), &json!(1))
    );
    assert_eq!(
        s.len(),
        5,
        "EX-A, EX-B and the three emergency crews: {s:#?}"
    );
    // By root-cause group over all eight tickets: one excavation, one not investigated yet.
    let g = report(&app, &format!("damage-rate?{PERIOD}&by=root_cause_group")).await;
    let groups: Vec<(String, u64)> = rows(&g)
        .iter()
        .filter(|r| r["damages"].as_u64().unwrap() > 0)
        .map(|r| {
            (
                r["root_cause_group"].as_str().unwrap().to_owned(),
                r["damages"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        vec![
            ("excavation".to_owned(), 1),
            ("not_investigated_yet".to_owned(), 1)
        ]
    );
    let w = report(&app, &format!("damage-rate?{PERIOD}&by=work_type")).await;
    let fencing = rows(&w)
        .into_iter()
        .find(|r| r["work_type"] == "fencing")
        .unwrap();
    assert_eq!(
        (&fencing["tickets"], &fencing["damages"]),
        (&json!(5), &json!(2)),
        "{w:#}"
    );

    // Timeliness: of the eight, the one answered before its due time is on time; every other
    // due time has passed unanswered.
    let t = report(&app, &format!("timeliness?{PERIOD}&bucket=month")).await;
    assert_eq!(t["totals"]["measured"], 8, "{t:#}");
    assert_eq!(t["totals"]["on_time"], 1);
    assert_eq!(t["totals"]["on_time_share"], 0.125);

    // Alerts: three raised, acknowledged after 10, 30 and 0 minutes.
    let a = report(&app, &format!("alerts?{PERIOD}&bucket=month")).await;
    assert_eq!(a["totals"]["raised"], 3, "{a:#}");
    assert_eq!(a["totals"]["acknowledged"], 3);
    assert_eq!(a["totals"]["ack_minutes_p50"], 10.0);
    assert_eq!(a["totals"]["ack_minutes_p90"], 30.0);
    assert_eq!(a["totals"]["dispositions"]["locator_dispatched"], 1);

    // PHMSA Part D for 2026: eight excavation tickets, two damages — one of a known cause,
    // one counted as unknown until investigated — and the four older groups.
    let p = report(&app, "phmsa-part-d?year=2026").await;
    assert_eq!(p["totals"]["excavation_tickets"], 8, "{p:#}");
    assert_eq!(p["totals"]["excavation_damages"], 2);
    assert_eq!(p["totals"]["damages_without_root_cause"], 1);
    let count = |line: &str, key: &str, value: &str| {
        rows(&p)
            .into_iter()
            .find(|r| r["line"] == line && r[key] == value)
            .map(|r| r["damages"].as_u64().unwrap())
    };
    assert_eq!(
        count("cause", "root_cause", "excavation.no_test_hole"),
        Some(1)
    );
    assert_eq!(count("cause", "root_cause", "unknown"), Some(1));
    assert_eq!(
        count("cause", "root_cause", "notification.no_notification"),
        Some(0)
    );
    assert_eq!(
        count("pre_2024_group", "pre_2024_group", "excavation"),
        Some(1)
    );
    assert_eq!(count("pre_2024_group", "pre_2024_group", "other"), Some(1));
    assert_eq!(
        count("pre_2024_group", "pre_2024_group", "locating"),
        Some(0)
    );
    assert_eq!(rows(&p).len(), 27 + 4);

    // DIRT: one row per event, DIRT's words.
    let dirt = report(&app, &format!("dirt?{PERIOD}")).await;
    let dr = rows(&dirt);
    assert_eq!(dr.len(), 3);
    assert_eq!(dr[0]["Type of Event"], "Damage");
    assert_eq!(dr[0]["Facility Affected"], "Telecommunications");
    assert_eq!(dr[0]["City"], "Concord");
    assert_eq!(dr[0]["Root Cause"], "no test-hole (pothole) verification");
    assert_eq!(dr[0]["Marks Accurate"], "Yes");
    assert_eq!(dr[1]["Root Cause"], "Data Not Collected");
    assert_eq!(dr[2]["Type of Event"], "Near Miss");

    // CSV: the same rows, a header first, by suffix or by Accept.
    let csv = app
        .client
        .get(format!("{}/v1/reports/dirt.csv?{PERIOD}", app.base))
        .bearer_auth(&app.officer_token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0].starts_with("Date of Event,Type of Event,State,County,City,"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("2026-11-23,Damage,CA,Contra Costa,Concord,Telecommunications,"),
        "{text}"
    );
    let by_accept = app
        .client
        .get(format!(
            "{}/v1/reports/volume?{PERIOD}&bucket=day",
            app.base
        ))
        .bearer_auth(&app.officer_token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    let body = by_accept.text().await.unwrap();
    assert!(
        body.starts_with("bucket,ticket_type,category,tickets,cleared_automatically\n"),
        "{body}"
    );
    assert_eq!(body.lines().count(), rows(&v).len() + 1);

    // Refusals in the envelope.
    let bad = app
        .get("/v1/reports/volume?bucket=year", &app.officer_token)
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let backwards = app
        .get(
            "/v1/reports/volume?from=2026-12-01T00:00:00Z&until=2026-11-01T00:00:00Z",
            &app.officer_token,
        )
        .await;
    assert_eq!(backwards.status, 422);
    assert_eq!(
        app.get("/v1/reports/nothing", &app.officer_token)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get("/v1/reports/volume", "not-a-token").await.status,
        401
    );
}
