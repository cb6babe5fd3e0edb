//! Operator endpoints: search, repair, dead letters, actors, model, stats, outcomes.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    workflows_are_searchable_with_filters,
    a_failed_workflow_is_retried_from_where_it_stopped,
    a_workflow_is_cancelled_with_its_alert,
    dead_letters_are_listed_and_redriven,
    actors_model_and_stats_are_reported,
    the_model_is_reloaded_without_stopping,
    outcomes_are_recorded_by_operators_and_centers,
);

async fn workflows_are_searchable_with_filters(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let n = app.post_native(&fixture("normal.json")).await;
    let e = app
        .post_native(&fixture("emergency-directional-drilling.json"))
        .await;
    let r = app.post_native(&fixture("invalid-rejected.json")).await;
    app.wait_state(n.body["workflow_id"].as_str().unwrap(), "resolved")
        .await;
    app.wait_state(e.body["workflow_id"].as_str().unwrap(), "alerted")
        .await;
    app.wait_state(r.body["workflow_id"].as_str().unwrap(), "rejected")
        .await;
    let all = app.get("/v1/admin/workflows", &app.token).await;
    assert_eq!(all.status, 200);
    assert_eq!(all.body["items"].as_array().unwrap().len(), 3);
    let q = |s: &str| format!("/v1/admin/workflows?{s}");
    let high = app.get(&q("band=high"), &app.token).await;
    let items = high.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["ticket_number"], "2026112200002");
    let rejected = app.get(&q("state=rejected&center=TEST"), &app.token).await;
    assert_eq!(rejected.body["items"][0]["ticket_number"], "2026112200003");
    let by_number = app.get(&q("ticket_number=2026112200001"), &app.token).await;
    assert_eq!(by_number.body["items"].as_array().unwrap().len(), 1);
    let future = app.get(&q("since=2099-01-01T00:00:00Z"), &app.token).await;
    assert_eq!(future.body["items"].as_array().unwrap().len(), 0);
    let page = app.get(&q("limit=2"), &app.token).await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = app
        .get(&q(&format!("limit=2&cursor={cursor}")), &app.token)
        .await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1);
    for (query, field) in [
        ("state=sleeping", "state"),
        ("band=extreme", "band"),
        ("until=soon", "until"),
        ("limit=1000", "limit"),
    ] {
        let r = app.get(&q(query), &app.token).await;
        assert_eq!(r.status, 422, "{query}");
        assert_eq!(r.body["error"]["details"]["field"], field);
    }
    let missing = app.get("/v1/admin/workflows/nope", &app.token).await;
    assert_eq!(missing.status, 404);
}

async fn a_failed_workflow_is_retried_from_where_it_stopped(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| {
        s.testing.panic_on_ticket = "FLAKY-1".into();
        s.testing.panic_times = 2;
        s.runtime.retry.max_attempts = 2;
    })
    .await
    else {
        return;
    };
    let mut t = fixture_json("normal.json");
    t["ticket_number"] = json!("FLAKY-1");
    let id = app.post_ticket(&t).await.body["workflow_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let w = app.wait_state(&id, "failed").await;
    assert_eq!(w["attempts"], 0, "the failure commit resets the count");
    let resolved_first = app
        .post_json(
            &format!("/v1/admin/workflows/{id}/cancel"),
            &app.token,
            &json!({}),
        )
        .await;
    assert_eq!(
        resolved_first.status, 409,
        "a failed workflow has ended; retry it instead"
    );
    let r = app
        .post_json(
            &format!("/v1/admin/workflows/{id}/retry"),
            &app.token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let w = app.wait_state(&id, "resolved").await;
    let kinds: Vec<&str> = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "received",
            "failed",
            "retried",
            "validated",
            "screened",
            "scored",
            "auto_resolved"
        ]
    );
    let retried = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "retried")
        .unwrap()
        .clone();
    assert_eq!(retried["principal"], "operator:ops");
    let again = app
        .post_json(
            &format!("/v1/admin/workflows/{id}/retry"),
            &app.token,
            &json!({}),
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.body["error"]["code"], "INVALID_TRANSITION");
    let nope = app
        .post_json("/v1/admin/workflows/nope/retry", &app.token, &json!({}))
        .await;
    assert_eq!(nope.status, 404);
}

