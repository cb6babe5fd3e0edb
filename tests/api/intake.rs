//! Webhook intake: both formats, every contract answer, and nothing half-written.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    a_concurrent_burst_with_repeats_keeps_one_ticket_each,
    native_ticket_is_durable_and_answered_202,
    duplicates_and_revision_conflicts,
    signatures_are_enforced,
    bad_input_gets_its_contract_error_and_writes_nothing,
    unidentifiable_payloads_become_dead_letters,
    invalid_ticket_is_rejected_with_every_reason,
    the_real_usa_north_ticket_is_accepted,
    onecall_deliveries_are_checked,
);

async fn native_ticket_is_durable_and_answered_202(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let r = app.post_native(&fixture("normal.json")).await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.body["state"], "received");
    assert_eq!(r.body["duplicate"], false);
    assert_eq!(r.body["center"], "TEST");
    assert_eq!(r.body["ticket_number"], "2026112200001");
    assert_eq!(r.body["revision"], 0);
    assert!(r.headers.contains_key("x-request-id"));
    let id = r.body["workflow_id"].as_str().unwrap().to_owned();
    // Durable before the answer: the ticket row is there, raw payload kept verbatim.
    assert_eq!(app.count("tickets"), 1);
    let w = app.wait_state(&id, "resolved").await;
    let events: Vec<&str> = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to_state"].as_str().unwrap())
        .collect();
    // Screening moves nothing: it stays validated.
    assert_eq!(
        events,
        vec!["received", "validated", "validated", "scored", "resolved"]
    );
    assert_eq!(w["events"][0]["principal"], "center:TEST");
    assert_eq!(w["chain_valid"], true);
    assert_eq!(w["ticket"]["excavator"]["name"], "Dana Ortiz");
}

async fn duplicates_and_revision_conflicts(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let body = fixture("normal.json");
    let ts = chrono::Utc::now().timestamp();
    let first = app
        .post_native_as("TEST", "msg_same", ts, SECRET, &body)
        .await;
    assert_eq!(first.status, 202);
    // The same delivery again.
    let again = app
        .post_native_as("TEST", "msg_same", ts, SECRET, &body)
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["duplicate"], true);
    assert_eq!(again.body["workflow_id"], first.body["workflow_id"]);
    // The same content in a new delivery, reformatted.
    let v: Value = serde_json::from_slice(&body).unwrap();
    let pretty = serde_json::to_vec_pretty(&v).unwrap();
    let resent = app.post_native(&pretty).await;
    assert_eq!(resent.status, 200);
    assert_eq!(resent.body["duplicate"], true);
    // Same ticket and revision, different content.
    let mut changed = v.clone();
    changed["remarks"] = json!("something else");
    let conflict = app.post_ticket(&changed).await;
    assert_eq!(conflict.status, 409, "{}", conflict.body);
    assert_eq!(conflict.body["error"]["code"], "TICKET_REVISION_CONFLICT");
    assert_eq!(
        conflict.body["error"]["details"]["workflow_id"],
        first.body["workflow_id"]
    );
    assert_eq!(app.count("tickets"), 1);
    assert_eq!(app.count("workflows"), 1);
    // The changed ticket is kept for operators, once however often it is sent.
    let _ = app.post_ticket(&changed).await;
    let kept = app
        .get("/v1/admin/dead-letters?kind=revision_conflict", &app.token)
        .await;
    let items = kept.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", kept.body);
    assert_eq!(items[0]["workflow_id"], first.body["workflow_id"]);
    assert!(
        items[0]["error"]
            .as_str()
            .unwrap()
            .contains("stored sha256")
    );
    // An operator decides the change was the center's mistake: dismissed with a reason, kept,
    // no longer waiting, and neither redriven nor dismissed twice.
    let letter = items[0]["id"].as_str().unwrap();
    let path = format!("/v1/admin/dead-letters/{letter}/dismiss");
    let r = app
        .post_json(
            &path,
            &app.token,
            &json!({"reason": "center resent by mistake"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["dismissed_by"], "operator:ops");
    let again = app.post_json(&path, &app.token, &json!({})).await;
    assert_eq!(again.status, 409);
    let redrive = app
        .post_json(
            &format!("/v1/admin/dead-letters/{letter}/redrive"),
            &app.token,
            &json!({}),
        )
        .await;
    assert_eq!(redrive.status, 409, "a dismissed letter is not redriven");
    let kept = app.get("/v1/admin/dead-letters", &app.token).await;
    assert_eq!(
        kept.body["items"][0]["dismiss_reason"],
        "center resent by mistake"
    );
    let stats = app.get("/v1/admin/stats", &app.token).await;
    assert_eq!(stats.body["dead_letters"], 0);
    assert_eq!(app.count("workflows"), 1);
    let too_long = "x".repeat(4_001);
    let missing = app
        .post_json(
            "/v1/admin/dead-letters/nope/dismiss",
            &app.token,
            &json!({"reason": too_long}),
        )
        .await;
    assert_eq!(missing.status, 422, "the reason is checked first");
}

async fn signatures_are_enforced(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let body = fixture("normal.json");
    let now = chrono::Utc::now().timestamp();
    let wrong = app
        .post_native_as(
            "TEST",
            "m1",
            now,
            "whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC0xMjM=",
            &body,
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body["error"]["code"], "SIGNATURE_INVALID");
    assert!(
        wrong.body["request_id"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    let stale = app
        .post_native_as("TEST", "m2", now - 301, SECRET, &body)
        .await;
    assert_eq!(stale.body["error"]["code"], "TIMESTAMP_OUT_OF_TOLERANCE");
    assert_eq!(stale.status, 401);
    let future = app
        .post_native_as("TEST", "m3", now + 400, SECRET, &body)
        .await;
    assert_eq!(future.body["error"]["code"], "TIMESTAMP_OUT_OF_TOLERANCE");
    let missing = app
        .client
        .post(format!("{}/v1/webhooks/TEST", app.base))
        .header("content-type", "application/json")
        .header("webhook-id", "m4")
        .header("webhook-timestamp", now.to_string())
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let missing = reply(missing).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.body["error"]["code"], "SIGNATURE_MISSING");
    assert_eq!(app.count("tickets"), 0);
    // A rotated secret and the old one both verify.
    {
        let mut conn = app.db.write().unwrap();
        aegis::db::centers::add_secret(
            &mut conn,
            "TEST",
            "whsec_bmV3LXNlY3JldC1yb3RhdGVkLTAxMjM0NTY3OA==",
        )
        .unwrap();
    }
    // The center cache keeps secrets for a few seconds; wait it out.
    tokio::time::sleep(std::time::Duration::from_millis(5_200)).await;
    let new = app
        .post_native_as(
            "TEST",
            "m5",
            now,
            "whsec_bmV3LXNlY3JldC1yb3RhdGVkLTAxMjM0NTY3OA==",
            &body,
        )
        .await;
    assert_eq!(new.status, 202, "{}", new.body);
    let old = app
        .post_native_as(
            "TEST",
            "m6",
            now,
            SECRET,
            &fixture("emergency-directional-drilling.json"),
        )
        .await;
    assert_eq!(old.status, 202, "{}", old.body);
}

async fn bad_input_gets_its_contract_error_and_writes_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let unknown = app
        .post_native_as("NOPE", "x", chrono::Utc::now().timestamp(), SECRET, b"{}")
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["error"]["code"], "UNKNOWN_CENTER");
    let r = app
        .client
        .post(format!("{}/v1/webhooks/TEST", app.base))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    let r = reply(r).await;
    assert_eq!(r.status, 415);
    assert_eq!(r.body["error"]["code"], "UNSUPPORTED_MEDIA_TYPE");
    let big = vec![b' '; 3 * 1024 * 1024];
    let r = app.post_native(&big).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.body["error"]["code"], "PAYLOAD_TOO_LARGE");
    // Echoes a caller's request id.
    let r = app
        .client
        .get(format!("{}/v1/admin/workflows/x", app.base))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-abc-123");
    let r = reply(r).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["request_id"], "trace-abc-123");
    let nf = app.get("/v1/nothing-here", &app.token).await;
    assert_eq!(nf.status, 404);
    assert_eq!(nf.body["error"]["code"], "NOT_FOUND");
    assert_eq!(app.count("tickets"), 0);
    assert_eq!(app.count("workflows"), 0);
    assert_eq!(app.count("events"), 0);
}

