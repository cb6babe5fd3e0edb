//! Positive response end to end (contract §9, issue 16 part 1), on both backends, against a
//! PositiveResponse server on loopback: the set-up (password never shown), a mapping refused
//! for an inactive code, an officer's resolution posted with the officer's name (a token the
//! center stopped honouring fetched again), `500` then success, `412` reason 9 kept as the
//! rejection, a hanging center blocking nothing else, no response from a score alone, and an
//! operator's explicit response.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;
use crate::positive_response_server::{PASSWORD, PositiveResponseServer, USER};

both_backends!(a_resolution_answers_the_center_through_its_positive_response_api);

async fn response_of(app: &TestApp, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    app.wait_for(id, "its response to settle", |w| done(&w["response"]))
        .await
}

async fn resolve(app: &TestApp, alert: &str, disposition: &str) {
    let r = app
        .post_json(
            &format!("/v1/alerts/{alert}/resolve"),
            &app.officer_token,
            &json!({"disposition": disposition, "note": "locator on site"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn a_resolution_answers_the_center_through_its_positive_response_api(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| {
        s.notify.retry.base_backoff_ms = 50;
        s.notify.retry.max_backoff_ms = 100;
        s.notify.timeout_ms = 400;
    })
    .await
    else {
        return;
    };
    let center = PositiveResponseServer::start();

    // Set-up: the password is stored, never shown; the code list is fetched at once.
    let bad = app
        .put_json(
            "/v1/admin/centers/TEST/response-api",
            &app.token,
            &json!({"url": "ftp://x", "username": "", "password": "p", "station": "PGE01"}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(
        bad.body["error"]["details"]["problems"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let put = app
        .put_json(
            "/v1/admin/centers/TEST/response-api",
            &app.token,
            &json!({"url": center.base, "username": USER, "password": PASSWORD, "station": "PGE01"}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["password"], "********");
    assert_eq!(put.body["locate_codes"].as_array().unwrap().len(), 4);
    assert!(put.body["locate_codes_error"].is_null());
    let got = app
        .get("/v1/admin/centers/TEST/response-api", &app.token)
        .await;
    assert_eq!(got.status, 200);
    assert!(!got.body.to_string().contains(PASSWORD));
    assert_eq!(
        app.get("/v1/admin/centers/USAN/response-api", &app.token)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get("/v1/admin/centers/TEST/response-api", &app.officer_token)
            .await
            .status,
        403
    );

    // The mapping: only dispositions, only codes the center lists as active.
    let refused = app
        .put_json(
            "/v1/admin/centers/TEST/response-codes",
            &app.token,
            &json!({"no_conflict": "CODE 7", "sideways": "CODE 1", "site_standby": "CODE 99"}),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let problems = refused.body["error"]["details"]["problems"]
        .as_array()
        .unwrap();
    assert_eq!(problems.len(), 3);
    assert!(
        problems
            .iter()
            .any(|p| p["code"] == "inactive" && p["field"] == "no_conflict")
    );
    let mapped = app
        .put_json(
            "/v1/admin/centers/TEST/response-codes",
            &app.token,
            &json!({"locator_dispatched": "CODE 2", "site_standby": "CODE 3"}),
        )
        .await;
    assert_eq!(mapped.status, 200, "{}", mapped.body);
    assert_eq!(mapped.body["locator_dispatched"], "CODE 2");

    // An officer resolves; the center stopped honouring our token meanwhile: a new one, then
    // the code is posted with the officer's name and the response shows as posted.
    let (id, alert) = app.raise_alert("PR-1").await;
    center.expire_token();
    let tokens_before = center.tokens_issued();
    resolve(&app, &alert, "locator_dispatched").await;
    // The response row says `posted` as the center answers; the trail's `response_posted`
    // follows in the workflow's own next commit: wait for both.
    let w = app
        .wait_for(&id, "its response posted and in the trail", |w| {
            w["response"]["state"] == "posted"
                && w["events"]
                    .as_array()
                    .and_then(|e| e.last())
                    .is_some_and(|e| e["event"] == "response_posted")
        })
        .await;
    assert_eq!(w["response"]["code"], "CODE 2");
    let posts = center.posts("PR-1");
    assert_eq!(posts.len(), 1, "{posts:?}");
    let sent = &posts[0].1;
    assert_eq!(sent["station"], "PGE01");
    assert_eq!(sent["locateCode"], "CODE 2");
    assert_eq!(sent["accountNameOfPositiveResponseProvider"], "officer-1");
    assert_eq!(sent["reason"], "locator on site");
    assert_eq!(sent["trailId"], w["response"]["id"]);
    assert_eq!(
        center.tokens_issued(),
        tokens_before + 1,
        "one new token after the 401"
    );
    let trail: Vec<&str> = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert!(
        trail.contains(&"response_requested") && trail.ends_with(&["response_posted"]),
        "{trail:?}"
    );

    // 500 then success: retried under the same trail id. A hanging center meanwhile holds
    // only its own response.
    center.script("PR-HANG", &[0]);
    let (hang_id, hang_alert) = app.raise_alert("PR-HANG").await;
    resolve(&app, &hang_alert, "site_standby").await;
    center.script("PR-500", &[500, 201]);
    let (id500, alert500) = app.raise_alert("PR-500").await;
    resolve(&app, &alert500, "locator_dispatched").await;
    let w = response_of(&app, &id500, |r| r["state"] == "posted").await;
    assert_eq!(w["response"]["attempts"], 2);
    let posts = center.posts("PR-500");
    assert_eq!(
        posts.iter().map(|p| p.0).collect::<Vec<_>>(),
        vec![500, 201]
    );
    assert_eq!(posts[0].1["trailId"], posts[1].1["trailId"]);
    assert!(
        w["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "response_failed")
    );
    let hanging = app.workflow(&hang_id).await;
    assert_ne!(hanging["response"]["state"], "posted");

    // 412 reason 9: final, the reason kept and shown.
    center.script("PR-412", &[412]);
    let (id412, alert412) = app.raise_alert("PR-412").await;
    resolve(&app, &alert412, "locator_dispatched").await;
    let w = response_of(&app, &id412, |r| r["state"] == "rejected").await;
    assert_eq!(w["response"]["attempts"], 1);
    let error = w["response"]["error"].as_str().unwrap();
    assert!(
        error.contains("412 reason 9") && error.contains("cannot be overridden"),
        "{error}"
    );
    assert_eq!(center.posts("PR-412").len(), 1);

    // An unmapped disposition answers nothing; nor does a score alone.
    let (quiet, quiet_alert) = app.raise_alert("PR-FP").await;
    resolve(&app, &quiet_alert, "false_positive").await;
    let low = app.resolved_normal_ticket().await;
    assert!(app.workflow(&quiet).await["response"].is_null());
    assert!(app.workflow(&low).await["response"].is_null());

    // An operator answers explicitly: only active codes.
    let path = format!("/v1/admin/workflows/{low}/respond");
    let inactive = app
        .post_json(&path, &app.token, &json!({"code": "CODE 7"}))
        .await;
    assert_eq!(inactive.status, 422, "{}", inactive.body);
    let by_officer = app
        .post_json(&path, &app.officer_token, &json!({"code": "CODE 1"}))
        .await;
    assert_eq!(by_officer.status, 403);
    let r = app
        .post_json(
            &path,
            &app.token,
            &json!({"code": "CODE 1", "note": "no gas in the area"}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.body["state"], "pending");
    let w = response_of(&app, &low, |r| r["state"] == "posted").await;
    let low_number = w["ticket_number"].as_str().unwrap().to_owned();
    let sent = &center.posts(&low_number)[0].1;
    assert_eq!(sent["locateCode"], "CODE 1");
    assert_eq!(sent["accountNameOfPositiveResponseProvider"], "ops");

    // A center without a response API cannot be answered.
    let xml = String::from_utf8(fixture("CA.xml")).unwrap();
    let usan = app.post_onecall_xml(&xml, "pr-usan").await;
    let usan_id = usan.body["workflow_id"].as_str().unwrap();
    let none = app
        .post_json(
            &format!("/v1/admin/workflows/{usan_id}/respond"),
            &app.token,
            &json!({"code": "CODE 1"}),
        )
        .await;
    assert_eq!(none.status, 409, "{}", none.body);
    assert_eq!(none.body["error"]["code"], "NO_RESPONSE_API");

    // Operators see it in the console, and can answer from there.
    let (client, cookie) = crate::console::signed_in(&app, "ops").await;
    let page = format!("/admin/workflows/{id412}");
    let (status, html) = crate::console::page(&app, &client, &page, &cookie).await;
    assert_eq!(status, 200);
    assert!(html.contains("data-response-state=\"rejected\""), "{html}");
    assert!(html.contains("412 reason 9"));
    assert!(html.contains("<option value=\"CODE 3\">") && !html.contains("CODE 7"));
    let csrf = crate::console::csrf_of(&html);
    center.script("PR-412", &[201]);
    let posted = crate::console::post_form(
        &app,
        &client,
        &format!("{page}/respond"),
        &cookie,
        &[("csrf", csrf.as_str()), ("code", "CODE 3")],
    )
    .await;
    assert_eq!(posted, 303);
    let w = response_of(&app, &id412, |r| {
        r["state"] == "posted" && r["code"] == "CODE 3"
    })
    .await;
    assert_eq!(w["response"]["account"], "ops");

    // The password appears nowhere it could be read back.
    for id in [&id, &id500, &id412, &low] {
        assert!(!app.workflow(id).await.to_string().contains(PASSWORD));
    }
}