async fn a_workflow_is_cancelled_with_its_alert(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app
        .post_native(&fixture("emergency-directional-drilling.json"))
        .await
        .body["workflow_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.wait_state(&id, "alerted").await;
    let path = format!("/v1/admin/workflows/{id}/cancel");
    let r = app
        .post_json(
            &path,
            &app.token,
            &json!({"reason": "duplicate of another ticket"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["state"], "cancelled");
    let w = app.workflow(&id).await;
    assert_eq!(w["alert"]["state"], "closed");
    assert_eq!(
        w["events"].as_array().unwrap().last().unwrap()["detail"]["reason"],
        "duplicate of another ticket"
    );
    assert_eq!(app.count("timers"), 0);
    let again = app.post_json(&path, &app.token, &json!({})).await;
    assert_eq!(again.status, 409);
}

async fn dead_letters_are_listed_and_redriven(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| {
        s.testing.panic_on_ticket = "POISON".into();
        s.testing.panic_times = 3;
        s.runtime.retry.max_attempts = 3;
    })
    .await
    else {
        return;
    };
    let bad = app
        .post_native(b"{\"ticket_number\": \"X\", \"revision\"")
        .await;
    assert_eq!(bad.status, 400);
    let mut t = fixture_json("normal.json");
    t["ticket_number"] = json!("POISON");
    let id = app.post_ticket(&t).await.body["workflow_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.wait_state(&id, "failed").await;
    let list = app.get("/v1/admin/dead-letters", &app.token).await;
    assert_eq!(list.status, 200);
    let items = list.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    let step = items.iter().find(|d| d["kind"] == "step_failed").unwrap();
    let unreadable = items
        .iter()
        .find(|d| d["kind"] == "unidentifiable")
        .unwrap();
    assert_eq!(step["workflow_id"], id.as_str());
    assert!(
        unreadable["payload"]
            .as_str()
            .unwrap()
            .starts_with("{\"ticket_number\"")
    );
    let only = app
        .get("/v1/admin/dead-letters?kind=unidentifiable", &app.token)
        .await;
    assert_eq!(only.body["items"].as_array().unwrap().len(), 1);
    let redrive = |d: &serde_json::Value| {
        format!(
            "/v1/admin/dead-letters/{}/redrive",
            d["id"].as_str().unwrap()
        )
    };
    let still_bad = app
        .post_json(&redrive(unreadable), &app.token, &json!({}))
        .await;
    assert_eq!(still_bad.status, 409, "{}", still_bad.body);
    assert_eq!(still_bad.body["error"]["details"]["field"], "payload");
    let r = app.post_json(&redrive(step), &app.token, &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.wait_state(&id, "resolved").await;
    let twice = app.post_json(&redrive(step), &app.token, &json!({})).await;
    assert_eq!(twice.status, 409);
    let nope = app
        .post_json(
            "/v1/admin/dead-letters/nope/redrive",
            &app.token,
            &json!({}),
        )
        .await;
    assert_eq!(nope.status, 404);
}

async fn actors_model_and_stats_are_reported(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.resolved_normal_ticket().await;
    let actors = app.get("/v1/admin/actors", &app.token).await;
    assert_eq!(actors.status, 200);
    let list = actors.body.as_array().unwrap();
    for name in [
        "intake",
        "ticket-actors",
        "work-consumer",
        "timer",
        "outbox-relay",
        "notifier",
        "sweeper",
        "scorer",
    ] {
        let a = list
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        for field in ["state", "restarts", "mailbox", "processed"] {
            assert!(!a[field].is_null(), "{name}.{field}");
        }
    }
    let intake = list.iter().find(|a| a["name"] == "intake").unwrap();
    assert_eq!(intake["state"], "running");
    assert!(intake["processed"].as_u64().unwrap() >= 1);
    let model = app.get("/v1/admin/model", &app.token).await;
    assert_eq!(model.status, 200);
    assert!(
        model.body["active"]["model_version"]
            .as_str()
            .unwrap()
            .starts_with("aegis-")
    );
    assert_eq!(model.body["feature_schema"], "aegis-features-v2");
    let stats = app.get("/v1/admin/stats", &app.token).await;
    assert_eq!(stats.body["workflows"]["resolved"], 1);
}

async fn the_model_is_reloaded_without_stopping(backend: Backend) {
    let dir = std::env::temp_dir().join(format!("aegis-model-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let model_dir = dir.display().to_string();
    let Some(app) = spawn_with(backend, |s| s.model.dir = model_dir).await else {
        return;
    };
    let mut model: serde_json::Value = serde_json::from_slice(aegis::risk::BUNDLED_MODEL).unwrap();
    model["learner"]["attributes"]["aegis_model_version"] = json!("reloaded-1");
    let good = dir.join("good.json");
    std::fs::write(&good, model.to_string()).unwrap();
    model["learner"]["feature_names"][0] = json!("something_else");
    let wrong = dir.join("wrong.json");
    std::fs::write(&wrong, model.to_string()).unwrap();
    let r = app
        .post_json(
            "/v1/admin/model/reload",
            &app.token,
            &json!({"path": wrong.display().to_string()}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expected 'emergency'"),
        "{}",
        r.body
    );
    let missing = app
        .post_json(
            "/v1/admin/model/reload",
            &app.token,
            &json!({"path": "/nonexistent.json"}),
        )
        .await;
    assert_eq!(missing.status, 404, "no such model file");
    let r = app
        .post_json(
            "/v1/admin/model/reload",
            &app.token,
            &json!({"path": good.display().to_string()}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["current"]["model_version"], "reloaded-1");
    let id = app.post_native(&fixture("normal.json")).await.body["workflow_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let w = app.wait_state(&id, "resolved").await;
    assert_eq!(w["score"]["model_version"], "reloaded-1");
    let _ = std::fs::remove_dir_all(dir);
}

async fn outcomes_are_recorded_by_operators_and_centers(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.resolved_normal_ticket().await;
    let path = "/v1/tickets/TEST/2026112200001/outcome";
    let r = app
        .post_json(
            path,
            &app.token,
            &json!({"damage": true, "facility": "gas", "notes": "nicked a service line"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["workflow_id"], id.as_str());
    assert_eq!(r.body["recorded_by"], "operator:ops");
    let officer = app
        .post_json(path, &app.officer_token, &json!({"damage": false}))
        .await;
    assert_eq!(officer.status, 403);
    let bad = app
        .post_json(
            path,
            &app.token,
            &json!({"damage": true, "facility": "lava"}),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["error"]["details"]["field"], "facility");
    let wrong = app
        .post_json(path, &app.token, &json!({"damage": "yes"}))
        .await;
    assert_eq!(wrong.status, 422);
    let unknown = app
        .post_json(
            "/v1/tickets/TEST/0000/outcome",
            &app.token,
            &json!({"damage": false}),
        )
        .await;
    assert_eq!(unknown.status, 404);
    // The center itself, with its webhook signature.
    let body = json!({"damage": false}).to_string();
    let r = app.post_signed_json(path, "out-1", &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["recorded_by"], "center:TEST");
    assert_eq!(app.count("outcomes"), 2);
}

both_backends!(the_audit_trail_is_append_only_and_tampering_shows);

async fn the_audit_trail_is_append_only_and_tampering_shows(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.resolved_normal_ticket().await;
    let tamper = format!(
        "UPDATE events SET payload = replace(payload, 'below', 'above') WHERE workflow_id = '{id}' AND seq = 4"
    );
    assert!(
        app.exec_sql(&tamper).is_err(),
        "the database refuses to change an event"
    );
    assert!(
        app.exec_sql(&format!("DELETE FROM events WHERE workflow_id = '{id}'"))
            .is_err()
    );
    // Someone with the keys to the database disables the guard and edits history anyway.
    assert_eq!(app.tamper_with_event(backend, &id, 4), 1);
    let w = app.workflow(&id).await;
    assert_eq!(w["chain_valid"], false);
    assert_eq!(w["chain_broken_at"], 4);
}