async fn unidentifiable_payloads_become_dead_letters(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let cases: Vec<Vec<u8>> = vec![
        b"{\"ticket_number\": \"2026112200001\", \"revision\"".to_vec(),
        b"\xff\xfe\x00garbage".to_vec(),
        deep.into_bytes(),
        b"{\"revision\": 0}".to_vec(),
        b"{\"ticket_number\": \"A1\", \"revision\": 1e999}".to_vec(),
        b"{\"ticket_number\": \"A1\", \"revision\": 123456789012345678901234567890}".to_vec(),
        b"[1,2,3]".to_vec(),
    ];
    for (i, body) in cases.iter().enumerate() {
        let r = app.post_native(body).await;
        assert_eq!(r.status, 400, "case {i}: {}", r.body);
        assert_eq!(r.body["error"]["code"], "MALFORMED_PAYLOAD", "case {i}");
    }
    assert_eq!(app.count("dead_letters"), cases.len() as i64);
    assert_eq!(app.count("tickets"), 0);
    assert_eq!(app.count("workflows"), 0);
}

async fn invalid_ticket_is_rejected_with_every_reason(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let r = app.post_native(&fixture("invalid-rejected.json")).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.body["workflow_id"].as_str().unwrap().to_owned();
    let w = app.wait_state(&id, "rejected").await;
    let rejected = w["events"].as_array().unwrap().last().unwrap();
    let fields: Vec<&str> = rejected["detail"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec![
            "legal_start_at",
            "excavator.name",
            "work.depth_inches",
            "location.state",
            "location.latitude",
            "members"
        ]
    );
    assert!(w["score"].is_null());
}

