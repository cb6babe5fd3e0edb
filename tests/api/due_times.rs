//! Due times (contract §9, issue 16 part 2), on both backends with a manual clock: a risky
//! ticket with no answer to the center is warned about before it is due and reported overdue
//! after (audit events), and `GET /v1/admin/due` lists unanswered tickets due within a window,
//! overdue first.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

both_backends!(unanswered_tickets_are_chased_and_listed_by_due_time);

async fn unanswered_tickets_are_chased_and_listed_by_due_time(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| {
        s.testing.manual_clock = true;
        s.due.warn_before_secs = 3_600;
        // Three hours' notice lowers the emergency fixture's risk below the default threshold
        // of 0.02.
        s.risk.medium = 0.005;
        s.risk.high = 0.015;
    })
    .await
    else {
        return;
    };
    // Due three hours from now on the test clock (where the manual clock starts): a Monday at
    // noon in California, the same hour and day whenever the suite runs.
    let start = test_now();
    let in_hours = |h: i64| (start + chrono::TimeDelta::hours(h)).to_rfc3339();
    let mut t = fixture_json("emergency-directional-drilling.json");
    t["ticket_number"] = json!("DUE-1");
    t["excavator"]["id"] = json!("EX-DUE-1");
    // Submitted now with three hours' notice: high risk at any hour of any day (0.019–0.033
    // under the bundled model, over the high threshold of 0.015 set above).
    t["submitted_at"] = json!(in_hours(0));
    t["legal_start_at"] = json!(in_hours(3));
    t["response_due_at"] = json!(in_hours(2));
    let id = app.post_ticket(&t).await.body["workflow_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.wait_state(&id, "alerted").await;
    // A low-risk ticket due later, and the emergency fixture, whose start has passed.
    let mut low = fixture_json("normal.json");
    low["ticket_number"] = json!("DUE-LOW");
    low["legal_start_at"] = json!(in_hours(10));
    let low_id = app.post_ticket(&low).await.body["workflow_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.wait_state(&low_id, "resolved").await;
    let (past, _) = app.raise_alert("DUE-PAST").await;

    // Nothing is chased yet; the list has the past-due one first, then DUE-1 (within 3 h).
    let due = app.get("/v1/admin/due?within=10800", &app.token).await;
    assert_eq!(due.status, 200, "{}", due.body);
    let ids: Vec<&str> = due
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["workflow_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![past.as_str(), id.as_str()], "{}", due.body);
    assert_eq!(due.body[0]["overdue"], true);
    assert_eq!(due.body[1]["overdue"], false);
    assert_eq!(due.body[1]["alert_state"], "open");
    let wide = app.get("/v1/admin/due?within=43200", &app.token).await;
    assert_eq!(wide.body.as_array().unwrap().len(), 3, "{}", wide.body);
    assert_eq!(
        app.get("/v1/admin/due?within=99999999", &app.token)
            .await
            .status,
        422
    );
    assert_eq!(
        app.get("/v1/admin/due", &app.officer_token).await.status,
        403
    );
    // The console shows the same list (the default window is an hour here).
    let (client, cookie) = crate::console::signed_in(&app, "ops").await;
    let (status, html) = crate::console::page(&app, &client, "/admin/due", &cookie).await;
    assert_eq!(status, 200);
    assert!(html.contains("data-overdue=\"1\""), "{html}");
    assert!(html.contains(&format!("data-workflow-id=\"{past}\"")));

    // An hour before the response is due: warned; after it: overdue.
    app.advance_clock(3_700).await;
    app.wait_for(&id, "due_soon", |w| {
        w["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "due_soon")
    })
    .await;
    app.advance_clock(3_700).await;
    let w = app
        .wait_for(&id, "overdue", |w| {
            w["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["event"] == "overdue")
        })
        .await;
    let overdue = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "overdue")
        .unwrap()
        .clone();
    let due_at =
        chrono::DateTime::parse_from_rfc3339(overdue["detail"]["due_at"].as_str().unwrap())
            .unwrap();
    let wanted =
        chrono::DateTime::parse_from_rfc3339(t["response_due_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        due_at, wanted,
        "response_due_at comes before the legal start"
    );
    assert!(
        overdue["detail"]["recipients"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
    );
    // The alert's escalations went on meanwhile; the ticket is still listed, now overdue.
    let due = app.get("/v1/admin/due?within=0", &app.token).await;
    assert!(
        due.body
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["workflow_id"] == id.as_str() && d["overdue"] == true)
    );
}
