//! Open Ticket Standard deliveries (contract §11) on both backends: the published samples and
//! one variant per quirk real centers show (`tests/fixtures/openticket/`, expectations in its
//! `expected.json`) are all taken, placed where they are, typed and scored; a cancel notice
//! cancels; a test ticket alerts nobody; what is not a ticket, or cannot be identified or
//! placed, gets the specification's error document and is kept, never half stored.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

/// The secret the Open Ticket centers of these tests send as their bearer token.
const OT_SECRET: &str = "openticket-bearer-secret-0123456789";

/// The Open Ticket center of these tests, reading zoneless times in New York as PA811 and
/// GA811 send them (its own `centers.PA811.timezone`; the centers' zone stays UTC).
const CENTER: &str = "PA811";

fn center(app: &TestApp) -> String {
    let mut conn = app.db.write().unwrap();
    aegis::db::centers::add(
        &mut conn,
        CENTER,
        aegis::db::centers::CenterFormat::Openticket,
        OT_SECRET,
    )
    .unwrap();
    CENTER.to_owned()
}

async fn spawn(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, |s| {
        s.centers.each.insert(
            CENTER.into(),
            aegis::config::CenterSettings {
                timezone: Some("America/New_York".into()),
                ..Default::default()
            },
        );
        s.reconcile.gap_grace_secs = 0;
    })
    .await
}

async fn post(app: &TestApp, center: &str, body: &[u8], auth: Option<&str>) -> Reply {
    let mut req = app
        .client
        .post(format!("{}/v1/webhooks/{center}/openticket", app.base))
        .header("content-type", "application/json");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    reply(req.body(body.to_vec()).send().await.unwrap()).await
}

async fn post_ok(app: &TestApp, center: &str, body: &[u8]) -> Reply {
    post(app, center, body, Some(&format!("Bearer {OT_SECRET}"))).await
}

async fn settled(app: &TestApp, id: &str) -> Value {
    app.wait_for(id, "settled", |w| {
        !matches!(
            w["state"].as_str(),
            Some("received" | "validated" | "scored")
        )
    })
    .await
}

