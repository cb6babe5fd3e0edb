//! Damage investigations (contract §14): opened by an officer on an alerted ticket with what the
//! ticket says prefilled, refused field by field outside the vocabularies, edited from the
//! version read, closed by an operator only, opened by a center's damage outcome once however
//! often it is sent, every change on the workflow's trail with the chain intact, and listed
//! with filters.

use serde_json::{Value, json};

use crate::helpers::*;

crate::both_backends!(
    an_investigation_is_opened_edited_closed_and_audited,
    a_damage_outcome_opens_one_investigation
);

fn events_of(w: &Value) -> Vec<Value> {
    w["events"].as_array().unwrap().clone()
}

async fn an_investigation_is_opened_edited_closed_and_audited(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (workflow, _) = app.raise_alert("INV-1").await;
    let path = format!("/v1/admin/workflows/{workflow}/investigations");

    // Kind and facility are required; words outside the vocabularies are named with the
    // allowed values, every problem at once; nothing is written.
    let r = app.post_json(&path, &app.officer_token, &json!({})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let fields: Vec<&str> = r.body["error"]["details"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["kind", "facility.class"], "{}", r.body);
    let r = app
        .post_json(
            &path,
            &app.officer_token,
            &json!({"kind": "damage", "facility": {"class": "telecom"},
                    "root_cause": "bad_luck", "marks": "faint", "cost_usd": -1}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let problems = r.body["error"]["details"]["problems"]
        .as_array()
        .unwrap()
        .clone();
    let fields: Vec<&str> = problems
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["root_cause", "marks", "cost_usd"],
        "{}",
        r.body
    );
    assert!(
        problems[0]["message"]
            .as_str()
            .unwrap()
            .contains("notification.no_notification, notification.outside_ticket_area"),
        "{}",
        r.body
    );
    assert_eq!(
        app.get(&path, &app.officer_token).await.body,
        json!([]),
        "nothing opened"
    );

    // Opened by the officer: the ticket's work, method, equipment and excavator prefilled.
    let r = app
        .post_json(
            &path,
            &app.officer_token,
            &json!({"kind": "damage", "facility": {"class": "telecom"},
                    "marks": "present_accurate", "cost_usd": 12500.5,
                    "narrative": "bore struck a fibre duct at 4 ft"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let inv = r.body.clone();
    let id = inv["id"].as_str().unwrap().to_owned();
    assert_eq!(inv["state"], "open");
    assert_eq!(inv["version"], 1);
    assert_eq!(inv["work_type"], "telecommunications", "{inv}");
    assert_eq!(inv["method"], "directional_drilling");
    assert_eq!(inv["equipment"], "directional_drilling");
    assert_eq!(inv["excavator"], "Bayline Fiber Constructors");
    assert_eq!(inv["excavator_type"], "contractor");
    assert_eq!(inv["root_cause"], Value::Null, "nobody knows the cause yet");
    // The emergency's start passed a day and a half before the test clock, and nothing was
    // answered: Aegis's own record says late.
    assert_eq!(inv["response_on_time"], false);
    assert_eq!(inv["opened_by"], "officer:officer-1");

    // Edited from the version read; an edit from an older version is refused.
    let edit = format!("{path}/{id}");
    let r = app
        .patch_json(
            &edit,
            &app.officer_token,
            &json!({"root_cause": "excavation.no_test_hole", "at_fault": "excavator", "version": 1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["root_cause_group"], "excavation");
    let stale = app
        .patch_json(
            &edit,
            &app.officer_token,
            &json!({"marks": "absent", "version": 1}),
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert_eq!(stale.body["error"]["code"], "INVESTIGATION_CHANGED");

    // Officers do not close; operators do, once.
    let close = format!("{edit}/close");
    let r = app.post_json(&close, &app.officer_token, &json!({})).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app.post_json(&close, &app.token, &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["state"], "closed");
    assert_eq!(r.body["closed_by"], "operator:ops");
    let again = app.post_json(&close, &app.token, &json!({})).await;
    assert_eq!(again.status, 409, "{}", again.body);
    let late = app
        .patch_json(&edit, &app.officer_token, &json!({"marks": "absent"}))
        .await;
    assert_eq!(
        late.status, 409,
        "a closed investigation is not edited: {}",
        late.body
    );

    // Each change is on the workflow's trail, the edit naming the fields it changed, and the
    // chain still verifies.
    let w = app.workflow(&workflow).await;
    assert_eq!(w["chain_valid"], true);
    let kinds: Vec<String> = events_of(&w)
        .iter()
        .filter(|e| e["event"].as_str().unwrap().starts_with("investigation_"))
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "investigation_opened",
            "investigation_changed",
            "investigation_closed"
        ]
    );
    let changed = events_of(&w)
        .into_iter()
        .find(|e| e["event"] == "investigation_changed")
        .unwrap();
    let fields: Vec<&str> = changed["detail"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["root_cause", "at_fault"], "{changed}");
    assert_eq!(changed["principal"], "officer:officer-1");

    // Listed with filters.
    let all = app
        .get("/v1/admin/investigations", &app.officer_token)
        .await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.body["items"].as_array().unwrap().len(), 1);
    let open = app
        .get("/v1/admin/investigations?state=open", &app.officer_token)
        .await;
    assert_eq!(open.body["items"], json!([]));
    let by_group = app
        .get(
            "/v1/admin/investigations?root_cause_group=excavation&kind=damage",
            &app.officer_token,
        )
        .await;
    assert_eq!(by_group.body["items"][0]["id"], id.as_str());
    let bad = app
        .get("/v1/admin/investigations?kind=flood", &app.officer_token)
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("damage, near_miss, downtime"),
        "{}",
        bad.body
    );
}

async fn a_damage_outcome_opens_one_investigation(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (workflow, _) = app.raise_alert("INV-2").await;
    let w = app.workflow(&workflow).await;
    let number = w["ticket_number"].as_str().unwrap().to_owned();
    let body = json!({"damage": true, "facility": "gas", "reported_at": "2026-11-23T12:00:00Z",
                      "notes": "service line nicked"});
    let outcome = format!("/v1/tickets/TEST/{number}/outcome");
    for status in [201, 200] {
        let r = app.post_json(&outcome, &app.token, &body).await;
        assert_eq!(r.status, status, "{}", r.body);
    }
    let list = app
        .get(
            &format!("/v1/admin/workflows/{workflow}/investigations"),
            &app.officer_token,
        )
        .await;
    let items = list.body.as_array().unwrap();
    assert_eq!(items.len(), 1, "opened once: {}", list.body);
    assert_eq!(items[0]["kind"], "damage");
    assert_eq!(items[0]["facility"]["class"], "gas_distribution");
    assert_eq!(items[0]["occurred_at"], "2026-11-23T12:00:00Z");
    assert_eq!(items[0]["narrative"], "service line nicked");
    assert_eq!(items[0]["opened_by"], "operator:ops");
    // No damage: nothing to investigate.
    let (other, _) = app.raise_alert("INV-3").await;
    let n = app.workflow(&other).await["ticket_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post_json(
            &format!("/v1/tickets/TEST/{n}/outcome"),
            &app.token,
            &json!({"damage": false}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let none = app
        .get(
            &format!("/v1/admin/workflows/{other}/investigations"),
            &app.officer_token,
        )
        .await;
    assert_eq!(none.body, json!([]));
}
