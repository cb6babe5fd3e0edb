//! The console's sign-in, sessions and page access (contract §8), over HTTP: wrong passwords
//! refused and limited, the session cookie's attributes, an officer kept out of operator pages,
//! and a forged form refused. (Browser tests follow with the rest of the console.)

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    sign_in_gives_a_strict_session_and_pages_follow_roles,
    forged_posts_and_password_guessing_are_refused,
    an_officer_acknowledges_and_resolves_from_the_alert_page
);

pub(crate) const PASSWORD: &str = "a long enough passphrase";

pub(crate) fn set_password(app: &TestApp, name: &str) {
    let hash = aegis::app::passwords::hash(PASSWORD).unwrap();
    let mut conn = app.db.write().unwrap();
    assert!(aegis::db::sign_in::set_password(&mut conn, name, &hash).unwrap());
}

/// Sets `name`'s password and signs in: the client and the session cookie as `name=value`.
pub(crate) async fn signed_in(app: &TestApp, name: &str) -> (reqwest::Client, String) {
    set_password(app, name);
    let client = browser();
    let (cookie, _) = session_cookie(&sign_in(app, &client, name, PASSWORD).await);
    (client, cookie)
}

pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in; the session cookie as `name=value`.
pub(crate) async fn sign_in(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(format!("{}/signin", app.base))
        .header("origin", &app.base)
        .form(&[("name", name), ("password", password)])
        .send()
        .await
        .unwrap()
}

pub(crate) fn session_cookie(r: &reqwest::Response) -> (String, String) {
    let raw = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let pair = raw.split(';').next().unwrap().to_owned();
    (pair, raw)
}