fn kinds(w: &Value) -> Vec<String> {
    w["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["event"].as_str().map(str::to_owned))
        .collect()
}

both_backends!(every_sample_and_quirk_is_taken_placed_typed_and_scored);

async fn every_sample_and_quirk_is_taken_placed_typed_and_scored(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let code = center(&app);
    let expected = fixture_json("openticket/expected.json");
    let mut routine = None;
    for (file, want) in expected.as_object().unwrap() {
        if file == "PA811-Cancel.json" {
            continue;
        }
        let r = post_ok(&app, &code, &fixture(&format!("openticket/{file}"))).await;
        assert_eq!(r.status, 200, "{file}: {}", r.body);
        assert_eq!(r.body["state"], "received", "{file}: {}", r.body);
        assert_eq!(r.body["ticket_number"], want["ticket_number"], "{file}");
        let id = r.body["workflow_id"].as_str().unwrap().to_owned();
        let w = settled(&app, &id).await;
        let ctx = format!("{file}: {:#}", w["events"]);
        assert_ne!(w["state"], "rejected", "{ctx}");
        assert!(!w["score"].is_null(), "{file} was not scored: {ctx}");
        assert_eq!(w["ticket"]["type"], want["type"], "{file}");
        assert_eq!(w["revision"], want["revision"], "{file}");
        let place = want["place"].as_array().unwrap();
        let (lon, lat) = (place[0].as_f64().unwrap(), place[1].as_f64().unwrap());
        let l = &w["ticket"]["location"];
        let (glon, glat) = (
            l["longitude"].as_f64().unwrap(),
            l["latitude"].as_f64().unwrap(),
        );
        assert!(
            (glon - lon).abs() < 0.002 && (glat - lat).abs() < 0.002,
            "{file} placed at {glon},{glat}, not {lon},{lat}"
        );
        let codes: Vec<&str> = w["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["code"].as_str())
            .collect();
        for c in want["warnings"].as_array().unwrap() {
            assert!(
                codes.contains(&c.as_str().unwrap()),
                "{file}: no {c} warning in {codes:?}"
            );
        }
        let events = kinds(&w);
        if want.get("is_test") == Some(&Value::Bool(true)) {
            assert_eq!(w["ticket"]["is_test"], true, "{file}");
            assert!(!events.contains(&"alert_raised".to_owned()), "{ctx}");
            assert_eq!(w["state"], "resolved", "{ctx}");
        }
        if file == "type-emergency.json" {
            // The same emergency without isTest: nothing is known of what is buried there,
            // so the standing rule puts it in front of an officer.
            assert!(events.contains(&"alert_raised".to_owned()), "{ctx}");
        }
        if file == "PA811-Routine.json" {
            routine = Some(id);
        }
    }

    // PA811 cancels under the ticket's own number and version: the notice becomes the
    // ticket's next revision, a cancel, and ends cancelled; the routine ticket had already
    // ended (nothing of ours is known there and it is a normal ticket), so it stays as it was.
    let routine = routine.unwrap();
    let before = app.workflow(&routine).await["state"].clone();
    let r = post_ok(&app, &code, &fixture("openticket/PA811-Cancel.json")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["revision"].as_u64(), r.body["conflict"].as_bool()),
        (Some(1), Some(false)),
        "{}",
        r.body
    );
    let cancel = r.body["workflow_id"].as_str().unwrap().to_owned();
    assert_ne!(cancel, routine);
    let w = settled(&app, &cancel).await;
    assert_eq!(w["state"], "cancelled", "{:#}", w["events"]);
    assert_eq!(w["ticket"]["type"], "cancel");
    assert_eq!(app.workflow(&routine).await["state"], before);
    // The center retries it: the same notice, received once.
    let again = post_ok(&app, &code, &fixture("openticket/PA811-Cancel.json")).await;
    assert_eq!(
        (
            again.status,
            again.body["workflow_id"].as_str(),
            again.body["duplicate"].as_bool()
        ),
        (200, Some(cancel.as_str()), Some(true)),
        "{}",
        again.body
    );

    // A cancel notice for a ticket an officer is still working on ends that work too.
    let mut emergency = fixture_json("openticket/type-emergency.json");
    emergency["header"]["ticketNumber"] = json!("240222-980001");
    let r = post_ok(&app, &code, emergency.to_string().as_bytes()).await;
    let open = r.body["workflow_id"].as_str().unwrap().to_owned();
    app.wait_state(&open, "alerted").await;
    emergency["header"]["standardType"] = json!("Cancel");
    emergency["header"]["status"] = json!("Cancel");
    let r = post_ok(&app, &code, emergency.to_string().as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.wait_state(&open, "cancelled").await;
    let w = app.workflow(&open).await;
    let cancelled = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "cancelled")
        .unwrap();
    assert!(
        cancelled
            .to_string()
            .contains("cancel notice in revision 1"),
        "{cancelled}"
    );

    // A cancel for a ticket never received cancels itself.
    let mut lone: Value = fixture_json("openticket/PA811-Cancel.json");
    lone["header"]["ticketNumber"] = json!("20241239999");
    let r = post_ok(&app, &code, lone.to_string().as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let w = settled(&app, r.body["workflow_id"].as_str().unwrap()).await;
    assert_eq!(w["state"], "cancelled");

    // PA811 numbered its deliveries 1 and 7: 2 to 6 never came.
    let gaps = app.get("/v1/admin/sequence-gaps", &app.token).await;
    assert_eq!(gaps.status, 200, "{}", gaps.body);
    let pa: Vec<(u64, u64)> = gaps
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["station"] == "PA811")
        .map(|g| (g["from"].as_u64().unwrap(), g["to"].as_u64().unwrap()))
        .collect();
    assert_eq!(pa, vec![(2, 6)], "{}", gaps.body);
}

both_backends!(what_cannot_be_taken_gets_the_error_document_and_is_kept_whole);

async fn what_cannot_be_taken_gets_the_error_document_and_is_kept_whole(backend: Backend) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let code = center(&app);
    let ga = fixture_json("openticket/GA-240222-001001.json");
    let document = |r: &Reply, status: u16, error: &str| {
        assert_eq!(r.status, status, "{}", r.body);
        let b = &r.body;
        assert_eq!(b["errorCount"], 1, "{b}");
        assert_eq!(b["errorList"][0]["error"], error, "{b}");
        assert!(
            b["timestamp"].as_str().is_some_and(|t| t.len() >= 20),
            "{b}"
        );
        assert!(
            b.get("formatVersion").is_some() && b.get("ticketNumber").is_some(),
            "{b}"
        );
    };
    // Not JSON at all.
    let r = post_ok(&app, &code, b"{\"header\": {\"ticketNumber\": ").await;
    document(&r, 400, "INVALID_JSON");
    // JSON, but no ticket in it.
    let r = post_ok(&app, &code, br#"{"hello": "world"}"#).await;
    document(&r, 400, "MISSING_REQUIRED_FIELD");
    assert_eq!(r.body["errorList"][0]["field"], "header");
    // A ticket without a number cannot be identified.
    let mut no_number = ga.clone();
    no_number["header"]
        .as_object_mut()
        .unwrap()
        .remove("ticketNumber");
    let r = post_ok(&app, &code, no_number.to_string().as_bytes()).await;
    document(&r, 409, "MISSING_REQUIRED_FIELD");
    assert_eq!(r.body["errorList"][0]["field"], "header.ticketNumber");
    assert_eq!(r.body["formatVersion"], "0.3");
    // A ticket with no geometry and no address cannot be placed.
    let mut nowhere = ga.clone();
    nowhere["header"]["ticketNumber"] = json!("240222-990001");
    nowhere["geography"] = json!({"srid": 4326, "workSiteWkt": []});
    nowhere["workSite"] = json!({"countryCode": "US", "stateProvince": "GA"});
    let r = post_ok(&app, &code, nowhere.to_string().as_bytes()).await;
    document(&r, 409, "MISSING_GEOMETRY");
    assert_eq!(r.body["ticketNumber"], "240222-990001");
    // Each of the four is kept for operators, once.
    let kept = app
        .get("/v1/admin/dead-letters?kind=unidentifiable", &app.token)
        .await;
    assert_eq!(kept.status, 200, "{}", kept.body);
    let ours = kept
        .body
        .to_string()
        .matches(&format!("\"center\":\"{code}\""))
        .count();
    assert_eq!(ours, 4, "{}", kept.body);

    // A wrong key, no key, or a key for another scheme: the envelope's 401, nothing kept.
    let body = ga.to_string();
    for auth in [
        Some("Bearer not-the-secret-at-all-0000000000".to_owned()),
        None,
        Some(format!("Basic {OT_SECRET}")),
    ] {
        let r = post(&app, &code, body.as_bytes(), auth.as_deref()).await;
        assert_eq!(r.status, 401, "{auth:?}: {}", r.body);
        assert!(r.body["error"]["code"].is_string(), "{}", r.body);
    }
    // 10 MB: refused before it is read whole, in the envelope.
    let mut huge = ga.clone();
    huge["locateInformation"]["remarks"] = json!("x".repeat(10 * 1024 * 1024));
    let r = post_ok(&app, &code, huge.to_string().as_bytes()).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "PAYLOAD_TOO_LARGE", "{}", r.body);
    // Nothing of any of them became a workflow.
    let list = app
        .get(&format!("/v1/admin/workflows?center={code}"), &app.token)
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["items"], json!([]), "{}", list.body);
    // And the same document, properly sent, is taken.
    let r = post_ok(&app, &code, body.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Sent again: the same ticket, a duplicate.
    let again = post_ok(&app, &code, body.as_bytes()).await;
    assert_eq!(
        (again.status, again.body["duplicate"].as_bool()),
        (200, Some(true)),
        "{}",
        again.body
    );
}