async fn the_real_usa_north_ticket_is_accepted(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let xml = String::from_utf8(fixture("CA.xml")).unwrap();
    let r = app.post_onecall_xml(&xml, "notif-1").await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.body["ticket_number"], "2022091500019");
    let id = r.body["workflow_id"].as_str().unwrap().to_owned();
    let w = app
        .wait_for(&id, "scored and settled", |w| {
            w["score"].is_object() && w["state"] != "scored"
        })
        .await;
    assert_eq!(w["ticket"]["location"]["state"], "CA");
    assert_eq!(w["ticket"]["work"]["depth_text"], "<12 inches");
    // The same notification again is a duplicate.
    let again = app.post_onecall_xml(&xml, "notif-1").await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["duplicate"], true);
}

async fn onecall_deliveries_are_checked(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let xml = String::from_utf8(fixture("CA.xml")).unwrap();
    let body = aegis::formats::onecall::envelope(&xml, "n-2", "");
    let forged = app.post_onecall_body(&body, Some("sha256=AAAA")).await;
    assert_eq!(forged.status, 401);
    assert_eq!(forged.body["error"]["code"], "SIGNATURE_INVALID");
    let truncated = aegis::formats::onecall::envelope(&xml[..xml.len() / 2], "n-3", "");
    let r = app.post_onecall_body(&truncated, None).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "MALFORMED_PAYLOAD");
    assert_eq!(app.count("dead_letters"), 1);
    assert_eq!(app.count("tickets"), 0);
    // A changed ticket under the same number and revision: kept, answered 200 with
    // `conflict`, so the center does not retry it into its failed queue.
    let first = app.post_onecall_xml(&xml, "n-4").await;
    assert_eq!(first.status, 202, "{}", first.body);
    assert_eq!(first.body["conflict"], false);
    let changed = xml.replace("Front of Property", "Back of Property, by the gas meter");
    let r = app.post_onecall_xml(&changed, "n-5").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["conflict"], true);
    assert_eq!(r.body["duplicate"], false);
    assert_eq!(r.body["workflow_id"], first.body["workflow_id"]);
    let kept = app
        .get("/v1/admin/dead-letters?kind=revision_conflict", &app.token)
        .await;
    let items = kept.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", kept.body);
    assert!(
        items[0]["payload"].as_str().unwrap().contains("n-5"),
        "the new delivery is what is kept"
    );
    assert_eq!(app.count("tickets"), 1);
    // An operator redrives it: it becomes the next revision of the ticket.
    let letter = items[0]["id"].as_str().unwrap();
    let redriven = app
        .post_json(
            &format!("/v1/admin/dead-letters/{letter}/redrive"),
            &app.token,
            &json!({}),
        )
        .await;
    assert_eq!(redriven.status, 200, "{}", redriven.body);
    let new_id = redriven.body["workflow_id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, first.body["workflow_id"].as_str().unwrap());
    let w = app
        .wait_for(&new_id, "settled", |w| {
            !matches!(
                w["state"].as_str(),
                Some("received" | "validated" | "scored")
            )
        })
        .await;
    assert_eq!(w["revision"], 1);
    assert!(
        w["ticket"].to_string().contains("gas meter"),
        "the kept content is what is worked on"
    );
}

/// Deliveries racing into the same group commit: for each ticket exactly one is accepted, the
/// same content again is a duplicate of it, other content for the same revision conflicts.
async fn a_concurrent_burst_with_repeats_keeps_one_ticket_each(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let mut a = fixture_json("normal.json");
        a["ticket_number"] = json!(format!("B{i:03}"));
        let mut b = a.clone();
        b["remarks"] = json!("other content");
        let variants = [
            ("same-id", a.clone()),
            ("same-id", a.clone()),
            ("new-id", a),
            ("conflict", b),
        ];
        for (n, (label, body)) in variants.into_iter().enumerate() {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                let id = if label == "same-id" {
                    format!("d-{i}")
                } else {
                    format!("d-{i}-{n}")
                };
                let r = app
                    .post_native_as(
                        "TEST",
                        &id,
                        chrono::Utc::now().timestamp(),
                        SECRET,
                        body.to_string().as_bytes(),
                    )
                    .await;
                (i, label, body, r.status, r.body)
            }));
        }
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    for i in 0..20 {
        let mine: Vec<_> = results.iter().filter(|r| r.0 == i).collect();
        let accepted: Vec<_> = mine.iter().filter(|r| r.3 == 202).collect();
        assert_eq!(
            accepted.len(),
            1,
            "ticket {i}: {:?}",
            mine.iter().map(|r| r.3).collect::<Vec<_>>()
        );
        let winner = &accepted[0];
        let wf = winner.4["workflow_id"].clone();
        for r in &mine {
            match r.3 {
                202 => {}
                200 => {
                    assert_eq!(r.2, winner.2, "a duplicate carries the winner's content");
                    assert_eq!(r.4["workflow_id"], wf);
                }
                409 => {
                    assert_ne!(r.2, winner.2, "a conflict carries other content");
                    assert_eq!(r.4["error"]["details"]["workflow_id"], wf);
                }
                other => panic!("unexpected {other}: {}", r.4),
            }
        }
    }
    assert_eq!(app.count("tickets"), 20);
    assert_eq!(app.count("workflows"), 20);
}
