//! The console's operator pages over HTTP (contract §8, issue 15): workflows filtered as the
//! API filters them, a workflow's audit trail with the chain's verdict (tampering shows),
//! retry and cancel, dead letters with redrive, actors' health and the active model, facility
//! layers retired and brought back — what cannot be undone confirmed first — and an officer
//! kept out of every one of them, reads and forms alike.

use serde_json::json;

use crate::both_backends;
use crate::console::{csrf_of, page, post_form, post_form_page, signed_in};
use crate::helpers::*;

both_backends!(
    an_operator_finds_and_repairs_workflows,
    dead_letters_are_redriven_from_the_console,
    the_system_page_shows_actors_and_the_model,
    retiring_a_layer_is_confirmed_and_undone_from_the_console,
    operators_read_local_times_rejections_in_words_and_any_due_window
);

async fn an_operator_finds_and_repairs_workflows(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| {
        s.testing.panic_on_ticket = "FLAKY-C".into();
        s.testing.panic_times = 2;
        s.runtime.retry.max_attempts = 2;
    })
    .await
    else {
        return;
    };
    let (client, ops) = signed_in(&app, "ops").await;
    let mut t = fixture_json("normal.json");
    t["ticket_number"] = json!("FLAKY-C");
    let flaky = app.post_ticket(&t).await.body["workflow_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.wait_state(&flaky, "failed").await;
    let (alerted, _) = app.raise_alert("C-ALERT").await;

    // Filters as the API has them; a date input's day works; a bad filter is a 422 page.
    let (status, html) = page(&app, &client, "/admin/workflows?state=failed&band=", &ops).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("data-workflow-id=\"{flaky}\"")));
    assert!(!html.contains(&format!("data-workflow-id=\"{alerted}\"")));
    let (_, html) = page(
        &app,
        &client,
        "/admin/workflows?ticket_number=C-ALERT&since=2020-01-01",
        &ops,
    )
    .await;
    assert!(html.contains(&format!("data-workflow-id=\"{alerted}\"")));
    assert!(!html.contains(&format!("data-workflow-id=\"{flaky}\"")));
    let (_, html) = page(&app, &client, "/admin/workflows?since=2999-01-01", &ops).await;
    assert!(html.contains("No workflow matches"));
    let (status, html) = page(&app, &client, "/admin/workflows?state=sideways", &ops).await;
    assert_eq!(status, 422);
    assert!(html.contains("state"), "{html}");

    // The failed workflow's page: its error, a verified chain, a retry button.
    let path = format!("/admin/workflows/{flaky}");
    let (status, html) = page(&app, &client, &path, &ops).await;
    assert_eq!(status, 200);
    for needle in [
        "data-chain=\"valid\"",
        "data-action=\"retry\"",
        "Last error",
        "<strong>failed</strong>",
        "Audit trail",
    ] {
        assert!(html.contains(needle), "no {needle} on the workflow page");
    }
    assert!(
        !html.contains("data-action=\"cancel\""),
        "a failed workflow has ended"
    );
    let csrf = csrf_of(&html);
    let forged = post_form(
        &app,
        &client,
        &format!("{path}/retry"),
        &ops,
        &[("csrf", "guess")],
    )
    .await;
    assert_eq!(forged, 403);
    assert_eq!(app.workflow(&flaky).await["state"], "failed");
    let retried = post_form(
        &app,
        &client,
        &format!("{path}/retry"),
        &ops,
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(retried, 303);
    let w = app.wait_state(&flaky, "resolved").await;
    assert!(
        w["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "retried" && e["principal"] == "operator:ops"),
        "{w}"
    );
    // Retrying what is no longer failed: the API's 409, as a page.
    let again = post_form(
        &app,
        &client,
        &format!("{path}/retry"),
        &ops,
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(again, 409);

    // Cancel the alerted one with a reason: one click asks to confirm, saying its open alert
    // closes unanswered; nothing changes until the operator confirms.
    let cancel = format!("/admin/workflows/{alerted}/cancel");
    let (_, html) = page(&app, &client, &format!("/admin/workflows/{alerted}"), &ops).await;
    assert!(html.contains("data-action=\"cancel\""));
    let (status, confirm) = post_form_page(
        &app,
        &client,
        &cancel,
        &ops,
        &[("csrf", csrf.as_str()), ("reason", "duplicate of C-1")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        confirm.contains("data-action=\"confirm-cancel\""),
        "{confirm}"
    );
    assert!(confirm.contains("alert closes"), "{confirm}");
    assert!(confirm.contains("value=\"duplicate of C-1\""), "{confirm}");
    assert_eq!(app.workflow(&alerted).await["state"], "alerted");
    // Confirmed without a reason: asked again, still nothing done.
    let (status, again) = post_form_page(
        &app,
        &client,
        &cancel,
        &ops,
        &[("csrf", csrf.as_str()), ("reason", " "), ("confirm", "yes")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(again.contains("Say why"), "{again}");
    assert_eq!(app.workflow(&alerted).await["state"], "alerted");
    let r = post_form(
        &app,
        &client,
        &cancel,
        &ops,
        &[
            ("csrf", csrf.as_str()),
            ("reason", "duplicate of C-1"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(r, 303);
    let w = app.wait_state(&alerted, "cancelled").await;
    let ev = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "cancelled")
        .unwrap()
        .clone();
    assert_eq!(ev["principal"], "operator:ops");
    assert_eq!(ev["detail"]["reason"], "duplicate of C-1");

    // Someone edits history in the database: the page says so, and where.
    assert_eq!(app.tamper_with_event(backend, &flaky, 4), 1);
    let (_, html) = page(&app, &client, &path, &ops).await;
    assert!(html.contains("data-chain=\"broken\""), "{html}");
    assert!(html.contains("at event 4"));

    // An officer sees none of it and changes nothing.
    let (officer_client, officer) = signed_in(&app, "officer-1").await;
    let (status, html) = page(&app, &officer_client, &path, &officer).await;
    assert_eq!(status, 403);
    assert!(!html.contains(&flaky));
    let (_, alert_page) = page(&app, &officer_client, "/alerts", &officer).await;
    let officer_csrf = csrf_of(&alert_page);
    let (other, _) = app.raise_alert("C-KEEP").await;
    let r = post_form(
        &app,
        &officer_client,
        &format!("/admin/workflows/{other}/cancel"),
        &officer,
        &[("csrf", officer_csrf.as_str())],
    )
    .await;
    assert_eq!(r, 403);
    assert_eq!(app.workflow(&other).await["state"], "alerted");
    let (status, _) = page(&app, &client, "/admin/workflows/no-such-workflow", &ops).await;
    assert_eq!(status, 404);
}

async fn dead_letters_are_redriven_from_the_console(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| {
        s.testing.panic_on_ticket = "POISON-C".into();
        s.testing.panic_times = 2;
        s.runtime.retry.max_attempts = 2;
    })
    .await
    else {
        return;
    };
    let (client, ops) = signed_in(&app, "ops").await;
    assert_eq!(
        app.post_native(b"{\"ticket_number\": \"X\", \"rev")
            .await
            .status,
        400
    );
    let mut t = fixture_json("normal.json");
    t["ticket_number"] = json!("POISON-C");
    let id = app.post_ticket(&t).await.body["workflow_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.wait_state(&id, "failed").await;

    let (status, html) = page(&app, &client, "/admin/dead-letters", &ops).await;
    assert_eq!(status, 200);
    assert!(html.contains("Dead letters (2)"), "{html}");
    assert!(
        html.contains("{&quot;ticket_number&quot;: &quot;X&quot;"),
        "the payload is shown, escaped"
    );
    let list = app.get("/v1/admin/dead-letters", &app.token).await;
    let items = list.body["items"].as_array().unwrap().clone();
    let id_of = |kind: &str| {
        items.iter().find(|d| d["kind"] == kind).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (step, unreadable) = (id_of("step_failed"), id_of("unidentifiable"));
    let csrf = csrf_of(&html);

    // Still not a ticket: the API's 409, shown as a page; nothing marked.
    let r = client
        .post(format!(
            "{}/admin/dead-letters/{unreadable}/redrive",
            app.base
        ))
        .header(reqwest::header::COOKIE, &ops)
        .header("origin", &app.base)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("still not an identifiable ticket")
    );
    // The failed step's workflow resumes.
    let r = post_form(
        &app,
        &client,
        &format!("/admin/dead-letters/{step}/redrive"),
        &ops,
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(r, 303);
    app.wait_state(&id, "resolved").await;
    let (_, html) = page(&app, &client, "/admin/dead-letters", &ops).await;
    assert!(html.contains("Redriven by operator:ops"));
    assert_eq!(
        html.matches("data-action=\"redrive\"").count(),
        1,
        "only the unreadable one is left"
    );
    let forged = post_form(
        &app,
        &client,
        &format!("/admin/dead-letters/{unreadable}/redrive"),
        &ops,
        &[],
    )
    .await;
    assert_eq!(forged, 403);
    // The unreadable one will never be a ticket: dismissed, with the reason shown.
    let dismiss = format!("/admin/dead-letters/{unreadable}/dismiss");
    assert_eq!(
        post_form(&app, &client, &dismiss, &ops, &[("reason", "x")]).await,
        403
    );
    let (status, confirm) =
        post_form_page(&app, &client, &dismiss, &ops, &[("csrf", csrf.as_str())]).await;
    assert_eq!(status, 200, "dismissing asks to confirm, with a reason");
    assert!(
        confirm.contains("data-action=\"confirm-dismiss\""),
        "{confirm}"
    );
    assert!(confirm.contains("never redriven"), "{confirm}");
    let (_, html) = page(&app, &client, "/admin/dead-letters", &ops).await;
    assert!(!html.contains("Dismissed by"), "nothing dismissed yet");
    let r = post_form(
        &app,
        &client,
        &dismiss,
        &ops,
        &[
            ("csrf", csrf.as_str()),
            ("reason", "truncated by the sender"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(r, 303);
    let (_, html) = page(&app, &client, "/admin/dead-letters", &ops).await;
    assert!(
        html.contains("Dismissed by operator:ops: truncated by the sender"),
        "{html}"
    );
    assert!(!html.contains("data-action=\"redrive\""));
    assert_eq!(
        app.get("/v1/admin/stats", &app.token).await.body["dead_letters"],
        0
    );
}

async fn the_system_page_shows_actors_and_the_model(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (client, ops) = signed_in(&app, "ops").await;
    app.resolved_normal_ticket().await;
    let (status, html) = page(&app, &client, "/admin/system", &ops).await;
    assert_eq!(status, 200);
    let model = app.get("/v1/admin/model", &app.token).await;
    let version = model.body["active"]["model_version"].as_str().unwrap();
    assert!(
        html.contains(&format!("data-model-version=\"{version}\"")),
        "{html}"
    );
    let actors = app.get("/v1/admin/actors", &app.token).await;
    for a in actors.body.as_array().unwrap() {
        let name = a["name"].as_str().unwrap();
        assert!(
            html.contains(&format!("data-actor=\"{name}\"")),
            "no row for {name}"
        );
    }
    assert!(html.contains("1 resolved"), "workflows by state: {html}");
    let (officer_client, officer) = signed_in(&app, "officer-1").await;
    let (status, html) = page(&app, &officer_client, "/admin/system", &officer).await;
    assert_eq!(status, 403);
    assert!(!html.contains(version));
    let (status, html) = page(&app, &officer_client, "/admin/facilities", &officer).await;
    assert_eq!(status, 403);
    assert!(!html.contains("Import a layer"));
    let (status, html) = page(&app, &client, "/admin/facilities", &ops).await;
    assert_eq!(status, 200);
    assert!(html.contains("No layer yet"), "{html}");
    assert!(html.contains("Cleared by screening") || html.contains("Automatic clearing"));
}

async fn retiring_a_layer_is_confirmed_and_undone_from_the_console(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("aegis-retire-{}", uuid::Uuid::new_v4().simple()));
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
    let (client, ops) = signed_in(&app, "ops").await;
    let (_, html) = page(&app, &client, "/admin/facilities", &ops).await;
    let csrf = csrf_of(&html);
    let retire = "/admin/facilities/gas-mains/retire";

    // One click says what stops and asks again; the layer still screens.
    let (status, confirm) =
        post_form_page(&app, &client, retire, &ops, &[("csrf", csrf.as_str())]).await;
    assert_eq!(status, 200);
    assert!(
        confirm.contains("data-action=\"confirm-retire\""),
        "{confirm}"
    );
    assert!(confirm.contains("gas distribution feature(s)"), "{confirm}");
    let l = app
        .get("/v1/admin/facility-layers/gas-mains", &app.token)
        .await;
    assert_eq!(l.body["active_version"], 1, "nothing retired by one click");

    let r = post_form(
        &app,
        &client,
        retire,
        &ops,
        &[("csrf", csrf.as_str()), ("confirm", "yes")],
    )
    .await;
    assert_eq!(r, 303);
    let l = app
        .get("/v1/admin/facility-layers/gas-mains", &app.token)
        .await;
    assert!(l.body["active_version"].is_null(), "{}", l.body);
    assert_eq!(l.body["retired_by"], "operator:ops");

    // Retired, the page offers to bring its last version back, and one click does.
    let (_, html) = page(&app, &client, "/admin/facilities", &ops).await;
    assert!(html.contains("data-action=\"reactivate\""), "{html}");
    assert!(html.contains("Make active again (version 1)"), "{html}");
    let r = post_form(
        &app,
        &client,
        "/admin/facilities/gas-mains/reactivate",
        &ops,
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(r, 303);
    let l = app
        .get("/v1/admin/facility-layers/gas-mains", &app.token)
        .await;
    assert_eq!(l.body["active_version"], 1, "{}", l.body);
    assert!(l.body["retired_by"].is_null());

    // An officer can do neither.
    let (officer_client, officer) = signed_in(&app, "officer-1").await;
    let (_, alerts) = page(&app, &officer_client, "/alerts", &officer).await;
    let officer_csrf = csrf_of(&alerts);
    let r = post_form(
        &app,
        &officer_client,
        retire,
        &officer,
        &[("csrf", officer_csrf.as_str()), ("confirm", "yes")],
    )
    .await;
    assert_eq!(r, 403);
    assert_eq!(
        app.get("/v1/admin/facility-layers/gas-mains", &app.token)
            .await
            .body["active_version"],
        1
    );
}

async fn operators_read_local_times_rejections_in_words_and_any_due_window(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| {
        s.console.timezone = "America/Los_Angeles".into();
    })
    .await
    else {
        return;
    };
    let (client, ops) = signed_in(&app, "ops").await;

    // A rejected ticket says why in words on its page, not only in the trail's JSON.
    let r = app.post_native(&fixture("invalid-rejected.json")).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.body["workflow_id"].as_str().unwrap().to_owned();
    let w = app.wait_state(&id, "rejected").await;
    let (status, html) = page(&app, &client, &format!("/admin/workflows/{id}"), &ops).await;
    assert_eq!(status, 200);
    assert!(html.contains("data-rejected"), "{html}");
    assert!(
        html.contains("location.latitude must be between -90 and 90, got 137.2"),
        "{html}"
    );
    assert!(html.contains("<code>excavator.name</code>"), "{html}");
    assert!(
        html.contains("beyond ±90"),
        "the map says why there is none: {html}"
    );

    // Times read in the configured zone, UTC on hover.
    let created = chrono::DateTime::parse_from_rfc3339(w["created_at"].as_str().unwrap()).unwrap();
    let local = created.with_timezone(&chrono_tz::America::Los_Angeles);
    let shown = local.format("%a %m-%d %H:%M %Z").to_string();
    assert!(shown.ends_with("PST") || shown.ends_with("PDT"), "{shown}");
    assert!(
        html.contains(&format!(">{shown}</time>")),
        "{shown}: {html}"
    );
    assert!(
        html.contains(
            &created
                .format("title=\"%Y-%m-%d %H:%M:%S UTC\"")
                .to_string()
        ),
        "{html}"
    );

    // The due page looks as far as asked; a window that is not a number is refused in words.
    let mut t = fixture_json("normal.json");
    t["ticket_number"] = json!("DUE-FAR");
    let start = test_now() + chrono::TimeDelta::hours(30);
    t["submitted_at"] = json!(test_now().to_rfc3339());
    t["legal_start_at"] = json!(start.to_rfc3339());
    let r = app.post_ticket(&t).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let far = r.body["workflow_id"].as_str().unwrap().to_owned();
    app.wait_for(&far, "at rest", |w| {
        w["state"] == "resolved" || w["state"] == "alerted" || w["state"] == "scored"
    })
    .await;
    let (status, near) = page(&app, &client, "/admin/due", &ops).await;
    assert_eq!(status, 200);
    assert!(
        !near.contains(&far),
        "not due within the default window: {near}"
    );
    let (status, wide) = page(&app, &client, "/admin/due?within=259200", &ops).await;
    assert_eq!(status, 200);
    assert!(wide.contains("data-within=\"259200\""), "{wide}");
    let api = app.get("/v1/admin/due?within=259200", &app.token).await;
    let listed = api
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["workflow_id"] == far.as_str());
    assert!(listed, "due in 30 hours, within 3 days: {}", api.body);
    assert!(
        wide.contains(&far),
        "the page lists what the API lists: {wide}"
    );
    let (status, bad) = page(&app, &client, "/admin/due?within=soon", &ops).await;
    assert_eq!(status, 422);
    assert!(bad.contains("within is a number of seconds"), "{bad}");
}