#[actix_web::test]
async fn a_center_that_signs_is_checked_as_standard_webhooks() {
    let Some(app) = spawn(Backend::Sqlite).await else {
        return;
    };
    let code = center(&app);
    let body = fixture("openticket/GA-240222-001001.json");
    let ts = chrono::Utc::now().timestamp();
    let sig = aegis::formats::signature::sign_native(OT_SECRET, "d-1", ts, &body);
    let send = |sig: String| {
        app.client
            .post(format!("{}/v1/webhooks/{code}/openticket", app.base))
            .header("content-type", "application/json")
            .header("webhook-id", "d-1")
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", sig)
            .body(body.clone())
            .send()
    };
    let bad = reply(send("v1,AAAA".into()).await.unwrap()).await;
    assert_eq!(bad.status, 401, "{}", bad.body);
    let good = reply(send(sig).await.unwrap()).await;
    assert_eq!(good.status, 200, "{}", good.body);
}

#[actix_web::test]
async fn the_operator_sees_what_the_center_said_as_it_labels_it() {
    let Some(app) = spawn(Backend::Sqlite).await else {
        return;
    };
    let code = center(&app);
    let r = post_ok(&app, &code, &fixture("openticket/PA811-Routine.json")).await;
    let pa = r.body["workflow_id"].as_str().unwrap().to_owned();
    let r = post_ok(&app, &code, &fixture("openticket/GA-240222-001001.json")).await;
    let ga = r.body["workflow_id"].as_str().unwrap().to_owned();
    settled(&app, &pa).await;
    settled(&app, &ga).await;
    let (client, ops) = crate::console::signed_in(&app, "ops").await;
    let (status, html) =
        crate::console::page(&app, &client, &format!("/admin/workflows/{pa}"), &ops).await;
    assert_eq!(status, 200);
    assert!(html.contains("What the center says"), "{html}");
    // Groups and fields by the center's display names, with their values.
    assert!(html.contains("PA811 Header (5)"), "{html}");
    assert!(html.contains("ACTIONTYPE (CANCEL, NEW, RENOTIFY, UPDATE)"));
    assert!(html.contains("PA811 General Ticket Information"));
    assert!(html.contains("REASON WE DID UPDATE/CANCEL/RENOTIFY"));
    // The members' responses the center has on record.
    assert!(html.contains("FIELD MARKED."), "{html}");
    // GA811 sent its own buffered outline: drawn, dotted, and said to be the center's.
    let (_, html) =
        crate::console::page(&app, &client, &format!("/admin/workflows/{ga}"), &ops).await;
    assert!(html.contains("class=\"center-buffer\""), "{html}");
    assert!(html.contains("the call center's buffered outline"));
    assert!(html.contains("Time Line"));
}