pub(crate) async fn page(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    cookie: &str,
) -> (u16, String) {
    let r = client
        .get(format!("{}{path}", app.base))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

pub(crate) fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

async fn sign_in_gives_a_strict_session_and_pages_follow_roles(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    set_password(&app, "officer-1");
    set_password(&app, "ops");
    let client = browser();
    let form = client
        .get(format!("{}/signin", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let csp = form.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    let html = form.text().await.unwrap();
    assert!(html.contains("name=\"name\"") && html.contains("name=\"password\""));
    // Not signed in: sent to sign in, shown nothing.
    let r = client
        .get(format!("{}/alerts", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/signin");

    let wrong = sign_in(&app, &client, "officer-1", "not the passphrase").await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get(SET_COOKIE).is_none());

    let ok = sign_in(&app, &client, "officer-1", PASSWORD).await;
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()[LOCATION], "/alerts");
    let (cookie, raw) = session_cookie(&ok);
    assert!(
        raw.contains("HttpOnly") && raw.contains("SameSite=Strict"),
        "{raw}"
    );
    assert!(!raw.contains("Secure"), "plain http here: {raw}");

    let (id, alert_id) = app.raise_alert("C-1").await;
    let (status, queue) = page(&app, &client, "/alerts", &cookie).await;
    assert_eq!(status, 200);
    assert!(
        queue.contains(&format!("data-alert-id=\"{alert_id}\"")),
        "{queue}"
    );
    assert!(queue.contains("C-1"));

    // An officer is kept out of operator pages, and sees none of their data.
    let (status, body) = page(&app, &client, "/admin/workflows", &cookie).await;
    assert_eq!(status, 403);
    assert!(!body.contains(&id));
    let ops = sign_in(&app, &client, "ops", PASSWORD).await;
    let (ops_cookie, _) = session_cookie(&ops);
    let (status, body) = page(&app, &client, "/admin/workflows", &ops_cookie).await;
    assert_eq!(status, 200);
    assert!(body.contains(&format!("data-workflow-id=\"{id}\"")));
    // Dead letters: an unreadable payload is listed for operators, refused to officers.
    let bad = app.post_native(b"{not json").await;
    assert!(bad.status >= 400, "{}", bad.body);
    let (status, body) = page(&app, &client, "/admin/dead-letters", &ops_cookie).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("data-dead-letter-id=") && body.contains("unidentifiable"),
        "{body}"
    );
    let (status, body) = page(&app, &client, "/admin/dead-letters", &cookie).await;
    assert_eq!(status, 403);
    assert!(!body.contains("data-dead-letter-id="));

    // Signing out (with the page's CSRF token) ends the session on the server too.
    let csrf = csrf_of(&queue);
    let out = client
        .post(format!("{}/signout", app.base))
        .header(COOKIE, &cookie)
        .header("origin", &app.base)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let (status, _) = page(&app, &client, "/alerts", &cookie).await;
    assert_eq!(status, 303, "the old cookie no longer works");
}

async fn forged_posts_and_password_guessing_are_refused(backend: Backend) {
    let Some(app) = spawn_with(backend, |s| s.auth.max_failures_per_minute = 3).await else {
        return;
    };
    set_password(&app, "officer-1");
    let client = browser();
    let ok = sign_in(&app, &client, "officer-1", PASSWORD).await;
    let (cookie, _) = session_cookie(&ok);
    let (_, queue) = page(&app, &client, "/alerts", &cookie).await;
    // A form posted from another site, or without the session's token, changes nothing.
    for (origin, csrf) in [
        ("http://evil.example", csrf_of(&queue)),
        (app.base.as_str(), "forged".to_owned()),
    ] {
        let r = client
            .post(format!("{}/signout", app.base))
            .header(COOKIE, &cookie)
            .header("origin", origin)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{origin}");
    }
    let (status, _) = page(&app, &client, "/alerts", &cookie).await;
    assert_eq!(status, 200, "still signed in");
    let cross = client
        .post(format!("{}/signin", app.base))
        .header("origin", "http://evil.example")
        .form(&[("name", "officer-1"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    // Guessing is limited like tokens are, and past the limit the right password is refused
    // too (contract §13): guessing is bounded by the limit, not by the hash's cost.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            sign_in(&app, &client, "officer-1", "guess guess guess")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, vec![401, 401, 401, 429, 429]);
    let right = sign_in(&app, &client, "officer-1", PASSWORD).await;
    assert_eq!(right.status(), 429);
    assert!(right.headers().get("retry-after").is_some());
    assert!(right.headers().get(SET_COOKIE).is_none(), "no session");
}

pub(crate) async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> u16 {
    client
        .post(format!("{}{path}", app.base))
        .header(COOKIE, cookie)
        .header("origin", &app.base)
        .form(fields)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A form posted as a browser would, with the page it answered.
pub(crate) async fn post_form_page(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let r = client
        .post(format!("{}{path}", app.base))
        .header(COOKIE, cookie)
        .header("origin", &app.base)
        .form(fields)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn an_officer_acknowledges_and_resolves_from_the_alert_page(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    set_password(&app, "officer-1");
    let client = browser();
    let (cookie, _) = session_cookie(&sign_in(&app, &client, "officer-1", PASSWORD).await);
    let (id, alert_id) = app.raise_alert("C-2").await;
    let path = format!("/alerts/{alert_id}");
    let (status, html) = page(&app, &client, &path, &cookie).await;
    assert_eq!(status, 200);
    for needle in [
        "data-action=\"ack\"",
        "data-action=\"resolve\"",
        "<svg",
        "<path d=\"M",
        "The model's reasons",
        "Raised because: ",
        "Who digs",
        "alert raised",
        // No roster reaches anyone here: the page says how to fix that.
        "data-nobody-reached",
        "aegis rosters put safety-oncall --members",
    ] {
        assert!(html.contains(needle), "no {needle} on the alert page");
    }
    let csrf = csrf_of(&html);
    // A forged form changes nothing.
    let forged = post_form(
        &app,
        &client,
        &format!("{path}/ack"),
        &cookie,
        &[("csrf", "nope")],
    )
    .await;
    assert_eq!(forged, 403);
    assert_eq!(app.workflow(&id).await["state"], "alerted");
    let ack = post_form(
        &app,
        &client,
        &format!("{path}/ack"),
        &cookie,
        &[("csrf", csrf.as_str()), ("note", "on my way")],
    )
    .await;
    assert_eq!(ack, 303);
    let w = app.wait_state(&id, "acknowledged").await;
    let acked = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "acknowledged")
        .unwrap()
        .clone();
    assert_eq!(acked["principal"], "officer:officer-1");
    assert_eq!(acked["detail"]["via"], "console");
    assert_eq!(acked["detail"]["note"], "on my way");
    // Resolving is deliberate (issue 32): nothing is preselected, and the first tap only asks
    // to confirm, saying what the resolution posts; nothing changed yet.
    let (_, html) = page(&app, &client, &path, &cookie).await;
    assert!(!html.contains(" checked"), "a disposition is preselected");
    assert!(html.contains("posts nothing to the call center"), "{html}");
    let first_tap = client
        .post(format!("{}{path}/resolve", app.base))
        .header(reqwest::header::COOKIE, &cookie)
        .header("origin", &app.base)
        .form(&[
            ("csrf", csrf.as_str()),
            ("disposition", "locator_dispatched"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(first_tap.status(), 200);
    let confirm = first_tap.text().await.unwrap();
    assert!(
        confirm.contains("data-action=\"confirm-resolve\""),
        "{confirm}"
    );
    assert!(
        confirm.contains("posts nothing to the call center"),
        "{confirm}"
    );
    assert_eq!(app.workflow(&id).await["state"], "acknowledged");
    let resolved = post_form(
        &app,
        &client,
        &format!("{path}/resolve"),
        &cookie,
        &[
            ("csrf", csrf.as_str()),
            ("disposition", "locator_dispatched"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(resolved, 303);
    let w = app.wait_state(&id, "resolved").await;
    assert_eq!(w["alert"]["resolved_by"], "officer:officer-1");
    assert_eq!(w["chain_valid"], true);
    let (status, html) = page(&app, &client, "/alerts/no-such-alert", &cookie).await;
    assert_eq!(status, 404, "{html}");
}
