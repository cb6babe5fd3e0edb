//! The console follows the application's error policy (issue 31): a missing thing is a 404 page,
//! a refused input a 4xx page that says why — every problem listed — and a 503 is kept for an
//! unavailable database. Before, every refusal but a few became "Aegis could not answer just
//! now" with a 503.

use reqwest::header::COOKIE;

use crate::both_backends;
use crate::console::{csrf_of, page, signed_in};
use crate::helpers::*;

both_backends!(console_refusals_follow_the_policy);

async fn form(
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

async fn console_refusals_follow_the_policy(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (client, ops) = signed_in(&app, "ops").await;
    let unknown = "0190b4c1-0000-7000-8000-000000000000";

    // Missing things: 404 pages that say what is missing.
    for path in [
        format!("/alerts/{unknown}"),
        format!("/admin/workflows/{unknown}"),
    ] {
        let (status, html) = page(&app, &client, &path, &ops).await;
        assert_eq!(status, 404, "{path}: {html}");
        assert!(
            html.contains("Not found") && html.contains("no such"),
            "{html}"
        );
    }

    // A refused input: the page names what was wrong (here the allowed dispositions).
    let (_, alert) = app.raise_alert("ERR-POLICY").await;
    let (_, html) = page(&app, &client, &format!("/alerts/{alert}"), &ops).await;
    let csrf = csrf_of(&html);
    let (status, html) = form(
        &app,
        &client,
        &format!("/alerts/{alert}/resolve"),
        &ops,
        &[("csrf", &csrf), ("disposition", "shrugged")],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("locator_dispatched"), "{html}");

    // A layer that does not exist cannot be retired: 404, not 503.
    let (status, html) = form(
        &app,
        &client,
        "/admin/facilities/no-such-layer/retire",
        &ops,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 404, "{html}");

    // A filter out of range lists its problem on a 422 page.
    let (status, html) = page(&app, &client, "/admin/workflows?since=last-tuesday", &ops).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("since"), "{html}");
}
